/**
 * The snapshot classes' command logic without servers (the recovery drill runs them on real
 * ones): which snapshot a restore picks, the usage errors of mixing database and snapshot
 * options, the tiers a stack keeps a class in, and how a job script's failure becomes one line.
 */
import * as assert from "assert";
import { backup } from "../../../cli/commands/backup";
import { restore } from "../../../cli/commands/restore";
import { chooseSnapshot } from "../../../cli/commands/restore-snapshot";
import { jobError, snapshotPrefix, splitCommand } from "../../../cli/drivers/lab/snapshots";
import type { Snapshot } from "../../../cli/drivers/types";
import { PreflightError, UsageError } from "../../../cli/errors";
import { loadStack } from "../../../cli/stack";

const snap = (stamp: string, tier: "tier1" | "tier2" = "tier1"): Snapshot => ({
    dataClass: "cache",
    tier,
    id: `${tier}/redis/${stamp}.manifest.json`,
    object: `s3://b/${tier}/redis/${stamp}.rdb.lz4.enc`,
    takenAt: new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`),
    sizeBytes: 10,
    sha256: "0".repeat(64),
});

describe("fortress restore/backup: the snapshot classes (cache, configuration, secrets)", () => {
    const stack = loadStack("prod");
    const plan = (def: typeof restore, opts: Record<string, unknown>) => def.plan({ opts: { from: "tier1", into: "fortress-restore", tier: "tier1", class: "database", type: "full", ...opts }, stack, driver: { kind: "lab", file: "/dev/null" } as never, dryRun: false });

    it("picks the newest snapshot, or the one named by its manifest key or stamp; none or an unknown one is a pre-flight error naming the fix", () => {
        const s = [snap("20261203T090000Z"), snap("20261203T100000Z"), snap("20261203T093000Z")];
        assert.strictEqual(chooseSnapshot(s, undefined, "cache", "tier1").id, "tier1/redis/20261203T100000Z.manifest.json");
        assert.strictEqual(chooseSnapshot(s, "20261203T090000Z", "cache", "tier1").id, "tier1/redis/20261203T090000Z.manifest.json");
        assert.strictEqual(chooseSnapshot(s, "tier1/redis/20261203T093000Z.manifest.json", "cache", "tier1").id, "tier1/redis/20261203T093000Z.manifest.json");
        assert.throws(() => chooseSnapshot([], undefined, "cache", "tier2"), (e: Error) => e instanceof PreflightError && /no cache snapshot in the tier; take one \(fortress backup --class cache --tier tier2\)/.test(e.message));
        assert.throws(() => chooseSnapshot(s, "20250101T000000Z", "cache", "tier1"), (e: Error) => e instanceof PreflightError && /--snapshot 20250101T000000Z: no such cache snapshot in tier1; the newest are/.test(e.message));
    });

    it("database-only options with a snapshot class, and --snapshot with the database, are usage errors", () => {
        assert.throws(() => plan(restore, { class: "cache", targetTime: "2026-12-03T06:00:00Z" }), (e: Error) => e instanceof UsageError && /--target-time applies to the database; a cache restore takes --snapshot/.test(e.message));
        assert.throws(() => plan(restore, { class: "secrets", promote: true }), (e: Error) => e instanceof UsageError && /--promote applies to the database/.test(e.message));
        assert.throws(() => plan(restore, { snapshot: "20261203T090000Z" }), (e: Error) => e instanceof UsageError && /--snapshot applies to cache, configuration and secrets/.test(e.message));
        assert.throws(() => plan(restore, { class: "cache", dataClass: "secrets" }), (e: Error) => e instanceof UsageError && /--class cache and --data-class secrets disagree/.test(e.message));
        assert.strictEqual(plan(restore, { class: undefined, dataClass: "cache" }).steps[2].id, "choose-snapshot", "--data-class is the same as --class");
        assert.deepStrictEqual(plan(backup, { dataClass: "cache", tier: "tier1" }).steps.map((s) => s.id), ["connect", "backup-cache-tier1", "listed-cache-tier1"]);
        assert.throws(() => plan(restore, { class: "logs" }), (e: Error) => e instanceof UsageError && /--class "logs": use one of database, cache, configuration, secrets/.test(e.message));
    });

    it("a snapshot restore plan: checks the snapshot in a plan step (so a bad one stops before anything exists), then restores and validates", () => {
        const p = plan(restore, { class: "cache", into: "cache-check" });
        assert.deepStrictEqual(p.steps.map((s) => `${s.phase}:${s.id}${s.mutates ? "*" : ""}`), ["preflight:connect", "preflight:guard-source", "plan:choose-snapshot", "plan:verify-snapshot", "act:restore*", "verify:validate"]);
        assert.strictEqual(p.destructive, true);
        // The newest snapshot's age is bounded by the tier's schedule: prod tier 1 every 4 minutes.
        assert.strictEqual(p.dataLossBound.seconds, 240);
        assert.strictEqual(plan(restore, { class: "cache", snapshot: "20261203T090000Z" }).dataLossBound.seconds, null);
    });

    it("backup of a class to a tier the stack does not keep it in is a usage error naming the stack's tiers", () => {
        assert.throws(() => plan(backup, { class: "configuration", tier: "tier1" }), (e: Error) => e instanceof UsageError && /--class configuration --tier tier1: stack prod keeps configuration in tier2, tier3 only \(tiers\.configuration\); tier 1 of configuration is git/.test(e.message));
        assert.deepStrictEqual(plan(backup, { class: "cache,secrets", tier: "tier2" }).steps.map((s) => s.id), ["connect", "backup-cache-tier2", "listed-cache-tier2", "backup-secrets-tier2", "listed-secrets-tier2"]);
    });

    it("lab: the platform's key layout, Redis probe commands split like a shell, and a job's failure as its ERROR line", () => {
        assert.strictEqual(snapshotPrefix("cache", "tier1"), "tier1/redis");
        assert.strictEqual(snapshotPrefix("secrets", "tier3"), "tier3/secrets");
        assert.deepStrictEqual(splitCommand(`EXISTS "user:1 a" b`), ["EXISTS", "user:1 a", "b"]);
        const r = { code: 1, stdout: "", ms: 1, stderr: "2026-12-03T10:00:00Z redis-restore: step=download ms=5\n2026-12-03T10:00:01Z redis-restore: ERROR: REFUSED: sha256 mismatch for s3://b/k; nothing was restored\n" };
        assert.strictEqual(jobError(r), "REFUSED: sha256 mismatch for s3://b/k; nothing was restored");
    });
});

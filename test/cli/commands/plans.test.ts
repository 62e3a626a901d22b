/**
 * The commands' plans run by the runner against a driver held in memory (the recovery drill
 * runs them on real servers): which steps each lists, and how a bad tier, a bad snapshot or a
 * teardown that is not proved becomes the outcome, the exit code and the one line that names it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { COMMANDS } from "../../../cli/commands";
import type { DatabaseBackup, Driver, Finding, Snapshot, SnapshotPrimitives, Tier } from "../../../cli/drivers/types";
import { makeReporter } from "../../../cli/output";
import { RunDocument, runPlan } from "../../../cli/runner";
import { loadStack } from "../../../cli/stack";

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

/**
 * A driver whose every tier holds a fresh backup and snapshot, unless `bad` says otherwise; a
 * backup it takes is listed afterwards unless `bad.backupUnlisted`.
 */
function memoryDriver(bad: { staleTier?: Tier; corruptSnapshot?: boolean; teardownLeft?: boolean; backupUnlisted?: boolean } = {}): Driver {
    const backup = (tier: Tier): DatabaseBackup => {
        const age = tier === bad.staleTier ? 30 * 86_400 : 60;
        return { tier, label: "20261203-010000F", type: "full", startedAt: ago(age + 60), stoppedAt: ago(age), walStart: "A", walStop: "B", error: false, complete: true };
    };
    const taken: DatabaseBackup[] = [];
    const snapshots = (dc: "cache" | "configuration" | "secrets"): SnapshotPrimitives => ({
        dataClass: dc,
        async take(tier) { return [{ dataClass: dc, tier, id: `${tier}/${dc}/new`, takenAt: ago(0), sizeBytes: 1, sha256: "a" }]; },
        async list(tier) { return [{ dataClass: dc, tier, id: `${tier}/${dc}/s1`, object: `s3://b/${tier}/${dc}/s1`, takenAt: ago(tier === bad.staleTier ? 30 * 86_400 : 60), sizeBytes: 1, sha256: "a" }, ...(dc === "secrets" ? [{ dataClass: dc, tier, id: `${tier}/${dc}/new`, takenAt: ago(0), sizeBytes: 1, sha256: "a" }] : [])]; },
        async verify(s: Snapshot): Promise<Finding[]> { return bad.corruptSnapshot ? [{ severity: "error", dataClass: dc, tier: s.tier, object: s.object!, check: "checksum", message: "sha256 mismatch" }] : []; },
        async restore(s, destination) { return { snapshot: s, destination, endpoint: `scratch:${destination.name}`, probes: [{ name: "keys", ok: true, detail: "1 key" }] }; },
        async teardown() { return []; },
    });
    const restored = { destination: { kind: "scratch" as const, name: "x" }, running: true, inRecovery: false, replayPaused: false, archiveMode: "off", archiveCommand: "", timeline: 2 };
    return {
        name: "memory",
        describe: "in-memory test driver",
        database: {
            async info(tier) { return { tier, backups: [backup(tier), ...taken.filter((b) => b.tier === tier)], archive: { tier }, status: "ok" }; },
            async backup(tier, type) {
                const b = { ...backup(tier), label: "20261203-120000F", type, stoppedAt: ago(0) };
                if (!bad.backupUnlisted) taken.push(b);
                return b;
            },
            async verify() { return []; },
            async restore() { return restored; },
            async inspect() { return restored; },
            async promoteRestored() { return restored; },
            async probe() { return [{ name: "integrity", ok: true, detail: "clean" }]; },
            async teardown() { return [{ name: "data directory", ok: !bad.teardownLeft, detail: bad.teardownLeft ? "data directory left" : "gone" }]; },
            async positions() { return { archived: {}, standby: { replayLagSeconds: 1 } }; },
            async sourceFenced() { return { writesStopped: false, repoWritesStopped: false, fenced: false, evidence: ["listening"] }; },
            async archiveHistoryFiles() { return []; },
        },
        storage: { async listObjects() { return []; }, async objectRetention() { return {}; }, async bucketRetention() { return { mode: "COMPLIANCE", days: 10_000 }; }, async getObject() { return Buffer.alloc(0); } },
        cache: { ...snapshots("cache"), dataClass: "cache", async replicaOffsets() { return { masterOffset: 10, replicas: [{ name: "r1", offset: 10, lagSeconds: 0, state: "online" }] }; } },
        configuration: snapshots("configuration"),
        secrets: snapshots("secrets"),
        audit: { async putAuditRecord(key) { return { location: `memory://audit/${key}` }; } },
        async close() {},
    } as Driver;
}

describe("fortress commands on an in-memory driver: steps, outcomes, exit codes", () => {
    const stack = loadStack("prod");
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-plans-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function run(name: string, opts: Record<string, unknown>, driver: Driver, dryRun = false): Promise<RunDocument> {
        const def = COMMANDS.find((c) => c.name === name)!;
        const out = new PassThrough();
        out.resume();
        const plan = def.plan({ opts, stack, driver: { kind: "lab", file: "/dev/null" }, dryRun });
        return runPlan(plan, { command: name, stack: stack.name, args: def.fingerprint(opts), stateDir: dir, dryRun, yes: true, reason: "test", defaultTimeoutSeconds: 60, fresh: false, reporter: makeReporter("json", out, out), makeDriver: async () => driver });
    }
    const ids = (doc: RunDocument) => doc.steps.map((s) => s.id);

    it("each command's plan starts with the connect step and lists its steps in phase order (dry runs: the read-only ones run, exit 0)", async () => {
        const dry = await run("restore", { from: "tier2", into: "r1", set: "20261203-010000F" }, memoryDriver(), true);
        assert.deepStrictEqual(ids(dry), ["connect", "guard-source", "choose-backup", "confirm", "restore", "at-target", "validate"]);
        assert.deepStrictEqual([dry.outcome, dry.exitCode], ["dry-run", 0]);
        assert.deepStrictEqual(dry.steps.filter((s) => s.status === "verified").map((s) => s.id), ["connect", "guard-source", "choose-backup"]);
        const drill = await run("dr-test", { from: "tier2", into: "d1" }, memoryDriver(), true);
        assert.deepStrictEqual(ids(drill), ["connect", "choose-backup", "restore", "archiving-off", "validate", "no-archive-into-production", "teardown", "report"]);
        const backup = await run("backup", { class: "database,cache", tier: "tier1", type: "full" }, memoryDriver(), true);
        assert.deepStrictEqual(ids(backup), ["connect", "backup-database-tier1", "listed-database-tier1", "backup-cache-tier1", "listed-cache-tier1"]);
        const validate = await run("validate", { tier: "tier1,tier3" }, memoryDriver(), true);
        assert.deepStrictEqual(ids(validate), ["connect", "database-tier1", "database-tier3", "object-lock", "snapshots"]);
    });

    it("status and validate exit 0 on fresh tiers and 1 naming the stale tier", async () => {
        for (const name of ["status", "validate"]) {
            const ok = await run(name, {}, memoryDriver());
            assert.deepStrictEqual([ok.outcome, ok.exitCode], ["done", 0], `${name}: ${ok.message}`);
            const stale = await run(name, {}, memoryDriver({ staleTier: "tier2" }));
            assert.deepStrictEqual([stale.outcome, stale.exitCode], ["failed", 1], name);
            assert.match(stale.message!, name === "status" ? /database tier2: newest backup .* old > / : /20261203-010000F \(staleness: newest backup is .* old, over the tier's bound/);
            assert.doesNotMatch(stale.message!, /tier1/);
        }
    });

    it("a snapshot that fails its checks stops a restore at pre-flight (exit 4) naming the object, before anything is restored", async () => {
        const doc = await run("restore", { class: "cache", from: "tier1", into: "c1" }, memoryDriver({ corruptSnapshot: true }));
        assert.deepStrictEqual([doc.outcome, doc.exitCode], ["preflight-failed", 4]);
        assert.match(doc.message!, /snapshot tier1\/cache\/s1 fails its checks, nothing was restored: s3:\/\/b\/tier1\/cache\/s1 checksum: sha256 mismatch/);
        assert.strictEqual(doc.steps.find((s) => s.id === "restore")!.status, "pending");
    });

    it("--in-place over an unfenced source is refused (exit 3); a drill whose teardown is not proved fails (exit 1)", async () => {
        const inPlace = await run("restore", { from: "tier1", into: "r1", inPlace: true }, memoryDriver());
        assert.deepStrictEqual([inPlace.outcome, inPlace.exitCode], ["refused", 3]);
        assert.match(inPlace.message!, /--in-place refused: the source is not proved fenced \(listening\)/);
        const drill = await run("dr-test", { from: "tier1", into: "d1" }, memoryDriver({ teardownLeft: true }));
        assert.deepStrictEqual([drill.outcome, drill.exitCode], ["failed", 1]);
        assert.match(drill.message!, /teardown not proved: data directory: data directory left/);
    });

    it("backup verifies each new backup listed: a database backup the repo does not list fails the run (exit 1)", async () => {
        const ok = await run("backup", { class: "database,secrets", tier: "tier2", type: "incr" }, memoryDriver());
        assert.deepStrictEqual([ok.outcome, ok.exitCode], ["done", 0], ok.message);
        const unlisted = await run("backup", { class: "database", tier: "tier1", type: "full" }, memoryDriver({ backupUnlisted: true }));
        assert.deepStrictEqual([unlisted.outcome, unlisted.exitCode], ["failed", 1]);
        assert.match(unlisted.message!, /backup 20261203-120000F is not listed in tier1/);
        assert.deepStrictEqual(unlisted.steps.map((s) => `${s.id}=${s.status}`), ["connect=verified", "backup-database-tier1=verified", "listed-database-tier1=failed", "record=verified"]);
    });
});

/**
 * `fortress validate`: the integrity of every tier. pgBackRest verify is read from its output
 * per object (its exit code is 0 on a repo with errors), WAL continuity is checked segment by
 * segment, snapshots are checked against their recorded checksums, Object Lock retention is
 * compared with the backup retention, and stale backups are named. Exit 1 names each bad object.
 */
import type { CommandDef } from "../command";
import type { Driver, Finding, Snapshot, SnapshotClass, Tier } from "../drivers/types";
import { SNAPSHOT_CLASSES } from "../drivers/types";
import { formatSeconds } from "../parse";
import type { Json, Step, StepContext } from "../runner";
import type { StackContext } from "../stack";
import { connectStep, databaseBackupBoundSeconds, driverStep, everyTierOption, snapshotSchedule, tierBound, tiersKeeping, tiersOption, toJson } from "./common";

const firstLine = (e: unknown) => (e as Error).message.split("\n")[0];
const newestFirst = <T>(items: readonly T[], at: (x: T) => Date) => [...items].sort((a, b) => at(b).getTime() - at(a).getTime());

export const validate: CommandDef = {
    name: "validate",
    summary: "integrity of every tier: pgBackRest verify (read, not just its exit code), WAL continuity, checksums, Object Lock retention, staleness",
    help: `
Reads, changes nothing. Every bad object is named on its own line (repo file, bucket key or
backup label) with the check that found it; exit 1 if there is any.

Checks:
  pgbackrest-verify   pgBackRest verify per repo, its per-file result parsed from the output
  wal-continuity      every WAL segment from the oldest backup's start to the newest archived one is present
  staleness           the newest complete backup is within the tier's schedule bound
  object-lock         tier 3: bucket default retention >= the tier's backup retention
  checksum            cache / configuration / secrets snapshots: the stored object's size and sha256
                      match its manifest (a mismatch names s3://bucket/key)
  decrypt, rdb-load   each snapshot decrypts with the configured key, its payload matches its
  file-checksums      recorded sha256, and it loads (redis-check-rdb / the bundle's SHA256SUMS)

Examples:
  fortress validate --stack prod
  fortress validate --stack prod --tier tier3 --output json`,
    reasonRequired: false,
    defaultTimeoutSeconds: 1800,
    ...everyTierOption,
    plan({ opts, stack }) {
        const tiers = tiersOption(opts.tier);
        const steps: Step[] = [connectStep(), ...tiers.map((tier) => databaseTierStep(stack, tier)), objectLockStep(stack, tiers), snapshotsStep(stack, tiers)];
        return {
            destructive: false,
            dataLossBound: { seconds: null, why: "validate only reads" },
            steps,
            result: (_data, findings) => ({ findings: toJson(findings) as Json, bad: findings.filter((f) => f.severity === "error").map((f) => f.object) }),
            judge: (_data, findings) => {
                const bad = findings.filter((f) => f.severity === "error");
                return bad.length ? { outcome: "failed", message: `${bad.length} bad object(s): ${bad.map((f) => `${f.object} (${f.check}: ${f.message})`).join("; ")}` } : undefined;
            },
        };
    },
};

/** One database tier: pgBackRest verify, WAL continuity, staleness; each bad object a finding. */
function databaseTierStep(stack: StackContext, tier: Tier): Step {
    return driverStep(
        { id: `database-${tier}`, phase: "act", title: `database ${tier}: pgBackRest verify, WAL continuity, staleness`, budget: { figureId: "recovery.validate.seconds", seconds: 120 } },
        async (d, ctx) => {
            const findings = await databaseFindings(d, ctx, stack, tier);
            for (const f of findings) ctx.addFinding(f);
            const errors = findings.filter((f) => f.severity === "error");
            for (const f of errors) ctx.progress(`BAD ${f.check}: ${f.object} — ${f.message}`);
            return { detail: errors.length ? `${errors.length} bad object(s)` : "clean", data: { [`findings-${tier}`]: toJson(findings) } };
        },
    );
}

async function databaseFindings(d: Driver, ctx: StepContext, stack: StackContext, tier: Tier): Promise<Finding[]> {
    const finding = (object: string, check: string, message: string): Finding => ({ severity: "error", dataClass: "database", tier, object, check, message });
    let info;
    try {
        info = await d.database.info(tier, ctx.wait());
    } catch (e) {
        return [finding(`${tier} repo`, "info", firstLine(e))];
    }
    const findings: Finding[] = [];
    if (info.status !== "ok") findings.push(finding(`${tier} repo`, "info", `repo status: ${info.status}`));
    const done = newestFirst(info.backups.filter((b) => b.complete), (b) => b.stoppedAt);
    for (const b of info.backups.filter((x) => x.error)) findings.push(finding(b.label, "pgbackrest-backup", "pgBackRest recorded page checksum errors in this backup"));
    const bound = tierBound(d, tier, databaseBackupBoundSeconds(stack.config.tiers, tier)).seconds;
    if (done.length === 0) {
        findings.push(finding(`${tier} repo`, "staleness", "no complete backup in this tier"));
        return findings;
    }
    const age = (Date.now() - done[0].stoppedAt.getTime()) / 1000;
    if (age > bound) findings.push(finding(done[0].label, "staleness", `newest backup is ${formatSeconds(age)} old, over the tier's bound of ${formatSeconds(bound)}`));
    findings.push(...(await d.database.verify(tier, ctx.wait())));
    return findings;
}

/** Tier 3: the bucket's Object Lock default retention covers the longest backup retention of any class. */
function objectLockStep(stack: StackContext, tiers: readonly Tier[]): Step {
    return driverStep({ id: "object-lock", phase: "act", title: "tier 3: Object Lock default retention >= backup retention", budget: { seconds: 30 } }, async (d, ctx) => {
        if (!tiers.includes("tier3")) return { detail: "tier3 not selected" };
        const finding = (message: string): Finding => ({ severity: "error", dataClass: "database", tier: "tier3", object: "tier3 bucket", check: "object-lock", message });
        if (!d.storage) {
            ctx.addFinding(finding(`driver ${d.name} cannot read bucket retention`));
            return { detail: "cannot check" };
        }
        const t = stack.config.tiers;
        const need = Math.max(t.database.tier3.retentionDays, t.redis.tier3.retentionDays, t.configuration.tier3.retentionDays, t.secrets.tier3.retentionDays);
        const r = await d.storage.bucketRetention("tier3", ctx.wait());
        if (!r.days || r.days < need) {
            ctx.addFinding(finding(r.days ? `default retention ${r.days} d (${r.mode}) < backup retention ${need} d` : "no Object Lock default retention"));
            return { detail: "retention too short" };
        }
        return { detail: `${r.mode} ${r.days} d >= ${need} d` };
    });
}

/** Cache, configuration, secrets: every snapshot in every tier that keeps the class is checked; the newest is checked for staleness. */
function snapshotsStep(stack: StackContext, tiers: readonly Tier[]): Step {
    return driverStep(
        { id: "snapshots", phase: "act", title: "cache, configuration, secrets snapshots: stored checksum and size, decryption, payload checksum, loads; staleness", budget: { seconds: 120 } },
        async (d, ctx) => {
            let n = 0;
            const skipped: string[] = [];
            for (const dc of SNAPSHOT_CLASSES) {
                if (!d[dc]) skipped.push(dc);
                else n += await checkSnapshotClass(d, ctx, stack, dc, tiers);
            }
            return { detail: `${n} snapshot(s) checked${skipped.length ? `; driver ${d.name} reaches no ${skipped.join("/")}` : ""}` };
        },
    );
}

/** Checks one class's snapshots in the chosen tiers that keep it; returns how many were checked. */
async function checkSnapshotClass(d: Driver, ctx: StepContext, stack: StackContext, dc: SnapshotClass, tiers: readonly Tier[]): Promise<number> {
    const prims = d[dc]!;
    const kept = tiersKeeping(stack, dc).tiers;
    let n = 0;
    for (const tier of tiers.filter((t) => kept[t])) {
        let snaps: readonly Snapshot[];
        try {
            snaps = await prims.list(tier, ctx.wait());
        } catch (e) {
            ctx.addFinding({ severity: "error", dataClass: dc, tier, object: `${dc} ${tier}`, check: "listed", message: firstLine(e) });
            continue;
        }
        const bound = tierBound(d, tier, snapshotSchedule(kept[tier]!.snapshot)).seconds;
        const newest = newestFirst(snaps, (s) => s.takenAt)[0];
        if (!newest) ctx.addFinding({ severity: "error", dataClass: dc, tier, object: `${dc} ${tier}`, check: "staleness", message: "no snapshot in this tier" });
        else if ((Date.now() - newest.takenAt.getTime()) / 1000 > bound) ctx.addFinding({ severity: "error", dataClass: dc, tier, object: newest.id, check: "staleness", message: `newest snapshot is ${formatSeconds((Date.now() - newest.takenAt.getTime()) / 1000)} old, over the tier's bound of ${formatSeconds(bound)}` });
        for (const s of snaps) {
            if (!s.sha256) ctx.addFinding({ severity: "warning", dataClass: dc, tier, object: s.id, check: "checksum", message: "no checksum recorded with the snapshot" });
            for (const f of await prims.verify(s, ctx.wait())) {
                ctx.addFinding(f);
                ctx.progress(`BAD ${f.check}: ${f.object} — ${f.message}`);
            }
            n++;
        }
    }
    return n;
}

/**
 * `fortress validate`: the integrity of every tier. pgBackRest verify is read from its output
 * per object (its exit code is 0 on a repo with errors), WAL continuity is checked segment by
 * segment, snapshots are checked against their recorded checksums, Object Lock retention is
 * compared with the backup retention, and stale backups are named. Exit 1 names each bad object.
 */
import { maxIntervalSeconds } from "../../components/core/cron";
import type { CommandDef } from "../command";
import type { Finding, Tier } from "../drivers/types";
import { formatSeconds } from "../parse";
import type { Json, StepContext } from "../runner";
import { databaseBackupBoundSeconds, pick, tiersOption, toJson } from "./common";

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
    options(cmd) {
        cmd.option("--tier <tiers>", "comma-separated tiers (default tier1,tier2,tier3)");
    },
    fingerprint: (opts) => pick(opts, ["tier"]),
    plan({ opts, stack }) {
        const tiers = tiersOption(opts.tier);
        const steps = [
            {
                id: "connect",
                phase: "preflight" as const,
                title: "reach the driver",
                budget: { seconds: 30 },
                async run(ctx: StepContext) {
                    const d = await ctx.driver();
                    return { detail: d.describe };
                },
            },
            ...tiers.map((tier: Tier) => ({
                id: `database-${tier}`,
                phase: "act" as const,
                title: `database ${tier}: pgBackRest verify, WAL continuity, staleness`,
                budget: { figureId: "recovery.validate.seconds", seconds: 120 },
                async run(ctx: StepContext) {
                    const d = await ctx.driver();
                    const findings: Finding[] = [];
                    let info;
                    try {
                        info = await d.database.info(tier, ctx.wait());
                    } catch (e) {
                        findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "info", message: (e as Error).message.split("\n")[0] });
                    }
                    if (info) {
                        if (info.status !== "ok") findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "info", message: `repo status: ${info.status}` });
                        const done = info.backups.filter((b) => b.complete).sort((a, b) => b.stoppedAt.getTime() - a.stoppedAt.getTime());
                        for (const b of info.backups.filter((x) => x.error)) findings.push({ severity: "error", dataClass: "database", tier, object: b.label, check: "pgbackrest-backup", message: "pgBackRest recorded page checksum errors in this backup" });
                        const bound = d.backupBoundsSeconds?.[tier] ?? databaseBackupBoundSeconds(stack.config.tiers, tier).seconds;
                        if (done.length === 0) findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "staleness", message: "no complete backup in this tier" });
                        else {
                            const age = (Date.now() - done[0].stoppedAt.getTime()) / 1000;
                            if (age > bound) findings.push({ severity: "error", dataClass: "database", tier, object: done[0].label, check: "staleness", message: `newest backup is ${formatSeconds(age)} old, over the tier's bound of ${formatSeconds(bound)}` });
                        }
                        if (done.length > 0) findings.push(...(await d.database.verify(tier, ctx.wait())));
                    }
                    for (const f of findings) ctx.addFinding(f);
                    const errors = findings.filter((f) => f.severity === "error");
                    for (const f of errors) ctx.progress(`BAD ${f.check}: ${f.object} — ${f.message}`);
                    return { detail: errors.length ? `${errors.length} bad object(s)` : "clean", data: { [`findings-${tier}`]: toJson(findings) } };
                },
            })),
            {
                id: "object-lock",
                phase: "act" as const,
                title: "tier 3: Object Lock default retention >= backup retention",
                budget: { seconds: 30 },
                async run(ctx: StepContext) {
                    const d = await ctx.driver();
                    if (!tiers.includes("tier3")) return { detail: "tier3 not selected" };
                    if (!d.storage) {
                        ctx.addFinding({ severity: "error", dataClass: "database", tier: "tier3", object: "tier3 bucket", check: "object-lock", message: `driver ${d.name} cannot read bucket retention` });
                        return { detail: "cannot check" };
                    }
                    const need = Math.max(stack.config.tiers.database.tier3.retentionDays, stack.config.tiers.redis.tier3.retentionDays, stack.config.tiers.configuration.tier3.retentionDays, stack.config.tiers.secrets.tier3.retentionDays);
                    const r = await d.storage.bucketRetention("tier3", ctx.wait());
                    if (!r.days || r.days < need) {
                        ctx.addFinding({ severity: "error", dataClass: "database", tier: "tier3", object: "tier3 bucket", check: "object-lock", message: r.days ? `default retention ${r.days} d (${r.mode}) < backup retention ${need} d` : "no Object Lock default retention" });
                        return { detail: "retention too short" };
                    }
                    return { detail: `${r.mode} ${r.days} d >= ${need} d` };
                },
            },
            {
                id: "snapshots",
                phase: "act" as const,
                title: "cache, configuration, secrets snapshots: stored checksum and size, decryption, payload checksum, loads; staleness",
                budget: { seconds: 120 },
                async run(ctx: StepContext) {
                    const d = await ctx.driver();
                    let n = 0;
                    const skipped: string[] = [];
                    for (const dc of ["cache", "configuration", "secrets"] as const) {
                        const prims = d[dc];
                        if (!prims) {
                            skipped.push(dc);
                            continue;
                        }
                        const kept = stack.config.tiers[dc === "cache" ? "redis" : dc] as Partial<Record<Tier, { snapshot: string }>>;
                        for (const tier of tiers.filter((t) => kept[t])) {
                            let snaps;
                            try {
                                snaps = await prims.list(tier, ctx.wait());
                            } catch (e) {
                                ctx.addFinding({ severity: "error", dataClass: dc, tier, object: `${dc} ${tier}`, check: "listed", message: (e as Error).message.split("\n")[0] });
                                continue;
                            }
                            const bound = d.backupBoundsSeconds?.[tier] ?? maxIntervalSeconds(kept[tier]!.snapshot);
                            const newest = [...snaps].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0];
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
                    }
                    return { detail: `${n} snapshot(s) checked${skipped.length ? `; driver ${d.name} reaches no ${skipped.join("/")}` : ""}` };
                },
            },
        ];
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

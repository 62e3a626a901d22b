/**
 * `fortress status`: per data class and tier, the newest backup and its age against the bound
 * its schedule sets, the WAL archive position against the database RPO, the standby's replay
 * lag and Redis replica offsets. Exit 1 when any objective is breached, naming it.
 */
import { maxIntervalSeconds as maxGap } from "../../components/core/cron";
import type { CommandDef } from "../command";
import { formatSeconds } from "../parse";
import type { Json, Step } from "../runner";
import { databaseBackupBoundSeconds, databaseRpoSeconds, pick, tiersOption, toJson } from "./common";
import type { Tier } from "../drivers/types";

interface Row {
    dataClass: string;
    tier: string;
    newest: string | null;
    ageSeconds: number | null;
    boundSeconds: number;
    bound: string;
    breached: boolean;
    detail: string;
}

export const status: CommandDef = {
    name: "status",
    summary: "newest backup per data class and tier against its schedule and the RPO; exit 1 when an objective is breached",
    help: `
Reads, changes nothing. For the database: per tier the newest complete backup and its age
against the tier's schedule bound (the worst gap of its most frequent schedule), the newest
archived WAL against the database RPO, and the standby's replay lag. Cache, configuration,
secrets: the newest snapshot per tier against its schedule bound, the newest cache snapshot
against the cache RPO, and each Redis replica's state, offset and lag against
redis.maxReplicaLagSeconds. A tier with no backup at all is breached.

Examples:
  fortress status --stack prod
  fortress status --stack prod --output json | jq '.result.rows[] | select(.breached)'`,
    reasonRequired: false,
    defaultTimeoutSeconds: 120,
    options(cmd) {
        cmd.option("--tier <tiers>", "comma-separated tiers (default tier1,tier2,tier3)");
    },
    fingerprint: (opts) => pick(opts, ["tier"]),
    plan({ opts, stack }) {
        const tiers = tiersOption(opts.tier);
        const rpo = databaseRpoSeconds(stack);
        const steps: Step[] = [
                {
                    id: "connect",
                    phase: "preflight",
                    title: "reach the driver (repos, database, S3)",
                    budget: { seconds: 30 },
                    async run(ctx) {
                        const d = await ctx.driver();
                        return { detail: d.describe };
                    },
                },
                {
                    id: "read-database",
                    phase: "act",
                    title: `database: newest backup per tier (${tiers.join(", ")}), archive and standby positions`,
                    budget: { seconds: 60 },
                    async run(ctx) {
                        const d = await ctx.driver();
                        const rows: Row[] = [];
                        const now = Date.now();
                        for (const tier of tiers) {
                            const sched = databaseBackupBoundSeconds(stack.config.tiers, tier);
                            const labBound = d.backupBoundsSeconds?.[tier];
                            const bound = labBound ?? sched.seconds;
                            const boundText = labBound !== undefined ? `lab schedule bound ${formatSeconds(labBound)}` : `schedule "${sched.schedule}" worst gap ${formatSeconds(sched.seconds)}`;
                            try {
                                const info = await d.database.info(tier, ctx.wait());
                                const done = info.backups.filter((b) => b.complete && !b.error).sort((a, b) => b.stoppedAt.getTime() - a.stoppedAt.getTime());
                                const newest = done[0];
                                const age = newest ? (now - newest.stoppedAt.getTime()) / 1000 : null;
                                const breached = age === null || age > bound || info.status !== "ok";
                                rows.push({
                                    dataClass: "database",
                                    tier,
                                    newest: newest ? `${newest.label} (${newest.type}) at ${newest.stoppedAt.toISOString()}` : null,
                                    ageSeconds: age === null ? null : Math.round(age),
                                    boundSeconds: bound,
                                    bound: boundText,
                                    breached,
                                    detail: info.status !== "ok" ? `repo status: ${info.status}` : age === null ? "no complete backup in this tier" : breached ? `newest backup ${formatSeconds(age)} old > ${formatSeconds(bound)}` : `within bound; archive ${info.archive.min ?? "-"} .. ${info.archive.max ?? "-"}`,
                                });
                            } catch (e) {
                                rows.push({ dataClass: "database", tier, newest: null, ageSeconds: null, boundSeconds: bound, bound: boundText, breached: true, detail: `cannot read the tier: ${(e as Error).message.split("\n")[0]}` });
                            }
                        }
                        const pos = await d.database.positions(ctx.wait());
                        for (const tier of tiers) {
                            const a = pos.archived[tier];
                            if (!a) continue;
                            const age = a.at ? (now - a.at.getTime()) / 1000 : null;
                            rows.push({
                                dataClass: "database-wal",
                                tier,
                                newest: a.wal ? `${a.wal}${a.at ? ` at ${a.at.toISOString()}` : ""}` : null,
                                ageSeconds: age === null ? null : Math.round(age),
                                boundSeconds: rpo,
                                bound: `database RPO ${formatSeconds(rpo)}`,
                                // An idle database archives nothing new; the breach is WAL written but not archived.
                                breached: a.wal === undefined,
                                detail: a.wal === undefined ? "no WAL archived in this tier" : `newest archived segment ${a.wal}`,
                            });
                        }
                        if (pos.standby) {
                            const lag = pos.standby.replayLagSeconds;
                            rows.push({ dataClass: "database-standby", tier: "dr", newest: pos.standby.replayLsn ?? null, ageSeconds: lag ?? null, boundSeconds: rpo, bound: `database RPO ${formatSeconds(rpo)}`, breached: lag === undefined || lag > rpo, detail: lag === undefined ? "standby lag unknown" : `replay lag ${formatSeconds(lag)}` });
                        }
                        return { detail: `${rows.filter((r) => r.breached).length} of ${rows.length} rows breached`, data: { rows: toJson(rows), positions: toJson(pos) } };
                    },
                },
                {
                    id: "read-snapshots",
                    phase: "act",
                    title: "cache, configuration, secrets: newest snapshot per tier against its bound and the class RPO; Redis replica offsets",
                    budget: { seconds: 60 },
                    async run(ctx) {
                        const d = await ctx.driver();
                        const rows: Row[] = [];
                        const skipped: string[] = [];
                        for (const dc of ["cache", "configuration", "secrets"] as const) {
                            const prims = d[dc];
                            if (!prims) {
                                skipped.push(dc);
                                continue;
                            }
                            const key = dc === "cache" ? "redis" : dc;
                            const kept = stack.config.tiers[key] as Partial<Record<Tier, { snapshot: string }>>;
                            let newestAt: number | undefined;
                            for (const tier of tiers) {
                                const sched = kept[tier];
                                if (!sched) continue; // the stack keeps this class elsewhere (configuration tier 1 is git)
                                const labBound = d.backupBoundsSeconds?.[tier];
                                const bound = labBound ?? maxGap(sched.snapshot);
                                const boundText = labBound !== undefined ? `lab schedule bound ${formatSeconds(labBound)}` : `schedule "${sched.snapshot}" worst gap ${formatSeconds(bound)}`;
                                try {
                                    const snaps = [...(await prims.list(tier, ctx.wait()))].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
                                    const age = snaps[0] ? (Date.now() - snaps[0].takenAt.getTime()) / 1000 : null;
                                    if (snaps[0]) newestAt = Math.max(newestAt ?? 0, snaps[0].takenAt.getTime());
                                    rows.push({ dataClass: dc, tier, newest: snaps[0] ? `${snaps[0].id} at ${snaps[0].takenAt.toISOString()}` : null, ageSeconds: age === null ? null : Math.round(age), boundSeconds: bound, bound: boundText, breached: age === null || age > bound, detail: age === null ? "no snapshot in this tier" : age > bound ? `newest snapshot ${formatSeconds(age)} old > ${formatSeconds(bound)}` : `${formatSeconds(age)} old` });
                                } catch (e) {
                                    rows.push({ dataClass: dc, tier, newest: null, ageSeconds: null, boundSeconds: bound, bound: boundText, breached: true, detail: `cannot read the tier: ${(e as Error).message.split("\n")[0]}` });
                                }
                            }
                            // The cache RPO is met by its newest snapshot in any tier read. (Configuration's RPO is
                            // met by git, its tier 1, which status does not read; secrets have no RPO objective.)
                            const rpoSeconds = dc === "cache" ? stack.config.objectives.dataClasses.cache?.rpoSeconds : undefined;
                            if (rpoSeconds !== undefined && rows.some((r) => r.dataClass === dc)) {
                                const age = newestAt === undefined ? null : (Date.now() - newestAt) / 1000;
                                rows.push({ dataClass: `${dc}-rpo`, tier: tiers.join("+"), newest: newestAt === undefined ? null : new Date(newestAt).toISOString(), ageSeconds: age === null ? null : Math.round(age), boundSeconds: rpoSeconds, bound: `${dc} RPO ${formatSeconds(rpoSeconds)}`, breached: age === null || age > rpoSeconds, detail: age === null ? "no snapshot in any tier read" : `newest snapshot ${formatSeconds(age)} old ${age > rpoSeconds ? ">" : "<="} RPO ${formatSeconds(rpoSeconds)}` });
                            }
                        }
                        let offsets: Json = null;
                        if (d.cache) {
                            const o = await d.cache.replicaOffsets(ctx.wait());
                            offsets = toJson(o);
                            const maxLag = stack.config.redis.maxReplicaLagSeconds;
                            for (const r of o.replicas) {
                                const bad = r.state !== "online" || r.lagSeconds < 0 || r.lagSeconds > maxLag;
                                rows.push({ dataClass: "cache-replica", tier: r.name, newest: `offset ${r.offset}`, ageSeconds: r.lagSeconds, boundSeconds: maxLag, bound: `redis.maxReplicaLagSeconds ${maxLag} s`, breached: bad, detail: `${r.state}; offset ${r.offset} of master ${o.masterOffset} (${o.masterOffset - r.offset} bytes behind); lag ${r.lagSeconds} s` });
                            }
                        }
                        return { detail: `${rows.filter((r) => r.breached).length} of ${rows.length} rows breached${skipped.length ? `; driver ${d.name} reaches no ${skipped.join("/")}` : ""}`, data: { cacheRows: toJson(rows), offsets } };
                    },
                },
            ];
        return {
            destructive: false,
            dataLossBound: { seconds: null, why: "status only reads" },
            steps,
            result: (data) => ({ rows: [...((data.rows as Json[]) ?? []), ...((data.cacheRows as Json[]) ?? [])], positions: data.positions ?? null, offsets: data.offsets ?? null }),
            judge: (data) => {
                const rows = [...((data.rows as unknown as Row[]) ?? []), ...((data.cacheRows as unknown as Row[]) ?? [])];
                const bad = rows.filter((r) => r.breached);
                return bad.length ? { outcome: "failed", message: `objective breached: ${bad.map((r) => `${r.dataClass} ${r.tier}: ${r.detail}`).join("; ")}` } : undefined;
            },
        };
    },
};

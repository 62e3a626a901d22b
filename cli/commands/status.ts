/**
 * `fortress status`: per data class and tier, the newest backup and its age against the bound
 * its schedule sets, the WAL archive position against the database RPO, the standby's replay
 * lag and Redis replica offsets. Exit 1 when any objective is breached, naming it.
 */
import type { CommandDef } from "../command";
import type { DatabasePositions, Driver, SnapshotClass, Tier } from "../drivers/types";
import { SNAPSHOT_CLASSES } from "../drivers/types";
import { formatSeconds } from "../parse";
import type { Json, Step, StepContext } from "../runner";
import type { StackContext } from "../stack";
import { connectStep, databaseBackupBoundSeconds, databaseRpoSeconds, driverStep, everyTierOption, snapshotSchedule, tierBound, tiersKeeping, tiersOption, toJson } from "./common";

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

const ageOf = (at: number | undefined, now: number) => (at === undefined ? null : (now - at) / 1000);
const rounded = (age: number | null) => (age === null ? null : Math.round(age));
const firstLine = (e: unknown) => (e as Error).message.split("\n")[0];

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
    ...everyTierOption,
    plan({ opts, stack }) {
        const tiers = tiersOption(opts.tier);
        const steps: Step[] = [connectStep("reach the driver (repos, database, S3)"), readDatabaseStep(stack, tiers), readSnapshotsStep(stack, tiers)];
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

/** The database: per tier its newest complete backup against the tier's bound, then the archive and standby positions. */
function readDatabaseStep(stack: StackContext, tiers: readonly Tier[]): Step {
    const rpo = databaseRpoSeconds(stack);
    return driverStep(
        { id: "read-database", phase: "act", title: `database: newest backup per tier (${tiers.join(", ")}), archive and standby positions`, budget: { seconds: 60 } },
        async (d, ctx) => {
            const now = Date.now();
            const rows: Row[] = [];
            for (const tier of tiers) rows.push(await databaseTierRow(d, ctx, stack, tier, now));
            const pos = await d.database.positions(ctx.wait());
            rows.push(...positionRows(pos, tiers, rpo, now));
            return { detail: `${rows.filter((r) => r.breached).length} of ${rows.length} rows breached`, data: { rows: toJson(rows), positions: toJson(pos) } };
        },
    );
}

/** One tier's newest complete backup against the tier's bound; an unreadable tier is breached. */
async function databaseTierRow(d: Driver, ctx: StepContext, stack: StackContext, tier: Tier, now: number): Promise<Row> {
    const bound = tierBound(d, tier, databaseBackupBoundSeconds(stack.config.tiers, tier));
    const row = (newest: string | null, age: number | null, breached: boolean, detail: string): Row => ({ dataClass: "database", tier, newest, ageSeconds: rounded(age), boundSeconds: bound.seconds, bound: bound.text, breached, detail });
    try {
        const info = await d.database.info(tier, ctx.wait());
        const done = info.backups.filter((b) => b.complete && !b.error).sort((a, b) => b.stoppedAt.getTime() - a.stoppedAt.getTime());
        const newest = done[0];
        const age = ageOf(newest?.stoppedAt.getTime(), now);
        const breached = age === null || age > bound.seconds || info.status !== "ok";
        const detail =
            info.status !== "ok" ? `repo status: ${info.status}` : age === null ? "no complete backup in this tier" : breached ? `newest backup ${formatSeconds(age)} old > ${formatSeconds(bound.seconds)}` : `within bound; archive ${info.archive.min ?? "-"} .. ${info.archive.max ?? "-"}`;
        return row(newest ? `${newest.label} (${newest.type}) at ${newest.stoppedAt.toISOString()}` : null, age, breached, detail);
    } catch (e) {
        return row(null, null, true, `cannot read the tier: ${firstLine(e)}`);
    }
}

/** The newest archived WAL per tier against the database RPO, and the standby's replay lag. */
function positionRows(pos: DatabasePositions, tiers: readonly Tier[], rpo: number, now: number): Row[] {
    const rows: Row[] = [];
    for (const tier of tiers) {
        const a = pos.archived[tier];
        if (!a) continue;
        const age = ageOf(a.at?.getTime(), now);
        rows.push({
            dataClass: "database-wal",
            tier,
            newest: a.wal ? `${a.wal}${a.at ? ` at ${a.at.toISOString()}` : ""}` : null,
            ageSeconds: rounded(age),
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
    return rows;
}

/** Cache, configuration, secrets: the newest snapshot per tier against its bound and the class RPO; then Redis replica offsets. */
function readSnapshotsStep(stack: StackContext, tiers: readonly Tier[]): Step {
    return driverStep(
        { id: "read-snapshots", phase: "act", title: "cache, configuration, secrets: newest snapshot per tier against its bound and the class RPO; Redis replica offsets", budget: { seconds: 60 } },
        async (d, ctx) => {
            const rows: Row[] = [];
            const skipped: string[] = [];
            for (const dc of SNAPSHOT_CLASSES) {
                if (!d[dc]) skipped.push(dc);
                else rows.push(...(await snapshotClassRows(d, ctx, stack, dc, tiers)));
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
    );
}

/** One snapshot class: a row per tier that keeps it, and (cache) one for its RPO, met by the newest snapshot in any tier read. */
async function snapshotClassRows(d: Driver, ctx: StepContext, stack: StackContext, dc: SnapshotClass, tiers: readonly Tier[]): Promise<Row[]> {
    const prims = d[dc]!;
    const kept = tiersKeeping(stack, dc).tiers;
    const rows: Row[] = [];
    let newestAt: number | undefined;
    for (const tier of tiers) {
        const sched = kept[tier];
        if (!sched) continue; // the stack keeps this class elsewhere (configuration tier 1 is git)
        const bound = tierBound(d, tier, snapshotSchedule(sched.snapshot));
        const row = (newest: string | null, age: number | null, breached: boolean, detail: string): Row => ({ dataClass: dc, tier, newest, ageSeconds: rounded(age), boundSeconds: bound.seconds, bound: bound.text, breached, detail });
        try {
            const snaps = [...(await prims.list(tier, ctx.wait()))].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
            const age = ageOf(snaps[0]?.takenAt.getTime(), Date.now());
            if (snaps[0]) newestAt = Math.max(newestAt ?? 0, snaps[0].takenAt.getTime());
            const detail = age === null ? "no snapshot in this tier" : age > bound.seconds ? `newest snapshot ${formatSeconds(age)} old > ${formatSeconds(bound.seconds)}` : `${formatSeconds(age)} old`;
            rows.push(row(snaps[0] ? `${snaps[0].id} at ${snaps[0].takenAt.toISOString()}` : null, age, age === null || age > bound.seconds, detail));
        } catch (e) {
            rows.push(row(null, null, true, `cannot read the tier: ${firstLine(e)}`));
        }
    }
    // Configuration's RPO is met by git, its tier 1, which status does not read; secrets have no RPO objective.
    const rpoSeconds = dc === "cache" ? stack.config.objectives.dataClasses.cache?.rpoSeconds : undefined;
    if (rpoSeconds !== undefined && rows.length > 0) {
        const age = ageOf(newestAt, Date.now());
        rows.push({ dataClass: `${dc}-rpo`, tier: tiers.join("+"), newest: newestAt === undefined ? null : new Date(newestAt).toISOString(), ageSeconds: rounded(age), boundSeconds: rpoSeconds, bound: `${dc} RPO ${formatSeconds(rpoSeconds)}`, breached: age === null || age > rpoSeconds, detail: age === null ? "no snapshot in any tier read" : `newest snapshot ${formatSeconds(age)} old ${age > rpoSeconds ? ">" : "<="} RPO ${formatSeconds(rpoSeconds)}` });
    }
    return rows;
}

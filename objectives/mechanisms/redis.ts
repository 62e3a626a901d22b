/**
 * Redis and Sentinel: their config files, rendered into ConfigMaps, and the server's volume.
 */
import { BUDGETS, vendor } from "../constants";
import { ModelContext, collect, figure, measured, quantityBytes, scaled } from "../input";
import { RESOURCE_TYPES, extract } from "../resources";
import { Bound, Term, budget, declared } from "../terms";
import { DeclaredScheduledJob, scheduledJobs } from "./jobs";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredRedisConfig {
    readonly configMap: string;
    readonly appendonly?: boolean;
    readonly appendfsync?: string;
    readonly downAfterMilliseconds?: number;
    /** maxmemory in bytes, when the server's config declares one. */
    readonly maxmemoryBytes?: number;
}

export function redisConfigs(resources: readonly RecordedResource[]) {
    return extract<DeclaredRedisConfig>(resources, RESOURCE_TYPES.configMap, (r) => {
        const data = r.inputs.data ?? {};
        const text = Object.values(data).filter((v): v is string => typeof v === "string").join("\n");
        const line = (re: RegExp) => re.exec(text)?.[1];
        const appendonly = line(/^\s*appendonly\s+(yes|no)\s*$/m);
        const appendfsync = line(/^\s*appendfsync\s+(\S+)\s*$/m);
        const maxmemory = line(/^\s*maxmemory\s+(\S+)\s*$/m);
        const downAfter = line(/^\s*sentinel\s+down-after-milliseconds\s+\S+\s+(\d+)\s*$/m);
        if (appendonly === undefined && appendfsync === undefined && downAfter === undefined) return undefined;
        return {
            configMap: String(r.inputs.metadata?.name ?? r.name),
            appendonly: appendonly === undefined ? undefined : appendonly === "yes",
            appendfsync,
            downAfterMilliseconds: downAfter === undefined ? undefined : Number(downAfter),
            maxmemoryBytes: maxmemory === undefined ? undefined : redisBytes(maxmemory),
        };
    });
}

/** redis.conf memory units (1k = 1000, 1kb = 1024, ...). */
function redisBytes(v: string): number | undefined {
    const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(v);
    if (!m) return undefined;
    const u: Record<string, number> = { k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 };
    return Number(m[1]) * (m[2] ? u[m[2].toLowerCase()] : 1);
}

// ---------------------------------------------------------------------------------------------
// Bounds

const MiB = 2 ** 20;

/** The largest data set the declared Redis can hold: maxmemory when declared, else its volume. */
export function redisDataBytes(ctx: ModelContext): { bytes: number; what: string } | undefined {
    const conf = collect(ctx, redisConfigs(ctx.resources));
    const max = conf.find((c) => c.maxmemoryBytes !== undefined)?.maxmemoryBytes;
    if (max !== undefined) return { bytes: max, what: `declared maxmemory ${Math.round(max / MiB)} MiB` };
    for (const r of ctx.resources.filter((x) => x.type === RESOURCE_TYPES.statefulSet)) {
        const claims = r.inputs.spec?.volumeClaimTemplates;
        const isRedis = r.inputs.spec?.template?.metadata?.labels?.["app.kubernetes.io/component"] === "redis";
        if (!isRedis || !Array.isArray(claims)) continue;
        const b = quantityBytes(claims[0]?.spec?.resources?.requests?.storage);
        if (b !== undefined) return { bytes: b, what: `declared volume ${Math.round(b / MiB)} MiB (no maxmemory is declared, so the volume bounds the data set)` };
    }
    return undefined;
}

export function sentinelDetection(ctx: ModelContext): Bound {
    const sentinel = collect(ctx, redisConfigs(ctx.resources)).find((c) => c.downAfterMilliseconds !== undefined);
    if (!sentinel) return { missing: `no Redis Sentinel configuration (sentinel down-after-milliseconds in a ${RESOURCE_TYPES.configMap}) is declared` };
    return {
        mechanism: `Redis Sentinel (ConfigMap ${sentinel.configMap})`,
        terms: [declared(`down-after-milliseconds ${sentinel.downAfterMilliseconds}`, sentinel.downAfterMilliseconds! / 1000, `${RESOURCE_TYPES.configMap} ${sentinel.configMap}.data (sentinel.conf)`), vendor("sentinelPingPeriod")],
    };
}

export function sentinelFailover(ctx: ModelContext): Bound {
    const m = measured(ctx, "redis.sentinel.failover_seconds", "Sentinel failover, kill to first write accepted (includes the drill's own down-after: conservative)");
    return { mechanism: "Sentinel promotes a replica", terms: [m ?? budget("Sentinel's election and promotion", 10, "allowance until the redis drill's sentinel figure exists")] };
}

/** S1 cache loss: AOF on the volume for a crash, the replica's lag for a failover. */
export function cacheCrashLoss(ctx: ModelContext): Bound {
    const server = collect(ctx, redisConfigs(ctx.resources)).find((c) => c.appendonly !== undefined);
    if (!server?.appendonly) return { missing: `Redis persistence is not declared (appendonly yes in the server's ConfigMap): a restarted server comes back empty` };
    const crash = figure(ctx, "redis.crash.lost_keys");
    const lag = ctx.input.redis.maxReplicaLagSeconds;
    const terms: Term[] = [
        crash && crash.value === 0
            ? { label: `acknowledged writes lost by kill -9 and restart on the same volume: 0 (measured, ${crash.context})`, seconds: 0, basis: "measured", source: crash.ref }
            : budget("writes lost by a process crash", 1, "appendfsync everysec: about one second (Redis persistence docs)"),
        budget(`writes a replica had not received when Sentinel promotes it (asynchronous replication)`, Math.max(lag, BUDGETS.redisAsyncReplicationLoss.seconds), `redis.maxReplicaLagSeconds ${lag} s: ${BUDGETS.redisAsyncReplicationLoss.from}`),
    ];
    return { mechanism: `AOF (appendfsync ${server.appendfsync ?? "everysec"}) on the pod's volume; Sentinel failover to an asynchronous replica`, terms };
}

export function redisBackupJobs(ctx: ModelContext): DeclaredScheduledJob[] {
    return collect(ctx, scheduledJobs(ctx.resources)).filter((j) => j.dataClass === "redis" && j.purpose === "backup" && j.worstGapSeconds !== undefined);
}

/** The snapshot job's run time at the declared data size (measured snapshot rate). */
function snapshotRun(ctx: ModelContext): Term {
    const size = redisDataBytes(ctx);
    const t = size ? scaled(ctx, "snapshot job run time", "redis.snapshot.rdb_bytes", "redis.snapshot.seconds", size.bytes, size.what) : undefined;
    return t ?? budget("the snapshot job's run time", 60, "allowance until the redis drill's snapshot figures exist (or no Redis volume is declared)");
}

/** The Redis restore from a snapshot at the declared data size. */
export function redisRestore(ctx: ModelContext): Term {
    const size = redisDataBytes(ctx);
    const t = size ? scaled(ctx, "restore of the newest snapshot and start", "redis.snapshot.rdb_bytes", "redis.restore.seconds", size.bytes, size.what) : undefined;
    return t ?? budget("restoring the newest Redis snapshot", 120, "allowance until the redis drill's restore figures exist");
}

/** Newest usable snapshot: one schedule gap plus the job's own run time old. */
export function snapshotPath(ctx: ModelContext, jobs: readonly DeclaredScheduledJob[], via: string): Bound {
    if (jobs.length === 0) return { missing: `no Redis snapshot CronJob (labelled fortress/data-class=redis, fortress/purpose=backup) writes ${via}` };
    const job = jobs.reduce((a, b) => (a.worstGapSeconds! <= b.worstGapSeconds! ? a : b));
    return {
        mechanism: `Redis snapshots ${via} (CronJob ${job.name})`,
        terms: [declared(`schedule "${job.schedule}" worst gap`, job.worstGapSeconds!, `${RESOURCE_TYPES.cronJob} ${job.name}.spec.schedule`), snapshotRun(ctx)],
    };
}

/**
 * The Redis/Valkey server and Sentinel configuration, as plain functions with no Pulumi
 * resources: the StatefulSet's ConfigMap renders them, and the Redis drill starts its real
 * `redis-server` from the same text, so the drill exercises the persistence settings that
 * production runs.
 */

export interface RedisServerConfigOptions {
    readonly port: number;
    /** Data directory (the persistent volume's mount point in the cluster). */
    readonly dir: string;
    /** Interface to listen on. @default "0.0.0.0" */
    readonly bind?: string;
}

/** AOF directory name; the restore script must be told the same (REDIS_APPENDDIRNAME). */
export const AOF_DIR_NAME = "appendonlydir";
export const RDB_FILE_NAME = "dump.rdb";

/**
 * redis.conf lines shared by every member. Replication (`replicaof`) is added at start-up by
 * the pod's entrypoint, because which member is primary is Sentinel's decision, not config.
 */
export function redisServerConfig(o: RedisServerConfigOptions): string[] {
    if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
        throw new Error(`redisServerConfig: port ${o.port} is not a TCP port; use 1-65535`);
    }
    return [
        `port ${o.port}`,
        `bind ${o.bind ?? "0.0.0.0"}`,
        "protected-mode no",
        `dir ${o.dir}`,
        `dbfilename ${RDB_FILE_NAME}`,
        // Persistence is the AOF: every acknowledged write is in the file before the reply,
        // so a killed process loses nothing and a lost machine at most about a second.
        "appendonly yes",
        `appenddirname ${AOF_DIR_NAME}`,
        "appendfsync everysec",
        "aof-use-rdb-preamble yes",
        "auto-aof-rewrite-percentage 100",
        "auto-aof-rewrite-min-size 64mb",
        // No RDB save points: the AOF already persists everything, and the snapshot CronJobs
        // take RDBs on their own schedule; save points would only add forks.
        'save ""',
        // Snapshots are taken with `redis-cli --rdb`, which the server serves like a replica
        // sync. The default 5 s diskless-sync delay would move every snapshot's consistency
        // point 5 s after the job starts; with two replicas there is little to batch.
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
        "replica-read-only yes",
        "replica-serve-stale-data yes",
    ];
}

/** How long Sentinel waits before it calls an unreachable primary down (the drill measures it). */
export const DEFAULT_DOWN_AFTER_MILLISECONDS = 5000;

export interface SentinelConfigOptions {
    readonly port: number;
    /** The monitored primary's name in Sentinel. */
    readonly masterName: string;
    /** Host (DNS name) of the primary Sentinel starts from; pod 0 until a failover moves it. */
    readonly initialPrimaryHost: string;
    readonly redisPort: number;
    /** Sentinels that must agree the primary is down. */
    readonly quorum: number;
    /** How long the primary must be unreachable before it is considered down. */
    readonly downAfterMilliseconds: number;
    readonly failoverTimeoutMilliseconds: number;
}

/**
 * sentinel.conf. Sentinel rewrites its own file as it learns the topology, so the pod copies
 * this into a writable volume at start; hostnames are used because pod IPs change.
 */
export function sentinelConfig(o: SentinelConfigOptions): string[] {
    if (o.quorum < 1) throw new Error(`sentinelConfig: quorum ${o.quorum} must be at least 1`);
    return [
        `port ${o.port}`,
        "sentinel resolve-hostnames yes",
        "sentinel announce-hostnames yes",
        `sentinel monitor ${o.masterName} ${o.initialPrimaryHost} ${o.redisPort} ${o.quorum}`,
        `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMilliseconds}`,
        `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMilliseconds}`,
        `sentinel parallel-syncs ${o.masterName} 1`,
    ];
}

/**
 * The Redis part of the failover drill, from the same config functions as the platform
 * (components/redis/config.ts):
 *   - Sentinel failover in region A (drills/redis/failover.ts, as the Redis drill runs it);
 *   - the cache at a regional failover: region A's server takes writes; the tier-2 snapshot job
 *     (jobs/redis-snapshot.sh) uploads through the WAN to region B's S3; at the partition the
 *     newest tier-2 snapshot's age is what the cache loses; after the failover, region B
 *     restores it (jobs/redis-restore.sh) and the drill counts what is missing.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { maxIntervalSeconds } from "../../components/core/cron";
import { DEFAULT_DOWN_AFTER_MILLISECONDS, redisServerConfig } from "../../components/redis/config";
import type { FortressConfig } from "../../config";
import type { Lab } from "../lab/lab";
import { poll } from "../postgres/processes";
import { sentinelFailover } from "../redis/failover";
import { freePort, runScript, sleep } from "../redis/procs";
import { RespClient } from "../redis/resp";

type Fig = (id: string, name: string, value: number | string, unit: string) => void;
type Check = (name: string, passed: boolean, detail: string) => void;

const JOBS = path.resolve(__dirname, "..", "..", "jobs");
const value = (seq: number) => `v:${seq}:${(seq * 2654435761) % 4294967296}`;

async function startRedis(lab: Lab, server: string, name: string, dir: string): Promise<{ port: number; client: RespClient }> {
    const port = await freePort();
    fs.mkdirSync(dir, { recursive: true });
    const conf = lab.dir(`${name}.conf`);
    fs.writeFileSync(conf, [...redisServerConfig({ port, dir, bind: "127.0.0.1" }), "daemonize no", ""].join("\n"));
    lab.s3procs.start(name, server, [conf], lab.dir(`${name}.log`));
    const client = await poll(`${name} on ${port}`, 60_000, async () => {
        const c = await RespClient.connect(port);
        if ((await c.command("PING")) === "PONG") return c;
        c.close();
        return undefined;
    }, 200);
    return { port, client };
}

/** Longest gap-free prefix of writer keys 1..upTo that the server holds. */
async function prefixPresent(c: RespClient, upTo: number): Promise<{ prefix: number; holes: number }> {
    let prefix = 0;
    let holes = 0;
    let inPrefix = true;
    for (let from = 1; from <= upTo; from += 1000) {
        const seqs = Array.from({ length: Math.min(1000, upTo - from + 1) }, (_, i) => from + i);
        const values = (await c.command("MGET", ...seqs.map((s) => `w:${s}`))) as (string | null)[];
        seqs.forEach((s, i) => {
            if (values[i] === value(s)) {
                if (inPrefix) prefix = s;
                else holes++;
            } else inPrefix = false;
        });
    }
    return { prefix, holes };
}

/** Region A's Sentinel failover (S1 for the cache): its figures and checks. */
async function sentinelScenario(lab: Lab, config: FortressConfig, quick: boolean, redisServer: string, fig: Fig, check: Check): Promise<void> {
    const sentinel = await sentinelFailover({
        workDir: lab.dir("A"),
        procs: lab.s3procs,
        serverCommand: redisServer,
        downAfterMilliseconds: DEFAULT_DOWN_AFTER_MILLISECONDS,
        writesPerSecond: quick ? 200 : 500,
        writeMs: quick ? 2000 : 5000,
        rtoSeconds: config.objectives.scenarios.S1.rtoSeconds,
    });
    const ids = ["failover.redis.sentinel_rto_seconds", "failover.redis.sentinel_named_seconds", "failover.redis.sentinel_lost_keys"];
    sentinel.figures.forEach((f, i) => fig(ids[i] ?? `failover.redis.sentinel_${i}`, `region A ${f.name}`, f.value, f.unit));
    for (const c of sentinel.checks) check(`region A: ${c.name}`, c.passed, c.detail);
}

/** The snapshot and restore jobs' environment against the S3 endpoint on `endpointPort` (tier-2 bucket, prefix, key). */
function jobEnv(lab: Lab, config: FortressConfig, keyFile: string, endpointPort: number): NodeJS.ProcessEnv {
    return {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))),
        AWS_ACCESS_KEY_ID: "lab",
        AWS_SECRET_ACCESS_KEY: "lab",
        AWS_REGION: config.regions.dr,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        S3_ENDPOINT_URL: `http://127.0.0.1:${endpointPort}`,
        CLOUDWATCH_ENDPOINT_URL: `http://127.0.0.1:${endpointPort}`,
        BACKUP_BUCKET: lab.tier2Bucket,
        BACKUP_PREFIX: "tier2/redis",
        BACKUP_TIER: "tier2",
        BACKUP_KEY_FILE: keyFile,
    };
}

/** Writes w:1, w:2, … at `perSecond` until stopped; ackAt[seq] is when w:seq was acknowledged. */
function startCacheWriter(client: RespClient, perSecond: number): { ackAt: number[]; stop: () => Promise<void> } {
    const ackAt: number[] = [0];
    let stopped = false;
    const started = Date.now();
    const writing = (async () => {
        while (!stopped) {
            const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
            if (ackAt.length - 1 >= due) {
                await sleep(2);
                continue;
            }
            const seq = ackAt.length;
            try {
                await client.command("SET", `w:${seq}`, value(seq));
            } catch {
                return;
            }
            ackAt.push(Date.now());
        }
    })();
    return {
        ackAt,
        stop: async () => {
            stopped = true;
            await writing;
        },
    };
}

interface CacheAtPartition {
    readonly ackAt: readonly number[];
    readonly acked: number;
    readonly tP: number;
    readonly snapStart: number;
    readonly snapEnd: number;
}

/** Region B restores the newest tier-2 snapshot from its own S3 (not through the WAN) and compares it with what region A acknowledged. */
async function checkRestoredCache(lab: Lab, config: FortressConfig, redisServer: string, env: NodeJS.ProcessEnv, at: CacheAtPartition, fig: Fig, check: Check): Promise<void> {
    const dir = lab.dir("B", "redis-restored");
    fs.mkdirSync(dir, { recursive: true });
    const restore = await runScript(path.join(JOBS, "redis-restore.sh"), [], { ...env, REDIS_DATA_DIR: dir, RESTORE_PORT: String(await freePort()) }, 300_000);
    if (restore.code !== 0) throw new Error(`redis-restore.sh in region B failed (exit ${restore.code}): ${restore.stderr.trim().split("\n").slice(-4).join(" | ")}`);
    const b = await startRedis(lab, redisServer, "redis-b", dir);
    const { prefix, holes } = await prefixPresent(b.client, at.acked);
    b.client.close();
    const { acked, snapStart, snapEnd } = at;
    const schedule = config.tiers.redis.tier2.snapshot;
    const lost = acked - prefix;
    const newestAt = at.ackAt[prefix] ?? snapStart;
    const age = (at.tP - newestAt) / 1000;
    const worst = maxIntervalSeconds(schedule) + (snapEnd - snapStart) / 1000;
    const s4 = config.objectives.scenarios.S4.rpoSeconds ?? Infinity;
    const cacheRpo = config.objectives.dataClasses.cache.rpoSeconds;
    fig("failover.redis.snapshot_age_at_partition_seconds", "Redis: newest tier-2 snapshot's data age at the partition", Math.round(age * 10) / 10, "s (newest restored write to the partition)");
    fig("failover.redis.lost_keys", "Redis: acknowledged writes lost at the regional failover", lost, `keys of ${acked}`);
    fig("failover.redis.worst_case_seconds", "Redis: worst-case cache loss at a regional failover (tier-2 interval + job)", Math.round(worst), `s (${schedule}; S4 RPO ${s4} s, cache RPO ${cacheRpo} s: ${worst <= Math.min(s4, cacheRpo) ? "within" : "NOT within"})`);
    check(
        "Redis: the cache restored in region B holds every write acknowledged before the tier-2 snapshot started, and loses only what came after",
        holes === 0 && prefix > 0 && newestAt >= snapStart - 1000 && newestAt <= snapEnd,
        `${acked} writes acknowledged before the partition; region B holds w:1..w:${prefix} (holes ${holes}); the newest restored write was acknowledged ${Math.round((newestAt - snapStart) / 100) / 10} s after the snapshot job started (job ${Math.round((snapEnd - snapStart) / 100) / 10} s); the data was ${Math.round(age * 10) / 10} s old at the partition; worst case ${Math.round(worst)} s with the tier-2 schedule ${schedule}, ${worst <= Math.min(s4, cacheRpo) ? "within" : "beyond"} the S4 RPO ${s4} s and the cache RPO ${cacheRpo} s`,
    );
}

export async function redisScenarios(lab: Lab, config: FortressConfig, quick: boolean, redisServer: string, fig: Fig, check: Check): Promise<{ atPartition: () => Promise<void>; afterFailover: () => Promise<void> }> {
    await sentinelScenario(lab, config, quick, redisServer, fig, check);

    // --- region A's cache, its tier-2 snapshot through the WAN ------------------------------------
    const keyFile = lab.dir("redis-backup.key");
    fs.writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
    const a = await startRedis(lab, redisServer, "redis-a", lab.dir("A", "redis-data"));
    const writerClient = await RespClient.connect(a.port);
    const writer = startCacheWriter(writerClient, quick ? 200 : 500);
    await sleep(1000);
    const snapStart = Date.now();
    const snap = await runScript(path.join(JOBS, "redis-snapshot.sh"), [], { ...jobEnv(lab, config, keyFile, lab.link("s3http-b").port), REDIS_HOST: "127.0.0.1", REDIS_PORT: String(a.port) }, 300_000);
    const snapEnd = Date.now();
    if (snap.code !== 0) throw new Error(`redis-snapshot.sh to tier 2 through the WAN failed (exit ${snap.code}): ${snap.stderr.trim().split("\n").slice(-4).join(" | ")}`);
    fig("failover.redis.tier2_snapshot_seconds", "Redis tier-2 snapshot job through the WAN", Math.round((snapEnd - snapStart) / 100) / 10, "s");

    let at: CacheAtPartition | undefined;
    return {
        async atPartition() {
            const tP = Date.now();
            await writer.stop();
            at = { ackAt: writer.ackAt, acked: writer.ackAt.length - 1, tP, snapStart, snapEnd };
            writerClient.close();
        },
        async afterFailover() {
            if (!at) throw new Error("redisScenarios: afterFailover before atPartition");
            try {
                await checkRestoredCache(lab, config, redisServer, jobEnv(lab, config, keyFile, lab.regionB.s3.motoPort), at, fig, check);
            } finally {
                a.client.close();
            }
        },
    };
}

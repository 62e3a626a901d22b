/**
 * The Redis drill: a real `redis-server` (or `valkey-server`: whichever drills/lib/prereqs
 * finds) and a local S3 endpoint (moto) on 127.0.0.1, and the
 * very job scripts the CronJobs run (jobs/redis-snapshot.sh, jobs/redis-restore.sh).
 *
 *  1. A server with the production persistence settings (components/redis/config.ts) is
 *     filled with a data set; a writer then sets keys continuously and logs every
 *     acknowledged write (sequence number and time) to acks.log.
 *  2. The snapshot script runs against it (tier 1 bucket) while the writer keeps writing.
 *  3. The server is killed with SIGKILL.
 *  4. Pod-restart path: a server restarted on the same directory (AOF) — what it lost.
 *  5. Volume-lost path: the restore script loads the newest snapshot into a fresh directory;
 *     a fresh server with the production settings starts on it — what it lost, measured
 *     against the acknowledged-write log and against the tier-1 snapshot interval.
 *  6. The stored object is corrupted (one flipped byte) and the restore is run again over the
 *     restored directory with --replace-existing: it must refuse, say why, and leave every
 *     file byte-identical; the same with a wrong encryption key.
 *  7. The restored server is snapshotted into an Object Lock (COMPLIANCE) bucket — tier 3.
 *  8. Sentinel: a primary, two replicas and three Sentinels; the primary is killed under
 *     writes; the time until a replica is promoted and accepts writes, and what it lacks.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { DEFAULT_DOWN_AFTER_MILLISECONDS, redisServerConfig } from "../../components/redis/config";
import { maxIntervalSeconds } from "../../components/core/cron";
import type { Drill, DrillOptions, DrillReport } from "../types";
import { Check, DrillRun, DrillSizes, Fig, beginDrill, drillReport, prodConfig, removeWorkDirIfPassed } from "../lib/drill-setup";
import { GiveUp, ProcessGroup, ScriptResult, freePort, runScript, sleep, stepTimings, waitFor } from "./procs";
import { sentinelFailover } from "./failover";
import { PrereqMissing, RedisServerTool, prereqVersions, requirePrereqs } from "../lib/prereqs";
import { RespClient } from "./resp";

const ROOT = path.resolve(__dirname, "..", "..");
const JOBS = path.join(ROOT, "jobs");
const STORE_PY = path.join(__dirname, "store.py");
const REGION = "eu-west-1";

const now = () => performance.timeOrigin + performance.now();

interface Sizes {
    readonly prefillKeys: number;
    readonly valueBytes: number;
    readonly writesPerSecond: number;
    readonly warmupMs: number;
    /** Writing goes on this long after the snapshot job finished, then the server is killed. */
    readonly afterSnapshotMs: number;
}

const SIZES: DrillSizes<Sizes> = { quick: { prefillKeys: 100_000, valueBytes: 256, writesPerSecond: 500, warmupMs: 2_000, afterSnapshotMs: 2_000 }, full: { prefillKeys: 1_000_000, valueBytes: 256, writesPerSecond: 1_000, warmupMs: 5_000, afterSnapshotMs: 10_000 } };

function prefillValue(i: number, bytes: number): string {
    const h = createHash("sha256").update(`p:${i}`).digest("hex");
    return h.repeat(Math.ceil(bytes / h.length)).slice(0, bytes);
}
const writerValue = (seq: number) => `w:${seq}:${(seq * 2654435761) % 4294967296}`;

/** The tier-1 Redis schedule, cache RPO and S1 RTO of the prod stack (its file, defaults filled in by the schema). */
function prodObjectives(): { schedule: string; intervalSeconds: number; cacheRpoSeconds: number; s1RtoSeconds: number; source: string } {
    const { config, source } = prodConfig();
    const schedule = config.tiers.redis.tier1.snapshot;
    return {
        schedule,
        intervalSeconds: maxIntervalSeconds(schedule),
        cacheRpoSeconds: config.objectives.dataClasses.cache.rpoSeconds,
        s1RtoSeconds: config.objectives.scenarios.S1.rtoSeconds,
        source: `${source} (tiers.redis.tier1)`,
    };
}

/** sha256 of every file under `dir`, path-sorted: equal before and after means untouched. */
function treeDigest(dir: string): { files: number; digest: string } {
    const entries: string[] = [];
    const walk = (d: string) => {
        for (const name of fs.readdirSync(d).sort()) {
            const p = path.join(d, name);
            const st = fs.statSync(p);
            if (st.isDirectory()) walk(p);
            else entries.push(`${path.relative(dir, p)} ${st.size} ${createHash("sha256").update(fs.readFileSync(p)).digest("hex")}`);
        }
    };
    walk(dir);
    return { files: entries.length, digest: createHash("sha256").update(entries.join("\n")).digest("hex") };
}

class Writer {
    /** ackAt[seq] = when the server's reply to SET w:<seq> arrived (epoch ms). */
    readonly ackAt: number[] = [0];
    private stopRequested = false;
    stoppedBy: string | undefined;
    private done: Promise<void> | undefined;

    constructor(private readonly client: RespClient, private readonly perSecond: number, private readonly log: fs.WriteStream) {}

    get lastAcked(): number {
        return this.ackAt.length - 1;
    }

    start(): void {
        const started = now();
        this.done = (async () => {
            while (!this.stopRequested) {
                const due = Math.floor(((now() - started) / 1000) * this.perSecond);
                if (this.lastAcked >= due) {
                    await sleep(2);
                    continue;
                }
                const seq = this.lastAcked + 1;
                try {
                    await this.client.command("SET", `w:${seq}`, writerValue(seq));
                } catch (e) {
                    this.stoppedBy = e instanceof Error ? e.message : String(e);
                    return;
                }
                const at = now();
                this.ackAt.push(at);
                this.log.write(`${seq} ${at.toFixed(1)}\n`);
            }
        })();
    }

    async stop(): Promise<void> {
        this.stopRequested = true;
        await this.done;
    }

    /** Waits until the writer has noticed its connection is gone (after a kill). */
    async stopped(timeoutMs: number): Promise<void> {
        await Promise.race([this.done, sleep(timeoutMs)]);
        this.stopRequested = true;
    }
}

/** Which writer keys 1..upTo a server holds: the longest gap-free prefix, and any strays. */
async function writerKeysPresent(c: RespClient, upTo: number): Promise<{ prefix: number; holes: number; wrongValues: number; beyond: number }> {
    let prefix = 0;
    let holes = 0;
    let wrongValues = 0;
    let beyond = 0;
    let inPrefix = true;
    for (let from = 1; from <= upTo + 1; from += 1000) {
        const seqs = Array.from({ length: Math.min(1000, upTo + 1 - from + 1) }, (_, i) => from + i);
        const values = (await c.command("MGET", ...seqs.map((s) => `w:${s}`))) as (string | null)[];
        seqs.forEach((s, i) => {
            const v = values[i];
            if (v === null) {
                inPrefix = false;
                return;
            }
            if (v !== writerValue(s)) wrongValues++;
            if (inPrefix) prefix = s;
            else if (s <= upTo) holes++;
            else beyond++;
        });
    }
    return { prefix, holes, wrongValues, beyond };
}

async function prefillIntact(c: RespClient, n: number, bytes: number): Promise<{ missing: number; wrong: number }> {
    let missing = 0;
    let wrong = 0;
    for (let from = 0; from < n; from += 1000) {
        const ids = Array.from({ length: Math.min(1000, n - from) }, (_, i) => from + i);
        const values = (await c.command("MGET", ...ids.map((i) => `p:${i}`))) as (string | null)[];
        ids.forEach((id, k) => {
            if (values[k] === null) missing++;
            else if (values[k] !== prefillValue(id, bytes)) wrong++;
        });
    }
    return { missing, wrong };
}

function httpUp(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/", timeout: 1000 }, (res) => {
            res.resume();
            resolve(true);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => {
            req.destroy();
            resolve(false);
        });
    });
}

function lastLines(text: string, n = 4): string {
    return text.trim().split("\n").slice(-n).join(" | ");
}

const sec = (ms: number) => Math.round(ms) / 1000;

/** The production key layout: <tier>/<dataClass>/ (components/storage/retention.ts). */
const TIER1 = { BACKUP_BUCKET: "drill-tier1", BACKUP_PREFIX: "tier1/redis", BACKUP_TIER: "tier1" };
const TIER3 = { BACKUP_BUCKET: "drill-tier3-locked", BACKUP_PREFIX: "tier3/redis", BACKUP_TIER: "tier3" };
const DIRS = { a: "server-a", b: "server-b", naive: "naive" } as const;

export const run: Drill = async (options: DrillOptions): Promise<DrillReport> => {
    const drill = beginDrill(options, SIZES);
    // One line naming the package when something is missing (the runner prints it as is).
    const prereqs = requirePrereqs(["redis", "lz4", "moto", "boto3", "jq", "openssl"]);
    const redis = prereqs.redis;
    if (!redis.cli || !redis.checkRdb) {
        throw new PrereqMissing(`${redis.flavour}-cli or ${redis.flavour}-check-rdb is missing beside ${redis.command}: apt-get install ${redis.flavour}-tools`, [{ what: `${redis.flavour}-cli`, install: `apt-get install ${redis.flavour}-tools` }]);
    }
    const d = await prepare(options.workDir, drill, redis);
    try {
        await startS3(d);
        const crash = await snapshotThenKill(d);
        await podRestart(d, crash);
        const restored = await restoreNewest(d);
        await checkRestored(d, crash, restored);
        await tier3Snapshot(d);
        await refusals(d, restored);
        if (crash.writer.stoppedBy === undefined) throw new Error("the writer did not notice the kill: the server was not killed");

        // --- 8. Sentinel: the primary killed under writes, a replica promoted -------------------
        const failover = await sentinelFailover({
            workDir: options.workDir,
            procs: d.procs,
            serverCommand: redis.command,
            downAfterMilliseconds: DEFAULT_DOWN_AFTER_MILLISECONDS,
            writesPerSecond: d.sizes.writesPerSecond,
            writeMs: d.sizes.warmupMs,
            rtoSeconds: d.objectives.s1RtoSeconds,
        });
        drill.figures.push(...failover.figures);
        drill.checks.push(...failover.checks);
    } finally {
        await d.procs.stopAll();
    }
    // Kept when a check failed, for the logs and data directories; gone otherwise.
    if (!removeWorkDirIfPassed(drill, options.workDir)) console.error(`redis drill: work directory kept for inspection: ${options.workDir}`);
    return drillReport("redis", drill, prereqVersions(prereqs));
};

type ProdObjectives = ReturnType<typeof prodObjectives>;
interface StartedRedis {
    readonly ms: number;
    readonly client: RespClient;
    readonly pid: number;
}

/** What every step of the Redis drill shares: sizes, objectives, recorders, the servers' tools, ports and environment. */
interface RedisDrill {
    readonly workDir: string;
    readonly sizes: Sizes;
    readonly objectives: ProdObjectives;
    readonly fig: Fig;
    readonly check: Check;
    readonly procs: ProcessGroup;
    readonly redis: RedisServerTool;
    readonly keyFile: string;
    readonly wrongKeyFile: string;
    readonly ports: { readonly moto: number; readonly a: number; readonly b: number; readonly restore: number; readonly naive: number };
    /** Loopback-only AWS settings and the server tools, for the job scripts and store.py. */
    readonly env: NodeJS.ProcessEnv;
}

/** The snapshot taken while the writer wrote, and the kill after it. */
interface Crash {
    readonly writer: Writer;
    readonly snap: ScriptResult;
    readonly snapStart: number;
    readonly snapEnd: number;
    readonly snapSteps: Record<string, number>;
    readonly killAt: number;
    readonly lastAcked: number;
    /** The writer's achieved rate, writes per second. */
    readonly rate: number;
}

/** The newest snapshot restored into a fresh directory, and the production server started on it. */
interface Restored {
    readonly b: StartedRedis;
    readonly restore: ScriptResult;
    readonly manifestKey: string;
    readonly objectKey: string;
    readonly naiveKeys: number;
}


/** Directories, the backup keys (right and wrong), ports and the loopback-only environment. */
async function prepare(workDir: string, drill: DrillRun<Sizes>, redis: RedisServerTool): Promise<RedisDrill> {
    const objectives = prodObjectives();
    const procs = new ProcessGroup();
    for (const dir of Object.values(DIRS)) fs.mkdirSync(path.join(workDir, dir), { recursive: true });
    const keyFile = path.join(workDir, "backup.key");
    fs.writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
    const wrongKeyFile = path.join(workDir, "wrong.key");
    fs.writeFileSync(wrongKeyFile, randomBytes(32).toString("hex"), { mode: 0o600 });

    const [motoPort, portA, portB, restorePort, naivePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const endpoint = `http://127.0.0.1:${motoPort}`;
    // Only loopback credentials and endpoints: nothing from the caller's AWS environment.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
    Object.assign(env, {
        AWS_ACCESS_KEY_ID: "drill",
        AWS_SECRET_ACCESS_KEY: "drill",
        AWS_REGION: REGION,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        S3_ENDPOINT_URL: endpoint,
        CLOUDWATCH_ENDPOINT_URL: endpoint,
        // The jobs run the same server and tools the drill found (redis-* or valkey-*).
        REDIS_SERVER: redis.command,
        REDIS_CLI: redis.cli,
        REDIS_CHECK_RDB: redis.checkRdb,
    });
    return {
        workDir,
        sizes: drill.sizes,
        objectives,
        fig: drill.fig,
        check: drill.check,
        procs,
        redis,
        keyFile,
        wrongKeyFile,
        ports: { moto: motoPort, a: portA, b: portB, restore: restorePort, naive: naivePort },
        env,
    };
}

/** store.py (S3 and CloudWatch on moto) with the drill's environment; its JSON answer, if any. */
async function store(d: RedisDrill, ...args: string[]) {
    const r = await runScript("python3", [STORE_PY, ...args], d.env, 60_000);
    if (r.code !== 0) throw new Error(`store.py ${args.join(" ")} failed: ${lastLines(r.stderr)}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** One of the repository's job scripts (jobs/<name>), with the drill's environment and backup key. */
function script(d: RedisDrill, name: string, vars: Record<string, string>, args: string[] = []): Promise<ScriptResult> {
    return runScript(path.join(JOBS, name), args, { ...d.env, ...vars, BACKUP_KEY_FILE: vars.BACKUP_KEY_FILE ?? d.keyFile }, 900_000);
}

/** A server with the production settings on `dir`, once it answers PING (the data set loaded). */
async function startRedis(d: RedisDrill, name: string, dir: string, port: number): Promise<StartedRedis> {
    const conf = path.join(d.workDir, `${name}.conf`);
    fs.writeFileSync(conf, [...redisServerConfig({ port, dir: path.join(d.workDir, dir), bind: "127.0.0.1" }), "daemonize no", ""].join("\n"));
    const t = now();
    const m = d.procs.start(name, d.redis.command, [conf], path.join(d.workDir, `${name}.log`));
    let client: RespClient | undefined;
    await waitFor(`${name} to accept connections on ${port}`, 300_000, async () => {
        if (m.child.exitCode !== null) throw new GiveUp(`${name} exited with ${m.child.exitCode}; see ${name}.log in ${d.workDir}`);
        // A connection made while the server starts can be dropped; start over with a new one.
        if (client?.closed) client = undefined;
        client ??= await RespClient.connect(port);
        const c = client;
        // PING answers -LOADING until the data set is in memory; an unanswered PING is retried.
        const reply = await Promise.race([c.command("PING"), sleep(2000).then(() => "no answer")]);
        if (reply === "no answer") {
            c.close();
            client = undefined;
        }
        return reply === "PONG";
    });
    return { ms: now() - t, client: client!, pid: m.child.pid! };
}

async function shutdown(c: RespClient): Promise<void> {
    await c.command("SHUTDOWN").catch(() => undefined); // the connection drops as it exits
    c.close();
}

/** The S3 endpoint (moto) and the tier-1 and tier-3 (Object Lock) buckets. */
async function startS3(d: RedisDrill): Promise<void> {
    d.procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(d.ports.moto)], path.join(d.workDir, "moto.log"), d.env);
    await waitFor(`moto_server on ${d.ports.moto}`, 30_000, () => httpUp(d.ports.moto));
    await store(d, "bucket", TIER1.BACKUP_BUCKET);
    await store(d, "bucket", TIER3.BACKUP_BUCKET, "1");
}

/** 1-3: the production server filled, the writer writing, a tier-1 snapshot while it writes, then SIGKILL. */
async function snapshotThenKill(d: RedisDrill): Promise<Crash> {
    const { fig, check, sizes } = d;
    // --- 1. The production server, a data set, the writer -----------------------------
    const a = await startRedis(d, "server-a", DIRS.a, d.ports.a);
    const t = now();
    for (let from = 0; from < sizes.prefillKeys; from += 1000) {
        const batch: Promise<unknown>[] = [];
        for (let i = from; i < Math.min(from + 1000, sizes.prefillKeys); i++) batch.push(a.client.command("SET", `p:${i}`, prefillValue(i, sizes.valueBytes)));
        await Promise.all(batch);
    }
    fig("redis.prefill.keys", "prefill keys", sizes.prefillKeys, "keys");
    fig("redis.prefill.seconds", "prefill time", sec(now() - t), "s");
    const ackLog = fs.createWriteStream(path.join(d.workDir, "acks.log"));
    const writer = new Writer(await RespClient.connect(d.ports.a), sizes.writesPerSecond, ackLog);
    const writerStart = now();
    writer.start();
    await sleep(sizes.warmupMs);

    // --- 2. Snapshot to tier 1 while writing --------------------------------------------
    const snapStart = now();
    const snap = await script(d, "redis-snapshot.sh", { ...TIER1, REDIS_HOST: "127.0.0.1", REDIS_PORT: String(d.ports.a) });
    const snapEnd = now();
    if (snap.code !== 0) throw new Error(`redis-snapshot.sh failed (exit ${snap.code}): ${lastLines(snap.stderr)}`);
    const snapSteps = stepTimings(snap.stderr);
    fig("redis.snapshot.seconds", "snapshot total", sec(snap.ms), "s");
    for (const s of ["dump", "check", "compress", "encrypt", "manifest", "upload"]) fig(`redis.snapshot.step.${s}_seconds`, `snapshot step ${s}`, sec(snapSteps[s] ?? NaN), "s");
    const rdbBytes = Number(/step=dump ms=\d+ bytes=(\d+)/.exec(snap.stderr)?.[1] ?? NaN);
    const storedBytes = Number(/step=upload ms=\d+ bytes=(\d+)/.exec(snap.stderr)?.[1] ?? NaN);
    fig("redis.snapshot.rdb_bytes", "snapshot RDB size", rdbBytes, "bytes");
    fig("redis.snapshot.stored_bytes", "snapshot stored size (lz4 + aes)", storedBytes, "bytes");

    const metric = await store(d, "metric", "Fortress/Backups", "NewestBackupAgeSeconds", "DataClass=redis", "Tier=tier1");
    check(
        "the snapshot run publishes the newest-backup age",
        metric.count >= 1 && metric.latest !== null && metric.latest <= Math.ceil(snap.ms / 1000) + 2,
        `Fortress/Backups NewestBackupAgeSeconds{DataClass=redis,Tier=tier1}: ${metric.count} datapoint(s), latest ${metric.latest} s (job took ${sec(snap.ms)} s)`,
    );

    // --- 3. Crash -------------------------------------------------------------------------
    await sleep(sizes.afterSnapshotMs);
    const killAt = now();
    process.kill(a.pid, "SIGKILL");
    await writer.stopped(5_000);
    ackLog.end();
    a.client.close();
    const lastAcked = writer.lastAcked;
    const rate = lastAcked / ((writer.ackAt[lastAcked] - writerStart) / 1000);
    fig("redis.writer.acked_writes", "writer acknowledged writes", lastAcked, "writes");
    fig("redis.writer.writes_per_second", "writer rate", Math.round(rate), "writes/s");
    fig("redis.crash.kill_after_snapshot_seconds", "kill -9 after snapshot start", sec(killAt - snapStart), "s");
    return { writer, snap, snapStart, snapEnd, snapSteps, killAt, lastAcked, rate };
}

/** 4. Pod restart: the killed server restarted on the same directory (AOF) loses nothing acknowledged. */
async function podRestart(d: RedisDrill, crash: Crash): Promise<void> {
    const { lastAcked } = crash;
    const a = await startRedis(d, "server-a-restarted", DIRS.a, d.ports.a);
    d.fig("redis.crash.restart_seconds", "restart on same volume (AOF load) to ready", sec(a.ms), "s");
    const aof = await writerKeysPresent(a.client, lastAcked);
    const aofPrefill = await prefillIntact(a.client, d.sizes.prefillKeys, d.sizes.valueBytes);
    d.fig("redis.crash.lost_keys", "keys lost, restart on same volume (AOF everysec)", lastAcked - aof.prefix, "keys");
    d.check(
        "kill -9 then restart on the same volume (AOF everysec) loses no acknowledged write",
        aof.prefix === lastAcked && aof.holes === 0 && aof.wrongValues === 0 && aofPrefill.missing + aofPrefill.wrong === 0,
        `writer keys present 1..${aof.prefix} of ${lastAcked} acknowledged (holes ${aof.holes}, wrong values ${aof.wrongValues}, unacknowledged-but-applied ${aof.beyond}); data set missing ${aofPrefill.missing}, wrong ${aofPrefill.wrong}`,
    );
    await shutdown(a.client);
}

/** 5. Volume lost: the restore script loads the newest snapshot into a fresh directory; the production server starts on it. */
async function restoreNewest(d: RedisDrill): Promise<Restored> {
    const { fig } = d;
    const restore = await script(d, "redis-restore.sh", { ...TIER1, REDIS_DATA_DIR: path.join(d.workDir, DIRS.b), RESTORE_PORT: String(d.ports.restore) });
    if (restore.code !== 0) throw new Error(`redis-restore.sh failed (exit ${restore.code}): ${lastLines(restore.stderr)}`);
    const restoreSteps = stepTimings(restore.stderr);
    fig("redis.restore.seconds", "restore total", sec(restore.ms), "s");
    for (const s of ["download", "verify", "decrypt", "decompress", "check", "place", "load", "aof"]) fig(`redis.restore.step.${s}_seconds`, `restore step ${s}`, sec(restoreSteps[s] ?? NaN), "s");
    const manifestKey = /restoring from s3:\/\/[^/]+\/(\S+)/.exec(restore.stderr)?.[1];
    if (!manifestKey) throw new Error(`redis-restore.sh did not say which snapshot it restored: ${lastLines(restore.stderr)}`);
    const objectKey = manifestKey.replace(/\.manifest\.json$/, ".rdb.lz4.enc");

    // The trap the restore procedure avoids: AOF on over a directory holding only the RDB.
    fs.copyFileSync(path.join(d.workDir, DIRS.b, "dump.rdb"), path.join(d.workDir, DIRS.naive, "dump.rdb"));
    const naive = await startRedis(d, "naive", DIRS.naive, d.ports.naive);
    const naiveKeys = Number(await naive.client.command("DBSIZE"));
    await shutdown(naive.client);
    fig("redis.restore.naive_aof_keys", "keys seen by a server started with appendonly yes over the RDB alone", naiveKeys, "keys");

    const b = await startRedis(d, "server-b", DIRS.b, d.ports.b);
    fig("redis.restore.start_seconds", "fresh server (appendonly yes) on restored volume to ready", sec(b.ms), "s");
    return { b, restore, manifestKey, objectKey, naiveKeys };
}

/** 5, measured: what the restored server lost against the acknowledged-write log and the tier-1 interval. */
async function checkRestored(d: RedisDrill, crash: Crash, restored: Restored): Promise<void> {
    const { fig, check, sizes, objectives } = d;
    const { writer, lastAcked, snap, snapStart, snapEnd, killAt } = crash;
    const { b } = restored;
    const restoredKeys = await writerKeysPresent(b.client, lastAcked);
    const restoredPrefill = await prefillIntact(b.client, sizes.prefillKeys, sizes.valueBytes);
    const point = restoredKeys.prefix;
    const lost = lastAcked - point;
    const lossWindowMs = lost === 0 ? 0 : writer.ackAt[lastAcked] - writer.ackAt[point];
    const dumpMs = crash.snapSteps.dump ?? NaN;
    fig("redis.restore.lost_keys", "keys lost, restore from newest snapshot", lost, "keys");
    fig("redis.restore.loss_window_seconds", "loss window (acknowledged writes not in the snapshot)", sec(lossWindowMs), "s");
    fig("redis.snapshot.consistency_point_seconds", "snapshot consistency point after job start", point === 0 ? "before writer" : sec(writer.ackAt[point] - snapStart), "s");
    fig("redis.config.tier1_interval_seconds", "tier-1 snapshot interval", objectives.intervalSeconds, `s (${objectives.schedule}, ${objectives.source})`);
    fig("redis.snapshot.writes_at_risk", "writes at risk over one full interval at this rate", Math.round(crash.rate * (objectives.intervalSeconds + snap.ms / 1000)), "writes");
    fig("redis.snapshot.loss_bound_seconds", "worst-case snapshot loss bound (interval + job duration)", objectives.intervalSeconds + sec(snap.ms), `s (cache RPO objective ${objectives.cacheRpoSeconds} s)`);
    fig("redis.restore.recovery_seconds", "recovery time, volume lost (restore + start)", sec(restored.restore.ms + b.ms), "s");

    check(
        "the restored data set is complete and correct",
        restoredPrefill.missing === 0 && restoredPrefill.wrong === 0,
        `${sizes.prefillKeys} keys checked by value: ${restoredPrefill.missing} missing, ${restoredPrefill.wrong} wrong`,
    );
    check(
        "restored writer keys are a gap-free prefix of the acknowledged writes, each with its value",
        restoredKeys.holes === 0 && restoredKeys.wrongValues === 0 && restoredKeys.beyond === 0 && point > 0,
        `present w:1..w:${point}; holes ${restoredKeys.holes}, wrong values ${restoredKeys.wrongValues}, keys past the prefix ${restoredKeys.beyond}`,
    );
    const nextAck = writer.ackAt[point + 1] ?? Infinity;
    check(
        "the snapshot's consistency point lies within the snapshot job's run: nothing acknowledged before the job started is lost",
        nextAck >= snapStart && writer.ackAt[point] <= snapEnd,
        `last write in the snapshot acknowledged ${sec(writer.ackAt[point] - snapStart)} s after the job started, first missing write ${sec(nextAck - snapStart)} s after; the job ran ${sec(snapEnd - snapStart)} s, its dump step ${sec(dumpMs)} s`,
    );
    check(
        "keys lost by the snapshot restore are bounded by the time since the snapshot, within the tier-1 interval",
        lossWindowMs <= killAt - snapStart && lossWindowMs / 1000 <= objectives.intervalSeconds,
        `${lost} writes lost over ${sec(lossWindowMs)} s; the kill came ${sec(killAt - snapStart)} s after the snapshot started; the interval is ${objectives.intervalSeconds} s, so the worst case is about ${objectives.intervalSeconds + sec(snap.ms)} s of writes`,
    );
    check(
        "the restore loads with AOF off, then enables it: the production server (appendonly yes) starts with every restored key",
        Number(await b.client.command("DBSIZE")) === sizes.prefillKeys + point && fs.existsSync(path.join(d.workDir, DIRS.b, "appendonlydir")),
        `fresh server holds ${await b.client.command("DBSIZE")} keys (${sizes.prefillKeys} + ${point}); a server started with appendonly yes over the RDB alone saw ${restored.naiveKeys}`,
    );
}

/** 7. Tier 3: the restored server snapshotted into the Object Lock (COMPLIANCE) bucket. */
async function tier3Snapshot(d: RedisDrill): Promise<void> {
    const snap3 = await script(d, "redis-snapshot.sh", { ...TIER3, REDIS_HOST: "127.0.0.1", REDIS_PORT: String(d.ports.b) });
    const lockedKeys = snap3.code === 0 ? /stored s3:\/\/[^/]+\/(\S+)/.exec(snap3.stderr)?.[1] : undefined;
    const head = lockedKeys ? await store(d, "head", TIER3.BACKUP_BUCKET, lockedKeys.replace(/\.manifest\.json$/, ".rdb.lz4.enc")) : undefined;
    const bare = await store(d, "put-without-checksum", TIER3.BACKUP_BUCKET, "tier3/redis/bare-control-object");
    d.check(
        "snapshots upload into an Object Lock (COMPLIANCE) bucket with the integrity header it requires",
        snap3.code === 0 && head?.lockMode === "COMPLIANCE" && typeof head?.checksumSha256 === "string" && bare.accepted === false,
        snap3.code === 0
            ? `stored with SHA-256 checksum ${head?.checksumSha256}, lock ${head?.lockMode} until ${head?.retainUntil}; a PutObject without Content-MD5 or checksum was ${bare.accepted ? "accepted" : `refused (${bare.error})`}`
            : `redis-snapshot.sh to the locked bucket failed (exit ${snap3.code}): ${lastLines(snap3.stderr)}`,
    );
}

/** 6. Refusals: a wrong key, then one flipped byte in the stored object; the data directory must not change. */
async function refusals(d: RedisDrill, restored: Restored): Promise<void> {
    const { check } = d;
    const { b, manifestKey, objectKey } = restored;
    const keysBefore = Number(await b.client.command("DBSIZE"));
    await shutdown(b.client);
    await sleep(200);
    const bDir = path.join(d.workDir, DIRS.b);
    const before = treeDigest(bDir);
    const restoreVars = { ...TIER1, REDIS_DATA_DIR: bDir, RESTORE_PORT: String(d.ports.restore), MANIFEST_KEY: manifestKey };

    const wrongKey = await script(d, "redis-restore.sh", { ...restoreVars, BACKUP_KEY_FILE: d.wrongKeyFile }, ["--replace-existing"]);
    const afterWrongKey = treeDigest(bDir);
    check(
        "a restore with the wrong encryption key is refused and the data directory is untouched",
        wrongKey.code !== 0 && /REFUSED: decryption/.test(wrongKey.stderr) && afterWrongKey.digest === before.digest,
        `exit ${wrongKey.code}: "${/ERROR: (.*)/.exec(wrongKey.stderr)?.[1] ?? lastLines(wrongKey.stderr)}"; ${before.files} files ${afterWrongKey.digest === before.digest ? "byte-identical" : "CHANGED"}`,
    );

    const corruption = await store(d, "corrupt", TIER1.BACKUP_BUCKET, objectKey);
    const corrupt = await script(d, "redis-restore.sh", restoreVars, ["--replace-existing"]);
    const after = treeDigest(bDir);
    const message = /ERROR: (.*)/.exec(corrupt.stderr)?.[1] ?? lastLines(corrupt.stderr);
    d.fig("redis.restore.corrupt_refused_seconds", "corrupt snapshot refused after", sec(corrupt.ms), "s");
    const b2 = await startRedis(d, "server-b-after-refusal", DIRS.b, d.ports.b);
    const keysAfter = Number(await b2.client.command("DBSIZE"));
    const intactAfter = await prefillIntact(b2.client, d.sizes.prefillKeys, d.sizes.valueBytes);
    await shutdown(b2.client);
    check(
        "a corrupted snapshot (one flipped byte) is refused with a clear message",
        corrupt.code !== 0 && /REFUSED: sha256 mismatch/.test(corrupt.stderr) && corrupt.stderr.includes(objectKey),
        `byte ${corruption.offset} of s3://${TIER1.BACKUP_BUCKET}/${objectKey} flipped; exit ${corrupt.code}: "${message}"`,
    );
    check(
        "the refused restore left the existing data untouched",
        after.digest === before.digest && keysAfter === keysBefore && intactAfter.missing + intactAfter.wrong === 0,
        `${before.files} files in the data directory ${after.digest === before.digest ? "byte-identical" : "CHANGED"} (sha256 of the tree ${before.digest.slice(0, 16)}…); server restarted with ${keysAfter} keys (before: ${keysBefore}), data set ${intactAfter.missing} missing, ${intactAfter.wrong} wrong`,
    );
}

/**
 * The lab's snapshot data classes — cache (Redis), configuration and secrets — through the SAME
 * job scripts the platform's CronJobs run (one implementation of the storage pipeline):
 *
 *   cache          jobs/redis-snapshot.sh (redis-cli --rdb → redis-check-rdb → lz4 → AES-256 →
 *                  object, then a sha256 manifest) and jobs/redis-restore.sh (fetch, checksums,
 *                  decrypt, redis-check-rdb, load with AOF off, AOF rewrite; --verify-only checks
 *                  without touching anything)
 *   configuration  jobs/dir-bundle-backup.sh of the lab's configuration directory (exported
 *   secrets        objects / secret material), restored with jobs/backup-fetch.sh, then
 *                  `tar -x` and `sha256sum -c` of the bundle's own index
 *
 * Objects live in the lab's snapshot bucket per tier (description `snapshots`) under
 * <tier>/redis, <tier>/configuration, <tier>/secrets — the platform's layout. A snapshot counts
 * (take) only once its manifest is listed, the stored object's size and sha256 match the
 * manifest, and it decrypts and loads (verify); the script's exit code alone is never trusted.
 */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { snapshotClassKey, untilDeadline } from "../types";
import type { CachePrimitives, FenceProof, Finding, ProbeResult, RestoreDestination, Snapshot, SnapshotPrimitives, SnapshotProbe, SnapshotClass, SnapshotRestored, Tier, Wait } from "../types";
import { PreflightError, StepFailed } from "../../errors";
import type { LabDescription } from "./description";
import { ExecResult, execBounded, freePort, pollUntil } from "./exec";
import { listening } from "./pg";

const JOBS = path.resolve(__dirname, "..", "..", "..", "jobs");

/** The key prefix of a class in a tier: the platform's layout (components/redis/snapshots.ts: `${tier}/redis/`). */
export const snapshotPrefix = (dc: SnapshotClass, tier: Tier) => `${tier}/${snapshotClassKey(dc)}`;

interface Manifest {
    format: string;
    dataClass: string;
    createdAt: string;
    createdAtEpoch: number;
    object: string;
    sha256: string;
    size: number;
    plaintext: { sha256: string; size: number; keys?: number; expires?: number; files?: number };
}


/** The one line a job script's failure says (its last "ERROR: ..." line), without the timestamp and job name. */
export function jobError(r: ExecResult): string {
    const lines = r.stderr.trim().split("\n");
    const err = [...lines].reverse().find((l) => / ERROR: /.test(l));
    return (err ? err.replace(/^.*? ERROR: /, "") : lines.filter((l) => !/step=|FAILED \(exit/.test(l)).pop() ?? `exit ${r.code}`).trim();
}

/** Shared by the three classes: the bucket, the manifests, the job scripts' environment. */
class LabSnapshotStore {
    constructor(
        readonly desc: LabDescription,
        readonly s3: S3Client | undefined,
    ) {}

    bucket(tier: Tier): string {
        const b = this.desc.snapshots?.buckets[tier];
        if (!this.desc.snapshots || !this.desc.s3 || !this.s3) throw new PreflightError("the lab description has no snapshots/s3 section: the snapshot data classes have nowhere to go");
        if (!b) throw new PreflightError(`the lab has no snapshot bucket for ${tier} (lab description snapshots.buckets.${tier})`);
        return b;
    }

    /** The environment of a job script: the lab's S3 endpoint and keys only (never a credential from this shell, never a metadata service). */
    env(tier: Tier, dc: SnapshotClass, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_") && !k.startsWith("BACKUP_") && k !== "MANIFEST_KEY" && k !== "WORK_DIR"));
        const s3 = this.desc.s3!;
        const r = this.desc.redis;
        return {
            ...base,
            AWS_ACCESS_KEY_ID: s3.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
            AWS_REGION: s3.region,
            AWS_EC2_METADATA_DISABLED: "true",
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            S3_ENDPOINT_URL: s3.endpoint,
            CLOUDWATCH_ENDPOINT_URL: s3.endpoint,
            BACKUP_TIER: tier,
            BACKUP_BUCKET: this.bucket(tier),
            BACKUP_PREFIX: snapshotPrefix(dc, tier),
            BACKUP_KEY_FILE: this.desc.snapshots!.keyFile,
            ...(r ? { REDIS_SERVER: r.server ?? "redis-server", REDIS_CLI: r.cli ?? "redis-cli", REDIS_CHECK_RDB: r.checkRdb ?? "redis-check-rdb" } : {}),
            ...extra,
        };
    }

    job(script: string, args: readonly string[], env: NodeJS.ProcessEnv, wait: Wait): Promise<ExecResult> {
        return execBounded("bash", [path.join(JOBS, script), ...args], { deadline: wait.deadline, env, what: `jobs/${script}` });
    }

    async list(dc: SnapshotClass, tier: Tier, wait: Wait): Promise<Snapshot[]> {
        const bucket = this.bucket(tier);
        const prefix = `${snapshotPrefix(dc, tier)}/`;
        const keys: string[] = [];
        let token: string | undefined;
        do {
            const r = await this.s3!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), untilDeadline(wait));
            for (const c of r.Contents ?? []) if (c.Key?.endsWith(".manifest.json")) keys.push(c.Key);
            token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
        const out: Snapshot[] = [];
        for (const key of keys.sort()) {
            const m = await this.manifest(bucket, key, wait).catch(() => undefined);
            if (!m || m.format !== "fortress-backup/1" || m.dataClass !== snapshotClassKey(dc) /* jobs/lib/backup.sh backup_store's second argument */) continue;
            const counts: Record<string, number> = {};
            for (const k of ["keys", "expires", "files"] as const) if (typeof m.plaintext?.[k] === "number") counts[k] = m.plaintext[k]!;
            out.push({ dataClass: dc, tier, id: key, object: `s3://${bucket}/${m.object}`, takenAt: new Date(m.createdAtEpoch * 1000), sizeBytes: m.size, sha256: m.sha256, counts });
        }
        return out;
    }

    async manifest(bucket: string, key: string, wait: Wait): Promise<Manifest> {
        const r = await this.s3!.send(new GetObjectCommand({ Bucket: bucket, Key: key }), untilDeadline(wait));
        return JSON.parse(await r.Body!.transformToString()) as Manifest;
    }

    /** The stored object against its manifest: listed, size and sha256. */
    async checkObject(s: Snapshot, wait: Wait): Promise<Finding[]> {
        const bucket = this.bucket(s.tier);
        const key = (s.object ?? "").replace(`s3://${bucket}/`, "");
        const f = (check: string, message: string): Finding[] => [{ severity: "error", dataClass: s.dataClass, tier: s.tier, object: s.object ?? s.id, check, message }];
        try {
            await this.s3!.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), untilDeadline(wait));
        } catch (e) {
            return f("listed", `the object of ${s.id} is missing (${(e as Error).name}); the manifest points at nothing`);
        }
        const r = await this.s3!.send(new GetObjectCommand({ Bucket: bucket, Key: key }), untilDeadline(wait));
        const body = Buffer.from(await r.Body!.transformToByteArray());
        const sum = createHash("sha256").update(body).digest("hex");
        if (body.length !== s.sizeBytes || sum !== s.sha256) return f("checksum", `sha256 ${sum} (${body.length} bytes) != recorded ${s.sha256} (${s.sizeBytes} bytes) in ${s.id}: corrupt or altered`);
        return [];
    }

    /** Runs a fetch/verify script; a refusal becomes one finding naming the object. */
    async checkScript(s: Snapshot, script: string, args: string[], extra: Record<string, string>, check: string, wait: Wait): Promise<Finding[]> {
        const r = await this.job(script, args, this.env(s.tier, s.dataClass as SnapshotClass, { MANIFEST_KEY: s.id, ...extra }), wait);
        if (r.code === 0) return [];
        const msg = jobError(r);
        return [{ severity: "error", dataClass: s.dataClass, tier: s.tier, object: s.object ?? s.id, check: /decrypt/i.test(msg) ? "decrypt" : check, message: msg }];
    }

    /** A snapshot's scratch root: <workDir>/restores/<name>.<class> (beside the database restores, never shared with them). */
    root(dc: SnapshotClass, d: RestoreDestination): string {
        return path.join(this.desc.workDir, "restores", `${d.name}.${dc}`);
    }

    async take(dc: SnapshotClass, tier: Tier, script: string, extra: Record<string, string>, verify: (s: Snapshot) => Promise<readonly Finding[]>, wait: Wait): Promise<Snapshot[]> {
        const before = new Set((await this.list(dc, tier, wait)).map((s) => s.id));
        const r = await this.job(script, [], this.env(tier, dc, extra), wait);
        if (r.code !== 0) throw new StepFailed(`jobs/${script} to ${tier} failed: ${jobError(r)}`);
        const said = /stored s3:\/\/[^/]+\/(\S+\.manifest\.json)/.exec(r.stderr)?.[1];
        const made = (await this.list(dc, tier, wait)).filter((s) => !before.has(s.id));
        const s = made.find((x) => x.id === said) ?? made[made.length - 1];
        if (!s) throw new StepFailed(`jobs/${script} exited 0 but no new ${dc} snapshot manifest is listed in ${tier}${said ? ` (it said ${said})` : ""}`);
        const bad = await verify(s);
        if (bad.length) throw new StepFailed(`new ${dc} snapshot ${s.id} in ${tier} does not verify: ${bad.map((b) => `${b.check}: ${b.message}`).join("; ")}`);
        return [s];
    }
}

/** /proc/<pid> whose working directory is `dir` (redis-server chdirs to its `dir`). */
function processesIn(dir: string): number[] {
    const out: number[] = [];
    let real: string;
    try {
        real = fs.realpathSync(dir);
    } catch {
        return out;
    }
    for (const p of fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            if (fs.readlinkSync(`/proc/${p}/cwd`) === real) out.push(Number(p));
        } catch {
            /* gone or not ours */
        }
    }
    return out;
}

export class LabCache implements CachePrimitives {
    readonly dataClass = "cache" as const;
    private readonly store: LabSnapshotStore;

    constructor(
        private readonly desc: LabDescription,
        s3: S3Client | undefined,
    ) {
        this.store = new LabSnapshotStore(desc, s3);
    }

    private get redis() {
        const r = this.desc.redis;
        if (!r) throw new PreflightError("the lab description has no redis section");
        return { ...r, server: r.server ?? "redis-server", cli: r.cli ?? "redis-cli", probes: r.probes ?? [] };
    }

    private cli(port: number, args: readonly string[], wait: Wait, host = "127.0.0.1"): Promise<ExecResult> {
        return execBounded(this.redis.cli, ["-h", host, "-p", String(port), ...args], { deadline: Math.min(wait.deadline, Date.now() + 30_000), what: `${this.redis.cli} ${args[0]}` });
    }

    private async integer(port: number, command: string, wait: Wait): Promise<number> {
        const r = await this.cli(port, ["--no-raw", ...splitCommand(command)], wait);
        const m = /^\(integer\) (-?\d+)/.exec(r.stdout.trim());
        if (r.code !== 0 || !m) throw new Error(`"${command}" answered ${JSON.stringify((r.stdout || r.stderr).trim().slice(0, 120))}, not an integer`);
        return Number(m[1]);
    }

    take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.store.take("cache", tier, "redis-snapshot.sh", { REDIS_HOST: this.redis.host, REDIS_PORT: String(this.redis.masterPort) }, (s) => this.verify(s, wait), wait);
    }

    list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.store.list("cache", tier, wait);
    }

    async verify(s: Snapshot, wait: Wait): Promise<readonly Finding[]> {
        const bad = await this.store.checkObject(s, wait);
        if (bad.length) return bad;
        // Decrypt, decompress, payload checksum and redis-check-rdb: the RDB loads. Touches nothing.
        return this.store.checkScript(s, "redis-restore.sh", ["--verify-only"], {}, "rdb-load", wait);
    }

    async restore(s: Snapshot, d: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored> {
        const inPlace = d.kind === "in-place";
        const root = this.store.root("cache", d);
        const data = inPlace ? this.inPlaceDir() : path.join(root, "data");
        const pidFile = path.join(root, "redis.pid");
        await this.stopScratch(root, wait);
        if (!inPlace) fs.rmSync(root, { recursive: true, force: true });
        fs.mkdirSync(data, { recursive: true });
        fs.mkdirSync(root, { recursive: true });
        const loaderPort = await freePort();
        const r = await this.store.job("redis-restore.sh", inPlace ? ["--replace-existing"] : [], this.store.env(s.tier, "cache", { MANIFEST_KEY: s.id, REDIS_DATA_DIR: data, RESTORE_PORT: String(loaderPort) }), wait);
        if (r.code !== 0) throw new StepFailed(`jobs/redis-restore.sh of ${s.id}: ${jobError(r)}`);
        // The restored directory served by a scratch server (AOF on, as production runs), read back from it.
        const port = await freePort();
        fs.writeFileSync(path.join(root, "port"), String(port));
        const start = await execBounded(this.redis.server, ["--port", String(port), "--bind", "127.0.0.1", "--dir", data, "--appendonly", "yes", "--save", "", "--daemonize", "yes", "--pidfile", pidFile, "--logfile", path.join(root, "redis.log")], { deadline: wait.deadline, what: this.redis.server });
        if (start.code !== 0) throw new StepFailed(`the scratch redis-server on ${data} did not start: ${(start.stderr || start.stdout).trim().slice(0, 200)}`);
        await pollUntil(`the scratch redis-server on 127.0.0.1:${port} to finish loading`, wait.deadline, async () => {
            const info = await this.cli(port, ["INFO", "persistence"], wait);
            return /^loading:0\r?$/m.test(info.stdout) ? true : undefined;
        });
        const results = await this.validate(s, port, probes, wait);
        if (inPlace) await this.stopScratch(root, wait); // in place: the operator starts the real server on it
        return { snapshot: s, destination: d, endpoint: inPlace ? data : `127.0.0.1:${port}`, probes: results };
    }

    private inPlaceDir(): string {
        const dir = this.redis.dataDir;
        if (!dir) throw new PreflightError("the lab description has no redis.dataDir: no in-place target");
        return dir;
    }

    private async validate(s: Snapshot, port: number, probes: readonly SnapshotProbe[], wait: Wait): Promise<ProbeResult[]> {
        const out: ProbeResult[] = [];
        const keys = s.counts?.keys;
        const expires = s.counts?.expires ?? 0;
        try {
            const n = await this.integer(port, "DBSIZE", wait);
            // Keys with a TTL may have expired since the snapshot; every other key must be there.
            const ok = keys !== undefined && n <= keys && n >= keys - expires;
            out.push({ name: "key-count", ok, value: n, detail: keys === undefined ? `${n} keys; the manifest records no key count` : `${n} keys; the snapshot recorded ${keys} (${expires} with a TTL)` });
        } catch (e) {
            out.push({ name: "key-count", ok: false, detail: (e as Error).message });
        }
        for (const p of [...this.redis.probes.map((c) => ({ name: c.name, check: c.command, min: c.min })), ...probes]) {
            try {
                const v = await this.integer(port, p.check, wait);
                const ok = p.min === undefined || v >= p.min;
                out.push({ name: p.name, ok, value: v, detail: `${p.check} = ${v}${p.min !== undefined ? ` (needs >= ${p.min})` : ""}` });
            } catch (e) {
                out.push({ name: p.name, ok: false, detail: (e as Error).message });
            }
        }
        return out;
    }

    private async stopScratch(root: string, wait: Wait): Promise<void> {
        const portFile = path.join(root, "port");
        const pidFile = path.join(root, "redis.pid");
        if (fs.existsSync(portFile)) await this.cli(Number(fs.readFileSync(portFile, "utf8")), ["SHUTDOWN", "NOSAVE"], wait).catch(() => undefined);
        if (fs.existsSync(pidFile)) {
            const pid = Number(fs.readFileSync(pidFile, "utf8"));
            try {
                if (pid) process.kill(pid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
        fs.rmSync(portFile, { force: true });
        fs.rmSync(pidFile, { force: true });
    }

    async teardown(d: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        if (d.kind === "in-place") throw new StepFailed("teardown of an in-place cache restore would remove the cache itself: refused");
        const root = this.store.root("cache", d);
        const portFile = path.join(root, "port");
        const port = fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, "utf8")) : undefined;
        await this.stopScratch(root, wait);
        const data = path.join(root, "data");
        await pollUntil(`no process left in ${data}`, wait.deadline, async () => (processesIn(data).length === 0 ? true : undefined));
        fs.rmSync(root, { recursive: true, force: true });
        const listens = port ? await listening("127.0.0.1", port) : false;
        return [
            { name: "no-data", ok: !fs.existsSync(root), detail: fs.existsSync(root) ? `${root} still exists` : `${root} gone` },
            { name: "no-listener", ok: !listens, detail: port ? `127.0.0.1:${port} ${listens ? "still accepts connections" : "refuses connections"}` : "no port recorded" },
        ];
    }

    async sourceFenced(): Promise<FenceProof & { fenced: boolean }> {
        const r = this.redis;
        const listens = await listening(r.host, r.masterPort);
        const procs = r.dataDir ? processesIn(r.dataDir) : [];
        const evidence = [`${r.host}:${r.masterPort} ${listens ? "accepts connections" : "refuses connections"}`, r.dataDir ? (procs.length ? `processes ${procs.join(", ")} run in ${r.dataDir}` : `no process runs in ${r.dataDir}`) : "no redis.dataDir in the lab description"];
        const stopped = !listens && procs.length === 0 && !!r.dataDir;
        return { fenced: stopped, writesStopped: stopped, repoWritesStopped: stopped, evidence };
    }

    async replicaOffsets(wait: Wait): Promise<{ masterOffset: number; replicas: { name: string; offset: number; lagSeconds: number; state: string }[] }> {
        const r = await this.cli(this.redis.masterPort, ["INFO", "replication"], wait, this.redis.host);
        if (r.code !== 0 || !/role:master/.test(r.stdout)) throw new StepFailed(`INFO replication on ${this.redis.host}:${this.redis.masterPort}: ${(r.stderr || r.stdout).trim().split("\n")[0] || "not a master"}`);
        const field = (name: string) => new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(r.stdout)?.[1];
        const replicas: { name: string; offset: number; lagSeconds: number; state: string }[] = [];
        for (const m of r.stdout.matchAll(/^slave\d+:(.*?)\r?$/gm)) {
            const kv = Object.fromEntries(m[1].split(",").map((x) => x.split("=") as [string, string]));
            replicas.push({ name: `${kv.ip}:${kv.port}`, offset: Number(kv.offset), lagSeconds: Number(kv.lag), state: kv.state });
        }
        // A replica the lab names but the master does not list is reported, not silently left out.
        for (const p of this.redis.replicaPorts) if (!replicas.some((x) => x.name.endsWith(`:${p}`))) replicas.push({ name: `${this.redis.host}:${p}`, offset: -1, lagSeconds: -1, state: "not connected to the master" });
        return { masterOffset: Number(field("master_repl_offset") ?? NaN), replicas };
    }
}

/** "EXISTS user:1" → ["EXISTS", "user:1"]; quotes group words. */
export function splitCommand(text: string): string[] {
    return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * Configuration and secrets on the hosts: a directory, stored as one encrypted bundle
 * (jobs/dir-bundle-backup.sh) and restored into a scratch directory (jobs/backup-fetch.sh, then
 * tar -x and sha256sum -c of the bundle's index). Never in place: the restored tree is what an
 * operator applies.
 */
export class LabBundle implements SnapshotPrimitives {
    private readonly store: LabSnapshotStore;

    constructor(
        readonly dataClass: "configuration" | "secrets",
        private readonly desc: LabDescription,
        s3: S3Client | undefined,
    ) {
        this.store = new LabSnapshotStore(desc, s3);
    }

    private get dir(): string {
        const d = this.desc[this.dataClass]?.dir;
        if (!d) throw new PreflightError(`the lab description has no ${this.dataClass}.dir`);
        return d;
    }

    take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.store.take(this.dataClass, tier, "dir-bundle-backup.sh", { BUNDLE_DIR: this.dir, DATA_CLASS: this.dataClass }, (s) => this.verify(s, wait), wait);
    }

    list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.store.list(this.dataClass, tier, wait);
    }

    async verify(s: Snapshot, wait: Wait): Promise<readonly Finding[]> {
        const bad = await this.store.checkObject(s, wait);
        if (bad.length) return bad;
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `fortress-verify-${this.dataClass}-`));
        try {
            const fetched = await this.store.checkScript(s, "backup-fetch.sh", [], { DATA_CLASS: this.dataClass, OUTPUT_FILE: path.join(tmp, "bundle.tar"), WORK_DIR: path.join(tmp, "work") }, "fetch", wait);
            if (fetched.length) return fetched;
            const unpacked = await this.unpack(s, path.join(tmp, "bundle.tar"), path.join(tmp, "files"), wait);
            return unpacked.filter((p) => !p.ok).map((p) => ({ severity: "error" as const, dataClass: s.dataClass, tier: s.tier, object: s.object ?? s.id, check: p.name, message: p.detail }));
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }

    /** tar -x into `into`, then the bundle's own index checked file by file, and the file count against the manifest. */
    private async unpack(s: Snapshot, tar: string, into: string, wait: Wait): Promise<ProbeResult[]> {
        fs.mkdirSync(into, { recursive: true, mode: 0o700 });
        const x = await execBounded("tar", ["-xf", tar, "-C", into, "--no-same-owner"], { deadline: wait.deadline, what: "tar -x" });
        if (x.code !== 0) return [{ name: "unpack", ok: false, detail: `tar -x of ${s.id}: ${x.stderr.trim().split("\n")[0]}` }];
        fs.rmSync(tar, { force: true });
        if (!fs.existsSync(path.join(into, "SHA256SUMS"))) return [{ name: "index", ok: false, detail: `${s.id}: the bundle has no SHA256SUMS index` }];
        const check = await execBoundedIn(into, "sha256sum", ["--check", "--strict", "--quiet", "SHA256SUMS"], wait);
        const listed = fs.readFileSync(path.join(into, "SHA256SUMS"), "utf8").trim().split("\n").filter(Boolean).length;
        const out: ProbeResult[] = [
            { name: "file-checksums", ok: check.code === 0, value: listed, detail: check.code === 0 ? `${listed} file(s) match the bundle's SHA256SUMS` : `sha256sum --check: ${(check.stdout + check.stderr).trim().split("\n").slice(0, 3).join("; ")}` },
            { name: "file-count", ok: s.counts?.files === listed, value: listed, detail: `${listed} file(s) in the bundle; the manifest recorded ${s.counts?.files ?? "none"}` },
        ];
        fs.rmSync(path.join(into, "SHA256SUMS"), { force: true });
        const keys = path.join(into, "sealing-keys.json");
        if (this.dataClass === "secrets" && fs.existsSync(keys)) {
            let ok = false;
            let detail: string;
            try {
                const list = JSON.parse(fs.readFileSync(keys, "utf8")) as { items?: { kind?: string; data?: Record<string, string> }[] };
                const items = list.items ?? [];
                ok = items.length > 0 && items.every((i) => i.kind === "Secret" && !!i.data?.["tls.crt"] && !!i.data?.["tls.key"]);
                detail = ok ? `${items.length} sealing key(s), each with tls.crt and tls.key` : "sealing-keys.json holds no usable sealing key (Secret with tls.crt and tls.key)";
            } catch (e) {
                detail = `sealing-keys.json is not JSON: ${(e as Error).message}`;
            }
            out.push({ name: "sealing-keys", ok, detail });
        }
        return out;
    }

    async restore(s: Snapshot, d: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored> {
        if (d.kind === "in-place") throw new PreflightError(`${this.dataClass}: the lab restores into a scratch directory only; apply the restored files from there`);
        const root = this.store.root(this.dataClass, d);
        fs.rmSync(root, { recursive: true, force: true });
        fs.mkdirSync(root, { recursive: true, mode: 0o700 });
        const tar = path.join(root, "bundle.tar");
        const r = await this.store.job("backup-fetch.sh", [], this.store.env(s.tier, this.dataClass, { MANIFEST_KEY: s.id, DATA_CLASS: this.dataClass, OUTPUT_FILE: tar, WORK_DIR: path.join(root, "work") }), wait);
        fs.rmSync(path.join(root, "work"), { recursive: true, force: true });
        if (r.code !== 0) throw new StepFailed(`jobs/backup-fetch.sh of ${s.id}: ${jobError(r)}`);
        const files = path.join(root, "files");
        const results = await this.unpack(s, tar, files, wait);
        for (const p of probes) {
            const f = path.resolve(files, p.check);
            const inside = f.startsWith(files + path.sep);
            const ok = inside && fs.existsSync(f) && fs.statSync(f).isFile();
            results.push({ name: p.name, ok, detail: !inside ? `${p.check} is outside the restored tree` : ok ? `${p.check} restored (${fs.statSync(f).size} bytes)` : `${p.check} is not in the restored tree` });
        }
        return { snapshot: s, destination: d, endpoint: files, probes: results };
    }

    async teardown(d: RestoreDestination): Promise<readonly ProbeResult[]> {
        const root = this.store.root(this.dataClass, d);
        fs.rmSync(root, { recursive: true, force: true });
        return [{ name: "no-data", ok: !fs.existsSync(root), detail: fs.existsSync(root) ? `${root} still exists` : `${root} gone` }];
    }
}

function execBoundedIn(cwd: string, file: string, args: readonly string[], wait: Wait): Promise<ExecResult> {
    return execBounded("bash", ["-c", `cd "$0" && exec "$@"`, cwd, file, ...args], { deadline: wait.deadline, what: file });
}

/**
 * The platform's cache and configuration/secrets primitives.
 *
 * Snapshots (Redis, Sealed Secrets key, Vault raft) are the stack's own backup CronJobs run
 * now: a Job from the CronJob's template (`kubectl create job --from=cronjob/...`), found by
 * the fortress labels (data class, tier, purpose=backup) and the job's BACKUP_PREFIX. The Job
 * succeeding is not the answer: the snapshot is returned only once its manifest (written last
 * by jobs/lib/backup.sh, with the object's sha256 and size) is LISTED in the tier bucket.
 *
 * Configuration is a Velero Backup custom resource (validated before it is sent); done only in
 * phase Completed with no errors, then its tarball is listed in the location's bucket.
 * Replica offsets come from `redis-cli INFO replication` run in each Redis pod (exec).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import type { CachePrimitives, DataClass, Finding, ProbeResult, RestoreDestination, Snapshot, SnapshotPrimitives, SnapshotProbe, SnapshotRestored, StoragePrimitives, Tier, Wait } from "../types";
import { GuardRefusal, StepFailed } from "../../errors";
import { JOBS_DIR } from "../../../components/platform/backup-job";
import { KubeClient, PollingWaits, httpStatusOf } from "./kube";
import { VELERO_API, jobFromCronJob, resourceName, veleroBackup } from "./resources";
import { judgeJob, judgeVelero, watchResource } from "./status";

interface Manifest {
    readonly format?: string;
    readonly dataClass?: string;
    readonly tier?: string;
    readonly object?: string;
    readonly sha256?: string;
    readonly size?: number;
    readonly createdAtEpoch?: number;
    readonly plaintext?: Record<string, unknown>;
}

type SnapClass = Exclude<DataClass, "database">;

/** A backup-job manifest (jobs/lib/backup.sh, format fortress-backup/1) as a Snapshot (id = the manifest key); undefined when it is not one. */
export function snapshotFromManifest(dataClass: SnapClass, tier: Tier, bucket: string, manifestKey: string, body: string): Snapshot | undefined {
    let m: Manifest;
    try {
        m = JSON.parse(body) as Manifest;
    } catch {
        return undefined;
    }
    if (m.format !== "fortress-backup/1" || !m.object || typeof m.size !== "number" || typeof m.createdAtEpoch !== "number") return undefined;
    const counts: Record<string, number> = {};
    for (const k of ["keys", "expires", "files"]) if (typeof m.plaintext?.[k] === "number") counts[k] = m.plaintext[k] as number;
    return { dataClass, tier, id: manifestKey, object: `s3://${bucket}/${m.object}`, takenAt: new Date(m.createdAtEpoch * 1000), sizeBytes: m.size, sha256: m.sha256, counts };
}

/** `INFO replication` → role, master offset and replicas (slaveN:ip=...,port=...,state=online,offset=N,lag=S). */
export function parseReplication(info: string): { role: string; masterOffset: number; replicas: { name: string; offset: number; lagSeconds: number; state: string }[] } {
    const kv = new Map<string, string>();
    for (const line of info.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
    }
    const replicas: { name: string; offset: number; lagSeconds: number; state: string }[] = [];
    for (const [k, v] of kv) {
        if (!/^slave\d+$/.test(k)) continue;
        const f = Object.fromEntries(v.split(",").map((p) => p.split("=") as [string, string]));
        replicas.push({ name: `${f.ip}:${f.port}`, offset: Number(f.offset), lagSeconds: Number(f.lag), state: f.state ?? "unknown" });
    }
    return { role: kv.get("role") ?? "unknown", masterOffset: Number(kv.get("master_repl_offset") ?? NaN), replicas };
}

/** Lines `fortress-probe <name> <value...>` a restore Job prints (the values it read in its scratch target). */
export function parseProbeLines(log: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of log.matchAll(/^fortress-probe (\S+) ?(.*)$/gm)) out.set(m[1], m[2].trim());
    return out;
}

interface Container {
    name?: string;
    command?: string[];
    args?: string[];
    env?: { name: string; value?: string }[];
    volumeMounts?: { name: string; mountPath: string }[];
}
interface CronJobObj {
    metadata?: { name?: string; namespace?: string; uid?: string };
    spec?: { jobTemplate?: { spec?: { template?: { spec?: { containers?: Container[]; volumes?: unknown[] } } } } };
}

const envOf = (c: CronJobObj, name: string) => c.spec?.jobTemplate?.spec?.template?.spec?.containers?.flatMap((x) => x.env ?? []).find((e) => e.name === name)?.value;
const SCRATCH_MOUNT = "/var/run/fortress/scratch";

/** Runs the stack's backup CronJobs as Jobs and reads what they wrote from the tier bucket. */
export class BackupJobRunner extends PollingWaits {
    constructor(
        readonly k: KubeClient,
        readonly storage: StoragePrimitives,
    ) {
        super();
    }

    async cronJob(dataClass: string, tier: Tier, prefixPart: string): Promise<CronJobObj & { prefix: string }> {
        const selector = `fortress/data-class=${dataClass},fortress/tier=${tier},fortress/purpose=backup`;
        const r = await this.k.batch.listCronJobForAllNamespaces({ labelSelector: selector });
        const found = (r.items as CronJobObj[]).filter((c) => (envOf(c, "BACKUP_PREFIX") ?? "").includes(prefixPart));
        if (found.length !== 1) throw new StepFailed(`expected one backup CronJob labelled ${selector} with BACKUP_PREFIX containing "${prefixPart}", found ${found.length}${found.length ? ` (${found.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`).join(", ")})` : ""}; is the stack deployed with ${dataClass} backups to ${tier}?`);
        return { ...found[0], prefix: envOf(found[0], "BACKUP_PREFIX")! };
    }

    /** Complete snapshots (a manifest that parses) under a prefix, oldest first. */
    async list(dataClass: SnapClass, tier: Tier, prefix: string, wait: Wait): Promise<Snapshot[]> {
        const objs = (await this.storage.listObjects(tier, `${prefix.replace(/\/$/, "")}/`, wait)).filter((o) => o.key.endsWith(".manifest.json"));
        const out: Snapshot[] = [];
        for (const o of objs) {
            const s = snapshotFromManifest(dataClass, tier, o.bucket, o.key, (await this.storage.getObject(o, wait)).toString("utf8"));
            if (s) out.push(s);
        }
        return out.sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
    }

    /** The stored object is listed, its size and sha256 match the manifest (read back, not assumed). */
    async checkStored(s: Snapshot, wait: Wait): Promise<Finding[]> {
        const key = (s.object ?? "").replace(/^s3:\/\/[^/]+\//, "");
        const found = (await this.storage.listObjects(s.tier, key, wait)).find((o) => o.key === key);
        const f = (message: string, check: string): Finding => ({ severity: "error", dataClass: s.dataClass, tier: s.tier, object: s.object ?? s.id, check, message });
        if (!found) return [f(`not listed in the bucket (manifest ${s.id})`, "listed")];
        if (found.sizeBytes !== s.sizeBytes) return [f(`size ${found.sizeBytes} bytes, manifest says ${s.sizeBytes}`, "checksum")];
        const sha = createHash("sha256").update(await this.storage.getObject(found, wait)).digest("hex");
        return s.sha256 && sha !== s.sha256 ? [f(`sha256 ${sha}, manifest says ${s.sha256}`, "checksum")] : [];
    }

    /** A Job from `cron` (optionally with its container's command replaced and a scratch emptyDir); waits for it; returns its log. */
    async runJob(cron: CronJobObj, name: string, wait: Wait, override?: { command: string[]; env: { name: string; value: string }[] }): Promise<{ namespace: string; name: string; log: string }> {
        const ns = cron.metadata!.namespace!;
        const job = jobFromCronJob(cron as Parameters<typeof jobFromCronJob>[0], name) as unknown as { spec: { template: { spec: { containers: Container[]; volumes?: unknown[] } } } } & Record<string, unknown>;
        if (override) {
            const spec = JSON.parse(JSON.stringify(job.spec)) as typeof job.spec;
            const c = spec.template?.spec?.containers?.[0];
            if (!c) throw new StepFailed(`CronJob ${cron.metadata?.name} has no container`);
            spec.template.spec.containers[0] = { ...c, command: override.command, args: [], env: [...(c.env ?? []), ...override.env], volumeMounts: [...(c.volumeMounts ?? []), { name: "fortress-scratch", mountPath: SCRATCH_MOUNT }] };
            spec.template.spec.volumes = [...(spec.template.spec.volumes ?? []), { name: "fortress-scratch", emptyDir: {} }];
            job.spec = spec;
        }
        await this.k.batch.createNamespacedJob({ namespace: ns, body: job as never });
        let failure: Error | undefined;
        try {
            await watchResource({ what: `Job ${ns}/${name} (from CronJob ${cron.metadata!.name})`, read: () => this.k.batch.readNamespacedJob({ name, namespace: ns }) as never, judge: judgeJob, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        } catch (e) {
            failure = e as Error;
        }
        const log = await this.jobLog(ns, name);
        if (failure) {
            const last = log.trim().split("\n").filter((l) => /ERROR|FAIL|die/i.test(l)).pop();
            failure.message += last ? ` — its log: ${last.trim()}` : "";
            throw failure;
        }
        return { namespace: ns, name, log };
    }

    async jobLog(namespace: string, job: string): Promise<string> {
        const pods = await this.k.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
        const pod = pods.items[pods.items.length - 1];
        if (!pod?.metadata?.name) return "";
        try {
            return String(await this.k.core.readNamespacedPodLog({ name: pod.metadata.name, namespace }));
        } catch {
            return "";
        }
    }

    /** Deletes a Job with its pods and proves none is left (the scratch target of a Job restore is its pod's emptyDir). */
    async removeJob(namespace: string, name: string, wait: Wait): Promise<ProbeResult[]> {
        await this.k.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Foreground" }).catch((e) => {
            if (httpStatusOf(e) !== 404) throw e;
        });
        for (;;) {
            const left = (await this.k.core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` })).items.map((p) => p.metadata?.name);
            let jobGone = false;
            try {
                await this.k.batch.readNamespacedJob({ name, namespace });
            } catch (e) {
                if (httpStatusOf(e) !== 404) throw e;
                jobGone = true;
            }
            if ((jobGone && left.length === 0) || Date.now() > wait.deadline) {
                return [
                    { name: "job-gone", ok: jobGone, detail: jobGone ? `Job ${namespace}/${name} gone (404)` : `Job ${namespace}/${name} still exists` },
                    { name: "no-pod", ok: left.length === 0, detail: left.length ? `pod(s) ${left.join(", ")} remain (their emptyDir holds the restored data)` : `no pod of Job ${name} (its emptyDir is gone with it)` },
                ];
            }
            await new Promise((r) => setTimeout(r, this.intervalMs));
        }
    }

    async take(dataClass: SnapClass, labelClass: string, tier: Tier, prefixPart: string, verify: (s: Snapshot) => Promise<readonly Finding[]>, wait: Wait): Promise<Snapshot> {
        const cron = await this.cronJob(labelClass, tier, prefixPart);
        const before = new Set((await this.list(dataClass, tier, cron.prefix, wait)).map((s) => s.id));
        const name = jobName(cron.metadata!.name!, "take");
        await this.runJob(cron, name, wait);
        const made = (await this.list(dataClass, tier, cron.prefix, wait)).filter((s) => !before.has(s.id));
        if (made.length === 0) throw new StepFailed(`Job ${cron.metadata!.namespace}/${name} completed but no new manifest is listed under s3 ${tier} ${cron.prefix}/: the snapshot is not there`);
        const s = made[made.length - 1];
        const bad = await verify(s);
        if (bad.length) throw new StepFailed(`new snapshot ${s.id} does not verify: ${bad.map((b) => `${b.object}: ${b.message}`).join("; ")}`);
        return s;
    }
}

const jobName = (base: string, what: string) => resourceName(`${base}`.slice(0, 36), `${what}-${Date.now().toString(36)}`);
const destJobName = (d: RestoreDestination, dc: string) => resourceName(`fortress-${dc}`, d.name);

/** Where the scratch restore of a snapshot class is: the Job's name for cache and secrets. */
function refuseInPlace(d: RestoreDestination, dc: string): void {
    if (d.kind === "in-place") throw new GuardRefusal(`${dc}: in-place restore is not offered by the platform driver (restore into a scratch target; the DR stack's restore init container restores the live ${dc})`);
}

export class PlatformCache implements CachePrimitives {
    readonly dataClass = "cache" as const;
    constructor(
        private readonly k: KubeClient,
        private readonly jobs: BackupJobRunner,
        private readonly namespace: string,
    ) {}

    take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.jobs.take("cache", "redis", tier, `${tier}/redis`, (s) => this.verify(s, wait), wait).then((s) => [s]);
    }

    list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.jobs.list("cache", tier, `${tier}/redis`, wait);
    }

    /** Stored object listed with the manifest's size and sha256 (read here), then `redis-restore.sh --verify-only` in a Job (decrypt, lz4, payload sha256, redis-check-rdb). */
    async verify(s: Snapshot, wait: Wait): Promise<readonly Finding[]> {
        const stored = await this.jobs.checkStored(s, wait);
        if (stored.length) return stored;
        const cron = await this.jobs.cronJob("redis", s.tier, `${s.tier}/redis`);
        try {
            await this.jobs.runJob(cron, jobName(cron.metadata!.name!, "verify"), wait, { command: [`${JOBS_DIR}/redis-restore.sh`, "--verify-only"], env: [{ name: "MANIFEST_KEY", value: s.id }] });
            return [];
        } catch (e) {
            return [{ severity: "error", dataClass: "cache", tier: s.tier, object: s.object ?? s.id, check: "decrypt", message: (e as Error).message }];
        }
    }

    /**
     * Into a scratch Redis: a Job (the snapshot CronJob's pod template: its image, service
     * account and key) runs redis-restore.sh into an emptyDir, starts redis-server on it
     * (loopback), reads DBSIZE and the probes, and prints them; the values are read from its log.
     */
    async restore(s: Snapshot, d: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored> {
        refuseInPlace(d, "cache");
        const cron = await this.jobs.cronJob("redis", s.tier, `${s.tier}/redis`);
        const name = destJobName(d, "cache");
        await this.jobs.removeJob(cron.metadata!.namespace!, name, wait); // a rerun starts over
        const script = [
            "set -eu",
            `export REDIS_DATA_DIR=${SCRATCH_MOUNT}/data`,
            'mkdir -p "$REDIS_DATA_DIR"',
            `${JOBS_DIR}/redis-restore.sh`,
            'redis-server --port 6391 --bind 127.0.0.1 --dir "$REDIS_DATA_DIR" --appendonly yes --daemonize yes --save ""',
            "i=0; until redis-cli -p 6391 ping | grep -q PONG; do i=$((i+1)); [ $i -lt 120 ] || exit 1; sleep 1; done",
            'echo "fortress-probe dbsize $(redis-cli -p 6391 DBSIZE)"',
            ...probes.map((_, i) => `echo "fortress-probe p${i} $(redis-cli -p 6391 $FORTRESS_PROBE_${i})"`),
            "redis-cli -p 6391 shutdown nosave || true",
        ].join("\n");
        const r = await this.jobs.runJob(cron, name, wait, { command: ["/bin/sh", "-c", script], env: [{ name: "MANIFEST_KEY", value: s.id }, ...probes.map((p, i) => ({ name: `FORTRESS_PROBE_${i}`, value: p.check }))] });
        const seen = parseProbeLines(r.log);
        const out: ProbeResult[] = [];
        const dbsize = Number(seen.get("dbsize"));
        const want = s.counts?.keys;
        out.push({ name: "keys", ok: Number.isFinite(dbsize) && (want === undefined || dbsize === want), detail: `${seen.get("dbsize") ?? "(not printed)"} key(s) loaded${want !== undefined ? `, manifest recorded ${want}` : ""}`, value: dbsize });
        probes.forEach((p, i) => {
            const v = seen.get(`p${i}`);
            const n = Number(v);
            out.push({ name: p.name, ok: v !== undefined && (p.min === undefined || (Number.isFinite(n) && n >= p.min)), detail: `${p.check} = ${v ?? "(not printed)"}${p.min !== undefined ? ` (needs >= ${p.min})` : ""}`, value: v });
        });
        return { snapshot: s, destination: d, endpoint: `Job ${r.namespace}/${r.name} (127.0.0.1:6391 inside its pod, stopped after the checks)`, probes: out };
    }

    async teardown(d: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        refuseInPlace(d, "cache");
        const cron = (await this.k.batch.listCronJobForAllNamespaces({ labelSelector: "fortress/data-class=redis,fortress/purpose=backup" })).items[0] as CronJobObj | undefined;
        return this.jobs.removeJob(cron?.metadata?.namespace ?? this.namespace, destJobName(d, "cache"), wait);
    }

    async replicaOffsets(wait: Wait) {
        const pods = await this.k.core.listNamespacedPod({ namespace: this.namespace, labelSelector: "app.kubernetes.io/component=redis,app.kubernetes.io/part-of=fortress-dr" });
        const running = pods.items.filter((p) => p.status?.phase === "Running" && p.metadata?.name);
        if (running.length === 0) throw new StepFailed(`no running Redis pod in ${this.namespace} (label app.kubernetes.io/component=redis)`);
        for (const p of running) {
            const r = await this.k.exec.exec(this.namespace, p.metadata!.name!, "redis", ["redis-cli", "--no-auth-warning", "INFO", "replication"], wait);
            if (r.code !== 0) continue;
            const rep = parseReplication(r.stdout);
            if (rep.role === "master") {
                if (!Number.isFinite(rep.masterOffset)) throw new StepFailed(`redis ${p.metadata!.name}: INFO replication has no master_repl_offset`);
                return { masterOffset: rep.masterOffset, replicas: rep.replicas };
            }
        }
        throw new StepFailed(`no Redis pod in ${this.namespace} reports role:master (INFO replication in ${running.map((p) => p.metadata!.name).join(", ")})`);
    }
}

/** Secrets: the Sealed Secrets sealing keys and a Vault raft snapshot, each a backup-job CronJob. */
export class PlatformSecrets implements SnapshotPrimitives {
    readonly dataClass = "secrets" as const;
    constructor(private readonly jobs: BackupJobRunner) {}

    private static kind(s: Snapshot): { sub: string; fetchClass: string } {
        return /\/secrets\/vault\//.test(s.id) ? { sub: "vault", fetchClass: "vault-raft" } : { sub: "sealed-secrets", fetchClass: "sealed-secrets-key" };
    }

    async take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        const keys = await this.jobs.take("secrets", "secrets", tier, `${tier}/secrets/sealed-secrets`, (s) => this.verify(s, wait), wait);
        const vault = await this.jobs.take("secrets", "secrets", tier, `${tier}/secrets/vault`, (s) => this.verify(s, wait), wait);
        return [keys, vault];
    }

    list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.jobs.list("secrets", tier, `${tier}/secrets`, wait);
    }

    /** Stored object checked here, then backup-fetch.sh in a Job (decrypt, decompress, payload sha256) into its emptyDir. */
    async verify(s: Snapshot, wait: Wait): Promise<readonly Finding[]> {
        const stored = await this.jobs.checkStored(s, wait);
        if (stored.length) return stored;
        try {
            await this.fetchJob(s, jobName(`fortress-secrets-${PlatformSecrets.kind(s).sub}`, "verify"), [], wait);
            return [];
        } catch (e) {
            return [{ severity: "error", dataClass: "secrets", tier: s.tier, object: s.object ?? s.id, check: "decrypt", message: (e as Error).message }];
        }
    }

    private async fetchJob(s: Snapshot, name: string, probes: readonly SnapshotProbe[], wait: Wait) {
        const k = PlatformSecrets.kind(s);
        const cron = await this.jobs.cronJob("secrets", s.tier, `${s.tier}/secrets/${k.sub}`);
        const script = [
            "set -eu",
            `out=${SCRATCH_MOUNT}/payload`,
            `DATA_CLASS=${k.fetchClass} OUTPUT_FILE="$out" ${JOBS_DIR}/backup-fetch.sh`,
            'echo "fortress-probe bytes $(wc -c < "$out")"',
            ...probes.map((_, i) => `if tar -tf "$out" 2>/dev/null | grep -qxF "$FORTRESS_PROBE_${i}"; then echo "fortress-probe p${i} present"; else echo "fortress-probe p${i} absent"; fi`),
        ].join("\n");
        return this.jobs.runJob(cron, name, wait, { command: ["/bin/sh", "-c", script], env: [{ name: "MANIFEST_KEY", value: s.id }, ...probes.map((p, i) => ({ name: `FORTRESS_PROBE_${i}`, value: p.check }))] });
    }

    /** Into a scratch target that never leaves the cluster: the Job's emptyDir (secret material is not brought to this machine). */
    async restore(s: Snapshot, d: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored> {
        refuseInPlace(d, "secrets");
        const r = await this.fetchJob(s, destJobName(d, "secrets"), probes, wait);
        const seen = parseProbeLines(r.log);
        const bytes = Number(seen.get("bytes"));
        const out: ProbeResult[] = [{ name: "payload", ok: Number.isFinite(bytes) && bytes > 0, detail: `${seen.get("bytes") ?? "(not printed)"} byte(s) fetched, decrypted and checked against the manifest's payload sha256`, value: bytes }];
        probes.forEach((p, i) => out.push({ name: p.name, ok: seen.get(`p${i}`) === "present", detail: `${p.check}: ${seen.get(`p${i}`) ?? "(not printed)"} in the restored payload` }));
        return { snapshot: s, destination: d, endpoint: `Job ${r.namespace}/${r.name} (emptyDir, gone with its pod at teardown)`, probes: out };
    }

    async teardown(d: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        refuseInPlace(d, "secrets");
        const cron = (await this.jobs.k.batch.listCronJobForAllNamespaces({ labelSelector: "fortress/data-class=secrets,fortress/purpose=backup" })).items[0] as CronJobObj | undefined;
        if (!cron?.metadata?.namespace) throw new StepFailed("no secrets backup CronJob found to locate the scratch Job's namespace");
        return this.jobs.removeJob(cron.metadata.namespace, destJobName(d, "secrets"), wait);
    }
}

interface VeleroBackupObj {
    metadata?: { name?: string; creationTimestamp?: string };
    spec?: { storageLocation?: string };
    status?: { phase?: string; completionTimestamp?: string; errors?: number; progress?: { itemsBackedUp?: number } };
}

/** Entries of a (ustar) tar archive: name and size; throws on a damaged header. */
export function tarEntries(buf: Buffer): { name: string; size: number; offset: number; type: string }[] {
    const out: { name: string; size: number; offset: number; type: string }[] = [];
    let pos = 0;
    while (pos + 512 <= buf.length) {
        const h = buf.subarray(pos, pos + 512);
        if (h.every((b) => b === 0)) break;
        const str = (a: number, b: number) => h.subarray(a, b).toString("utf8").replace(/\0.*$/s, "");
        const sum = h.reduce((acc, b, i) => acc + (i >= 148 && i < 156 ? 32 : b), 0);
        if (parseInt(str(148, 156).trim(), 8) !== sum) throw new Error(`tar header checksum mismatch at byte ${pos}`);
        const size = parseInt(str(124, 136).trim() || "0", 8);
        const prefix = str(345, 500);
        const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
        out.push({ name, size, offset: pos + 512, type: str(156, 157) || "0" });
        pos += 512 + Math.ceil(size / 512) * 512;
    }
    return out;
}

/** Configuration: Velero Backups; restored by unpacking the backup's tarball into a local scratch directory (no Velero Restore is created). */
export class PlatformConfig extends PollingWaits implements SnapshotPrimitives {
    readonly dataClass = "configuration" as const;
    constructor(
        private readonly k: KubeClient,
        private readonly storage: StoragePrimitives,
        private readonly veleroNamespace: string,
        private readonly retentionDays: (tier: Tier) => number,
        private readonly scratchRoot: string,
    ) {
        super();
    }

    private ref = () => ({ group: "velero.io", version: VELERO_API.split("/")[1], namespace: this.veleroNamespace });

    /** The backup's tarball in its location's bucket (BackupStorageLocation `<tier>`: objectStorage.prefix). */
    private async snapshotOf(tier: Tier, b: VeleroBackupObj, wait: Wait): Promise<Snapshot | undefined> {
        const name = b.metadata?.name;
        if (!name) return undefined;
        const bsl = (await this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backupstoragelocations", name: tier })) as { spec?: { objectStorage?: { bucket?: string; prefix?: string } } };
        const prefix = bsl.spec?.objectStorage?.prefix ? `${bsl.spec.objectStorage.prefix.replace(/\/$/, "")}/` : "";
        const files = await this.storage.listObjects(tier, `${prefix}backups/${name}/`, wait);
        const tar = files.find((f) => f.key.endsWith(`${name}.tar.gz`));
        if (!tar) return undefined;
        const counts = typeof b.status?.progress?.itemsBackedUp === "number" ? { items: b.status.progress.itemsBackedUp } : undefined;
        return { dataClass: "configuration", tier, id: name, object: `s3://${tar.bucket}/${tar.key}`, takenAt: new Date(b.status?.completionTimestamp ?? tar.lastModified), sizeBytes: tar.sizeBytes, counts };
    }

    async take(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        const name = resourceName(`fortress-${tier}`, new Date().toISOString());
        const body = veleroBackup({ name, namespace: this.veleroNamespace, storageLocation: tier, ttlHours: this.retentionDays(tier) * 24, includeVolumes: false });
        await this.k.custom.createNamespacedCustomObject({ ...this.ref(), plural: "backups", body });
        await watchResource({ what: `Velero Backup ${this.veleroNamespace}/${name}`, read: () => this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backups", name }) as never, judge: judgeVelero, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        const obj = (await this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backups", name })) as VeleroBackupObj;
        const snap = await this.snapshotOf(tier, obj, wait);
        if (!snap) throw new StepFailed(`Velero Backup ${name} is Completed but its tarball backups/${name}/${name}.tar.gz is not listed in the ${tier} bucket`);
        const bad = await this.verify(snap, wait);
        if (bad.length) throw new StepFailed(`Velero Backup ${name} does not verify: ${bad.map((b) => b.message).join("; ")}`);
        return [snap];
    }

    async list(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        const r = (await this.k.custom.listNamespacedCustomObject({ ...this.ref(), plural: "backups" })) as { items: VeleroBackupObj[] };
        const done = r.items.filter((b) => b.spec?.storageLocation === tier && judgeVelero(b as never).kind === "succeeded");
        const out: Snapshot[] = [];
        // Listed only with its tarball in the bucket: a Completed resource whose data is gone is not a backup.
        for (const b of done) {
            const s = await this.snapshotOf(tier, b, wait);
            if (s) out.push(s);
        }
        return out.sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
    }

    private async read(s: Snapshot, wait: Wait): Promise<{ entries: ReturnType<typeof tarEntries>; tar: Buffer } | Finding> {
        const key = (s.object ?? "").replace(/^s3:\/\/[^/]+\//, "");
        const o = (await this.storage.listObjects(s.tier, key, wait)).find((x) => x.key === key);
        const f = (message: string, check: string): Finding => ({ severity: "error", dataClass: "configuration", tier: s.tier, object: s.object ?? s.id, check, message });
        if (!o) return f("the backup's tarball is not listed in the bucket", "listed");
        let tar: Buffer;
        try {
            tar = gunzipSync(await this.storage.getObject(o, wait));
        } catch (e) {
            return f(`gzip: ${(e as Error).message}`, "checksum");
        }
        try {
            const entries = tarEntries(tar);
            if (!entries.some((e) => e.name === "metadata/version")) return f("no metadata/version entry: not a Velero backup tarball", "loads");
            return { entries, tar };
        } catch (e) {
            return f((e as Error).message, "loads");
        }
    }

    /** Velero records no checksum: the tarball is listed, its gzip CRC holds, every tar header checks, and it is a Velero backup (metadata/version). */
    async verify(s: Snapshot, wait: Wait): Promise<readonly Finding[]> {
        const r = await this.read(s, wait);
        return "check" in r ? [r] : [];
    }

    private dir(d: RestoreDestination): string {
        return path.join(this.scratchRoot, `${d.name}.configuration`);
    }

    async restore(s: Snapshot, d: RestoreDestination, probes: readonly SnapshotProbe[], wait: Wait): Promise<SnapshotRestored> {
        refuseInPlace(d, "configuration");
        const r = await this.read(s, wait);
        if ("check" in r) throw new StepFailed(`${r.object}: ${r.message}`);
        const dir = this.dir(d);
        fs.rmSync(dir, { recursive: true, force: true });
        let files = 0;
        for (const e of r.entries) {
            const target = path.resolve(dir, e.name);
            if (!target.startsWith(dir + path.sep)) throw new StepFailed(`${s.object}: entry ${e.name} points outside the scratch directory`);
            if (e.type === "5") fs.mkdirSync(target, { recursive: true });
            else if (e.type === "0") {
                fs.mkdirSync(path.dirname(target), { recursive: true });
                fs.writeFileSync(target, r.tar.subarray(e.offset, e.offset + e.size), { mode: 0o600 });
                files++;
            }
        }
        const out: ProbeResult[] = [{ name: "files", ok: files > 0, detail: `${files} file(s) unpacked from ${s.object}`, value: files }];
        for (const p of probes) {
            const ok = fs.existsSync(path.resolve(dir, p.check));
            out.push({ name: p.name, ok, detail: `${p.check} ${ok ? "present" : "absent"}` });
        }
        return { snapshot: s, destination: d, endpoint: dir, probes: out };
    }

    async teardown(d: RestoreDestination): Promise<readonly ProbeResult[]> {
        refuseInPlace(d, "configuration");
        const dir = this.dir(d);
        fs.rmSync(dir, { recursive: true, force: true });
        return [{ name: "no-data", ok: !fs.existsSync(dir), detail: fs.existsSync(dir) ? `${dir} still exists` : `${dir} gone` }];
    }
}

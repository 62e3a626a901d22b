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
import type { CachePrimitives, ConfigPrimitives, ProbeResult, RestoreDestination, Snapshot, StoragePrimitives, Tier, Wait } from "../types";
import { StepFailed } from "../../errors";
import { JOBS_DIR } from "../../../components/platform/backup-job";
import { KubeClient } from "./kube";
import { VELERO_API, jobFromCronJob, resourceName, veleroBackup } from "./resources";
import { judgeJob, judgeVelero, watchResource } from "./status";

interface Manifest {
    readonly dataClass?: string;
    readonly tier?: string;
    readonly object?: string;
    readonly sha256?: string;
    readonly size?: number;
    readonly createdAtEpoch?: number;
    readonly plaintext?: Record<string, unknown>;
}

/** A backup-job manifest (jobs/lib/backup.sh, format fortress-backup/1) as a Snapshot; undefined when it is not one. */
export function snapshotFromManifest(dataClass: Snapshot["dataClass"], tier: Tier, manifestKey: string, body: string): Snapshot | undefined {
    let m: Manifest;
    try {
        m = JSON.parse(body) as Manifest;
    } catch {
        return undefined;
    }
    if (!m.object || typeof m.size !== "number" || typeof m.createdAtEpoch !== "number") return undefined;
    void manifestKey;
    return { dataClass, tier, id: m.object, takenAt: new Date(m.createdAtEpoch * 1000), sizeBytes: m.size, sha256: m.sha256 };
}

/** `INFO replication` → master offset and replicas (slaveN:ip=...,port=...,state=online,offset=N,lag=S). */
export function parseReplication(info: string): { role: string; masterOffset: number; replicas: { name: string; offset: number; lagSeconds: number }[] } {
    const kv = new Map<string, string>();
    for (const line of info.split(/\r?\n/)) {
        const i = line.indexOf(":");
        if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
    }
    const replicas: { name: string; offset: number; lagSeconds: number }[] = [];
    for (const [k, v] of kv) {
        if (!/^slave\d+$/.test(k)) continue;
        const f = Object.fromEntries(v.split(",").map((p) => p.split("=") as [string, string]));
        replicas.push({ name: `${f.ip}:${f.port}`, offset: Number(f.offset), lagSeconds: Number(f.lag) });
    }
    return { role: kv.get("role") ?? "unknown", masterOffset: Number(kv.get("master_repl_offset") ?? NaN), replicas };
}

interface CronJobObj {
    metadata?: { name?: string; namespace?: string; uid?: string };
    spec?: { jobTemplate?: { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } } };
}

const envOf = (c: CronJobObj, name: string) => c.spec?.jobTemplate?.spec?.template?.spec?.containers?.flatMap((x) => x.env ?? []).find((e) => e.name === name)?.value;

/** Runs the stack's backup CronJobs as Jobs and reads what they wrote from the tier bucket. */
export class BackupJobRunner {
    intervalMs = 2000;
    stuckAfterSeconds = 600;
    constructor(
        private readonly k: KubeClient,
        private readonly storage: StoragePrimitives,
    ) {}

    async cronJob(dataClass: string, tier: Tier, prefixPart: string): Promise<CronJobObj & { prefix: string }> {
        const selector = `fortress/data-class=${dataClass},fortress/tier=${tier},fortress/purpose=backup`;
        const r = await this.k.batch.listCronJobForAllNamespaces({ labelSelector: selector });
        const found = (r.items as CronJobObj[]).filter((c) => (envOf(c, "BACKUP_PREFIX") ?? "").includes(prefixPart));
        if (found.length !== 1) throw new StepFailed(`expected one backup CronJob labelled ${selector} with BACKUP_PREFIX containing "${prefixPart}", found ${found.length}${found.length ? ` (${found.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`).join(", ")})` : ""}; is the stack deployed with ${dataClass} backups to ${tier}?`);
        return { ...found[0], prefix: envOf(found[0], "BACKUP_PREFIX")! };
    }

    async list(dataClass: Snapshot["dataClass"], tier: Tier, prefix: string, wait: Wait): Promise<Snapshot[]> {
        const objs = (await this.storage.listObjects(tier, `${prefix.replace(/\/$/, "")}/`, wait)).filter((o) => o.key.endsWith(".manifest.json"));
        const out: Snapshot[] = [];
        for (const o of objs) {
            const s = snapshotFromManifest(dataClass, tier, o.key, (await this.storage.getObject(o, wait)).toString("utf8"));
            if (s) out.push(s);
        }
        return out.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
    }

    async run(dataClass: Snapshot["dataClass"], labelClass: string, tier: Tier, prefixPart: string, wait: Wait): Promise<Snapshot> {
        const cron = await this.cronJob(labelClass, tier, prefixPart);
        const before = new Set((await this.list(dataClass, tier, cron.prefix, wait)).map((s) => s.id));
        const name = resourceName(`${cron.metadata!.name}`.slice(0, 40), `fortress-${Date.now().toString(36)}`);
        const ns = cron.metadata!.namespace!;
        await this.k.batch.createNamespacedJob({ namespace: ns, body: jobFromCronJob(cron as Parameters<typeof jobFromCronJob>[0], name) as never });
        await watchResource({ what: `Job ${ns}/${name} (from CronJob ${cron.metadata!.name})`, read: () => this.k.batch.readNamespacedJob({ name, namespace: ns }) as never, judge: judgeJob, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        const made = (await this.list(dataClass, tier, cron.prefix, wait)).filter((s) => !before.has(s.id));
        if (made.length === 0) throw new StepFailed(`Job ${ns}/${name} completed but no new manifest is listed under s3 ${tier} ${cron.prefix}/: the snapshot is not there`);
        return made[0];
    }
}

export class PlatformCache implements CachePrimitives {
    constructor(
        private readonly k: KubeClient,
        private readonly jobs: BackupJobRunner,
        private readonly namespace: string,
    ) {}

    snapshot(tier: Tier, wait: Wait): Promise<Snapshot> {
        return this.jobs.run("cache", "redis", tier, `${tier}/redis`, wait);
    }

    listSnapshots(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.jobs.list("cache", tier, `${tier}/redis`, wait);
    }

    /**
     * Not a load into a server: runs the snapshot job's image with `redis-restore.sh
     * --verify-only` for this snapshot (download, sha256 and size against the manifest,
     * decrypt, lz4, redis-check-rdb) and reports that. Loading into a scratch Redis is the DR
     * stack's restore init container's job (components/redis), not this CLI's.
     */
    async restore(snapshot: Snapshot, destination: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        void destination;
        const cron = await this.jobs.cronJob("redis", snapshot.tier, `${snapshot.tier}/redis`);
        const name = resourceName(`${cron.metadata!.name}-verify`.slice(0, 40), `fortress-${Date.now().toString(36)}`);
        const job = jobFromCronJob(cron as Parameters<typeof jobFromCronJob>[0], name);
        const tplSpec = (job.spec as { template?: { spec?: { containers?: { command?: string[]; args?: string[]; env?: { name: string; value?: string }[] }[] } } }).template?.spec;
        const c = tplSpec?.containers?.[0];
        if (!c) throw new StepFailed(`CronJob ${cron.metadata?.name} has no container to verify with`);
        const manifestKey = snapshot.id.replace(/\.[^/]*\.lz4\.enc$/, ".manifest.json");
        const spec = JSON.parse(JSON.stringify(job.spec)) as typeof job.spec & { template: { spec: { containers: { command?: string[]; args?: string[]; env?: { name: string; value?: string }[] }[] } } };
        spec.template.spec.containers[0] = { ...c, command: [`${JOBS_DIR}/redis-restore.sh`, "--verify-only"], args: [], env: [...(c.env ?? []), { name: "MANIFEST_KEY", value: manifestKey }] };
        const ns = cron.metadata!.namespace!;
        await this.k.batch.createNamespacedJob({ namespace: ns, body: { ...job, spec } as never });
        const detail = await watchResource({ what: `Job ${ns}/${name} (verify ${manifestKey})`, read: () => this.k.batch.readNamespacedJob({ name, namespace: ns }) as never, judge: judgeJob, wait });
        return [{ name: "snapshot-verified", ok: true, detail: `${manifestKey}: downloaded, checksums and decryption verified, redis-check-rdb passed (${detail}); not loaded into a server` }];
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

interface VeleroBackupObj {
    metadata?: { name?: string; creationTimestamp?: string };
    spec?: { storageLocation?: string };
    status?: { phase?: string; completionTimestamp?: string; errors?: number };
}

export class PlatformConfig implements ConfigPrimitives {
    intervalMs = 2000;
    stuckAfterSeconds = 600;
    constructor(
        private readonly k: KubeClient,
        private readonly jobs: BackupJobRunner,
        private readonly storage: StoragePrimitives,
        private readonly veleroNamespace: string,
        private readonly retentionDays: (tier: Tier) => number,
    ) {}

    private ref = () => ({ group: "velero.io", version: VELERO_API.split("/")[1], namespace: this.veleroNamespace });

    /** The backup's tarball in its location's bucket (BackupStorageLocation `<tier>`: objectStorage.prefix). */
    private async snapshotOf(tier: Tier, b: VeleroBackupObj, wait: Wait): Promise<Snapshot | undefined> {
        const name = b.metadata?.name;
        if (!name) return undefined;
        const bsl = (await this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backupstoragelocations", name: tier })) as { spec?: { objectStorage?: { prefix?: string } } };
        const prefix = bsl.spec?.objectStorage?.prefix ? `${bsl.spec.objectStorage.prefix.replace(/\/$/, "")}/` : "";
        const files = await this.storage.listObjects(tier, `${prefix}backups/${name}/`, wait);
        const tar = files.find((f) => f.key.endsWith(`${name}.tar.gz`));
        if (!tar) return undefined;
        return { dataClass: "configuration", tier, id: name, takenAt: new Date(b.status?.completionTimestamp ?? tar.lastModified), sizeBytes: tar.sizeBytes };
    }

    async veleroBackup(tier: Tier, wait: Wait): Promise<Snapshot> {
        const name = resourceName(`fortress-${tier}`, new Date().toISOString());
        const body = veleroBackup({ name, namespace: this.veleroNamespace, storageLocation: tier, ttlHours: this.retentionDays(tier) * 24, includeVolumes: false });
        await this.k.custom.createNamespacedCustomObject({ ...this.ref(), plural: "backups", body });
        await watchResource({ what: `Velero Backup ${this.veleroNamespace}/${name}`, read: () => this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backups", name }) as never, judge: judgeVelero, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        const obj = (await this.k.custom.getNamespacedCustomObject({ ...this.ref(), plural: "backups", name })) as VeleroBackupObj;
        const snap = await this.snapshotOf(tier, obj, wait);
        if (!snap) throw new StepFailed(`Velero Backup ${name} is Completed but its tarball backups/${name}/${name}.tar.gz is not listed in the ${tier} bucket`);
        return snap;
    }

    async listVeleroBackups(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        const r = (await this.k.custom.listNamespacedCustomObject({ ...this.ref(), plural: "backups" })) as { items: VeleroBackupObj[] };
        const done = r.items.filter((b) => b.spec?.storageLocation === tier && judgeVelero(b as never).kind === "succeeded");
        const out: Snapshot[] = [];
        // Listed only with its tarball in the bucket: a Completed resource whose data is gone is not a backup.
        for (const b of done) {
            const s = await this.snapshotOf(tier, b, wait);
            if (s) out.push(s);
        }
        return out.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
    }

    sealedSecretsKeyBackup(tier: Tier, wait: Wait): Promise<Snapshot> {
        return this.jobs.run("secrets", "secrets", tier, `${tier}/secrets/sealed-secrets`, wait);
    }

    vaultRaftSnapshot(tier: Tier, wait: Wait): Promise<Snapshot> {
        return this.jobs.run("secrets", "secrets", tier, `${tier}/secrets/vault`, wait);
    }

    async listSecretSnapshots(tier: Tier, wait: Wait): Promise<readonly Snapshot[]> {
        return this.jobs.list("secrets", tier, `${tier}/secrets`, wait);
    }
}

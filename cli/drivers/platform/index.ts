/**
 * The platform driver: the Kubernetes API (@kubernetes/client-node) for the Percona operator's
 * PerconaPGBackup / PerconaPGRestore / PerconaPGCluster (and Velero Backup status) — every object
 * validated against the vendored CRDs before it is sent (resources.ts), status read with
 * deadlines and stuck/failed detection (status.ts) — AWS SDK v3 for S3 (listing, Object Lock
 * retention, the tier-3 audit records) and Route 53 (health-check status: read only, the data
 * plane), and the Pulumi Automation API for the DR stack (pulumi.ts).
 *
 * Names come from the stack config (namespace, regions, kube context) and the stack's outputs
 * (bucket per tier, health-check ids): `FORTRESS_STACK_OUTPUTS` names a file holding
 * `pulumi stack output --json`, otherwise the Automation API reads them.
 *
 * Proof stops here: this driver has not talked to a real cluster or to AWS (no API server and
 * no network in the build environment). Its objects and status readings are unit-tested against
 * the CRDs' schemas (test/cli/drivers/platform/); the primitives it does not implement yet are
 * absent or refuse with a message naming the gap (docs/recovery-commands.md lists them).
 */
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { GetObjectLockConfigurationCommand, GetObjectCommand, GetObjectRetentionCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { GetHealthCheckStatusCommand, Route53Client } from "@aws-sdk/client-route-53";
import * as fs from "fs";
import { S3AuditSink } from "../../audit";
import { CloudWatchMetricsSink } from "../../slo-metrics";
import { PreflightError, StepFailed } from "../../errors";
import type { StackContext } from "../../stack";
import type { DatabaseBackup, DatabaseInfo, DatabasePrimitives, Driver, FenceProof, ObjectRetention, ProbeResult, StoragePrimitives, StoredObject, Tier, TrafficPrimitives, Wait } from "../types";
import { PG_CLUSTER_NAME } from "../../../components/core/names";
import { REPO_OF_TIER, perconaBackup, perconaRestore, resourceName } from "./resources";
import { judgePercona, watchResource } from "./status";
import { setDrStackConfig } from "./pulumi";

export interface StackOutputsView {
    readonly tiers?: Partial<Record<Tier, { readonly bucketName?: string; readonly region?: string }>>;
    readonly endpoints?: readonly { readonly hostname: string; readonly healthCheckIds?: Partial<Record<"primary" | "dr", string>> }[];
}

export function readOutputs(file: string | undefined): StackOutputsView {
    if (!file) return {};
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as StackOutputsView;
    } catch (e) {
        throw new PreflightError(`FORTRESS_STACK_OUTPUTS ${file}: ${(e as Error).message}; write it with pulumi stack output --json`);
    }
}

const GROUP = "pgv2.percona.com";
const VERSION = "v2";
const abortOf = (w: Wait) => ({ abortSignal: AbortSignal.timeout(Math.max(1, w.deadline - Date.now())) });

interface PerconaBackupObj {
    metadata: { name: string; creationTimestamp?: string };
    spec: { pgCluster: string; repoName?: string; options?: string[] };
    status?: { state?: string; completed?: string; backupName?: string; backupType?: string; error?: string };
}

/** PerconaPGBackup objects → the backups of one tier (Succeeded ones are complete). */
export function backupsFromObjects(items: readonly PerconaBackupObj[], cluster: string, tier: Tier): DatabaseBackup[] {
    return items
        .filter((b) => b.spec.pgCluster === cluster && b.spec.repoName === REPO_OF_TIER[tier] && b.status?.backupName)
        .map((b) => ({
            tier,
            label: b.status!.backupName!,
            type: ((b.status?.backupType ?? "full") as DatabaseBackup["type"]),
            startedAt: new Date(b.metadata.creationTimestamp ?? 0),
            stoppedAt: new Date(b.status?.completed ?? b.metadata.creationTimestamp ?? 0),
            walStart: "",
            walStop: "",
            error: b.status?.state === "Failed",
            complete: b.status?.state === "Succeeded" && !!b.status.completed,
        }));
}

class PlatformDatabase implements DatabasePrimitives {
    constructor(
        private readonly api: CustomObjectsApi,
        private readonly namespace: string,
        private readonly cluster: string,
    ) {}

    private async list(plural: string): Promise<PerconaBackupObj[]> {
        const r = (await this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural })) as { items: PerconaBackupObj[] };
        return r.items;
    }

    async info(tier: Tier): Promise<DatabaseInfo> {
        return { tier, backups: backupsFromObjects(await this.list("perconapgbackups"), this.cluster, tier), archive: { tier }, status: "ok" };
    }

    async backup(tier: Tier, type: "full" | "diff" | "incr", wait: Wait): Promise<DatabaseBackup> {
        const name = resourceName(`fortress-${type}-${tier}`, new Date().toISOString());
        const body = perconaBackup({ name, namespace: this.namespace, cluster: this.cluster, tier, type });
        await this.api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgbackups", body });
        await watchResource({
            what: `PerconaPGBackup ${name}`,
            read: () => this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgbackups", name }) as Promise<PerconaBackupObj>,
            judge: judgePercona,
            wait,
        });
        const obj = (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgbackups", name })) as PerconaBackupObj;
        const listed = (await this.info(tier)).backups.find((b) => b.label === obj.status?.backupName);
        if (!listed || !listed.complete) throw new StepFailed(`PerconaPGBackup ${name} says Succeeded but backup ${obj.status?.backupName ?? "(no name)"} is not listed complete`);
        return listed;
    }

    async restore(req: Parameters<DatabasePrimitives["restore"]>[0], wait: Wait): ReturnType<DatabasePrimitives["restore"]> {
        if (req.destination.kind !== "in-place") {
            throw new StepFailed("the platform driver cannot restore into a new cluster yet (a PerconaPGCluster with spec.dataSource): use the DR stack's rebuild mode (dr.mode=rebuild, dr.targetTime) or restore --in-place with the source fenced");
        }
        const name = resourceName("fortress-restore", new Date().toISOString());
        const body = perconaRestore({ name, namespace: this.namespace, cluster: this.cluster, tier: req.tier, target: req.target, set: req.set });
        await this.api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgrestores", body });
        await watchResource({
            what: `PerconaPGRestore ${name}`,
            read: () => this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgrestores", name }) as Promise<PerconaBackupObj>,
            judge: judgePercona,
            wait,
        });
        return this.inspect(req.destination);
    }

    async inspect(destination: Parameters<DatabasePrimitives["inspect"]>[0]): ReturnType<DatabasePrimitives["inspect"]> {
        throw new StepFailed(`the platform driver cannot read a restored server's recovery state yet (needs a SQL connection to ${destination.name}); check it with psql before --promote`);
    }

    async promoteRestored(): ReturnType<DatabasePrimitives["promoteRestored"]> {
        throw new StepFailed("the platform driver cannot promote a restored copy yet (patronictl/pg_promote through the operator's pod)");
    }

    async probe(): Promise<readonly ProbeResult[]> {
        throw new StepFailed("the platform driver runs no SQL probes yet (needs a connection to the restored cluster)");
    }

    async teardown(): Promise<readonly ProbeResult[]> {
        throw new StepFailed("the platform driver has no scratch teardown yet (scratch clusters are not created by it)");
    }

    async verify(): ReturnType<DatabasePrimitives["verify"]> {
        throw new StepFailed("the platform driver does not run pgbackrest verify yet: the scheduled verification job (components/postgres/verification.ts) does, and its alarms report the result");
    }

    async positions(): ReturnType<DatabasePrimitives["positions"]> {
        return { archived: {} };
    }

    /** Fenced: the cluster is paused (spec.pause) and no PostgreSQL instance is ready. */
    async sourceFenced(): Promise<FenceProof & { fenced: boolean }> {
        const c = (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural: "perconapgclusters", name: this.cluster })) as { spec?: { pause?: boolean }; status?: { postgres?: { ready?: number } } };
        const paused = c.spec?.pause === true;
        const ready = c.status?.postgres?.ready ?? 0;
        const fenced = paused && ready === 0;
        return { fenced, writesStopped: fenced, repoWritesStopped: fenced, evidence: [`PerconaPGCluster ${this.cluster}: spec.pause=${paused}, status.postgres.ready=${ready}`] };
    }

    async archiveHistoryFiles(): Promise<readonly string[]> {
        return [];
    }
}

class PlatformStorage implements StoragePrimitives {
    constructor(
        private readonly clients: (tier: Tier) => S3Client,
        private readonly bucketOf: (tier: Tier) => string,
    ) {}

    async listObjects(tier: Tier, prefix: string, wait: Wait): Promise<readonly StoredObject[]> {
        const out: StoredObject[] = [];
        let token: string | undefined;
        do {
            const r = await this.clients(tier).send(new ListObjectsV2Command({ Bucket: this.bucketOf(tier), Prefix: prefix, ContinuationToken: token }), abortOf(wait));
            for (const c of r.Contents ?? []) out.push({ tier, bucket: this.bucketOf(tier), key: c.Key!, sizeBytes: c.Size ?? 0, lastModified: c.LastModified ?? new Date(0) });
            token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
        return out;
    }

    async objectRetention(o: StoredObject, wait: Wait): Promise<ObjectRetention> {
        const r = await this.clients(o.tier).send(new GetObjectRetentionCommand({ Bucket: o.bucket, Key: o.key, VersionId: o.versionId }), abortOf(wait));
        return { mode: r.Retention?.Mode as ObjectRetention["mode"], retainUntil: r.Retention?.RetainUntilDate };
    }

    async bucketRetention(tier: Tier, wait: Wait): Promise<{ mode?: string; days?: number }> {
        const r = await this.clients(tier).send(new GetObjectLockConfigurationCommand({ Bucket: this.bucketOf(tier) }), abortOf(wait));
        const d = r.ObjectLockConfiguration?.Rule?.DefaultRetention;
        return { mode: d?.Mode, days: d?.Days ?? (d?.Years ? d.Years * 365 : undefined) };
    }

    async getObject(o: StoredObject, wait: Wait): Promise<Buffer> {
        const r = await this.clients(o.tier).send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key }), abortOf(wait));
        return Buffer.from(await r.Body!.transformToByteArray());
    }
}

/**
 * Traffic: switching is a DR-stack change through the Automation API (endpoints.activeRegion);
 * confirming reads Route 53's health-check status from its global data plane — no call into
 * the failed primary region.
 */
export class PlatformTraffic implements TrafficPrimitives {
    constructor(
        private readonly stack: StackContext,
        private readonly route53: Route53Client,
        private readonly outputs: StackOutputsView,
    ) {}

    async switchTo(region: "primary" | "dr", wait: Wait): Promise<readonly string[]> {
        return setDrStackConfig(this.stack, { "endpoints.activeRegion": region, "dr.promote": region === "dr" }, wait);
    }

    async confirm(region: "primary" | "dr", wait: Wait): Promise<ProbeResult> {
        const eps = this.outputs.endpoints ?? [];
        if (eps.length === 0) return { name: "route53", ok: false, detail: "no endpoints with health-check ids in the stack outputs (FORTRESS_STACK_OUTPUTS)" };
        const lines: string[] = [];
        let ok = true;
        for (const ep of eps) {
            const id = ep.healthCheckIds?.[region];
            if (!id) {
                ok = false;
                lines.push(`${ep.hostname}: no ${region} health check id`);
                continue;
            }
            const r = await this.route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }), abortOf(wait));
            const obs = r.HealthCheckObservations ?? [];
            const healthy = obs.filter((o) => /^Success/.test(o.StatusReport?.Status ?? "")).length;
            const good = obs.length > 0 && healthy * 2 > obs.length;
            ok &&= good;
            lines.push(`${ep.hostname}: ${healthy}/${obs.length} checkers see ${region} healthy`);
        }
        return { name: "route53", ok, detail: lines.join("; ") };
    }
}

/** CloudWatch in the stack's DR region: where the SLO alarms and the dashboard read the runs. */
export function platformMetricsSink(stack: StackContext): CloudWatchMetricsSink {
    return new CloudWatchMetricsSink({ region: stack.config.regions.dr });
}

export async function createPlatformDriver(stack: StackContext): Promise<Driver> {
    const cfg = stack.config;
    const kc = new KubeConfig();
    try {
        kc.loadFromDefault();
        if (cfg.kubernetes.context) kc.setCurrentContext(cfg.kubernetes.context);
    } catch (e) {
        throw new PreflightError(`kubeconfig: ${(e as Error).message}; set KUBECONFIG or the stack's kubernetes.context`);
    }
    if (!kc.getCurrentCluster()) throw new PreflightError(`no Kubernetes cluster in the kubeconfig${cfg.kubernetes.context ? ` for context ${cfg.kubernetes.context}` : ""}; set KUBECONFIG`);
    const api = kc.makeApiClient(CustomObjectsApi);
    const outputs = readOutputs(process.env.FORTRESS_STACK_OUTPUTS);
    const s3Clients = new Map<string, S3Client>();
    const regionOf = (tier: Tier) => outputs.tiers?.[tier]?.region ?? (tier === "tier3" ? cfg.regions.tier3 : tier === "tier2" ? cfg.regions.dr : cfg.regions.primary);
    const client = (tier: Tier) => {
        const region = regionOf(tier);
        if (!s3Clients.has(region)) s3Clients.set(region, new S3Client({ region }));
        return s3Clients.get(region)!;
    };
    const bucketOf = (tier: Tier) => {
        const b = outputs.tiers?.[tier]?.bucketName;
        if (!b) throw new PreflightError(`no bucket for ${tier} in the stack outputs: set FORTRESS_STACK_OUTPUTS to a file written by pulumi stack output --json`);
        return b;
    };
    const route53 = new Route53Client({ region: "us-east-1" });
    const metrics = platformMetricsSink(stack);
    return {
        name: "platform",
        describe: `platform: stack ${stack.name}, context ${kc.getCurrentContext()}, namespace ${cfg.kubernetes.namespace}, cluster ${PG_CLUSTER_NAME}`,
        database: new PlatformDatabase(api, cfg.kubernetes.namespace, PG_CLUSTER_NAME),
        storage: new PlatformStorage(client, bucketOf),
        audit: outputs.tiers?.tier3?.bucketName ? new S3AuditSink(client("tier3"), outputs.tiers.tier3.bucketName, cfg.storage.tier3.objectLock.mode) : undefined,
        traffic: new PlatformTraffic(stack, route53, outputs),
        metrics,
        async close() {
            metrics.destroy();
            for (const c of s3Clients.values()) c.destroy();
            route53.destroy();
        },
    };
}

/**
 * The platform driver: the Kubernetes API (@kubernetes/client-node) for the Percona operator's
 * PerconaPGBackup / PerconaPGRestore / PerconaPGCluster (and Velero Backup status) — every object
 * validated against the vendored CRDs before it is sent (resources.ts), status read with
 * deadlines and stuck/failed detection (status.ts) — AWS SDK v3 for S3 (listing, Object Lock
 * retention, the tier-3 audit records, the failover's bucket-policy fence in the DR and tier-3
 * regions), node's DNS resolver against the hosted zone's authoritative name servers (the
 * failover records as the world sees them: Route 53's data plane, never its API), and the
 * Pulumi Automation API for the DR stack (pulumi.ts).
 *
 * Names come from the stack config (namespace, regions, kube context) and the stack's outputs
 * (bucket per tier, the failover fence's buckets, principals and name servers):
 * `FORTRESS_STACK_OUTPUTS` names a file holding `pulumi stack output --json`.
 *
 * Proof stops here: this driver has not talked to a real cluster or to AWS (no API server and
 * no network in the build environment). Its objects and status readings are unit-tested against
 * the CRDs' schemas (test/cli/drivers/platform/); the primitives it does not implement yet are
 * absent or refuse with a message naming the gap (docs/recovery-commands.md lists them).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { GetObjectLockConfigurationCommand, GetObjectCommand, GetObjectRetentionCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import { S3AuditSink } from "../../audit";
import { CloudWatchMetricsSink } from "../../slo-metrics";
import { PreflightError } from "../../errors";
import type { StackContext } from "../../stack";
import { untilDeadline } from "../types";
import type { Driver, ObjectRetention, ProbeResult, StoragePrimitives, StoredObject, Tier, TrafficPrimitives, Wait } from "../types";
import { PG_CLUSTER_NAME } from "../../../components/core/names";
import { PlatformDatabase } from "./database";
import { BackupJobRunner, PlatformCache, PlatformConfig, PlatformSecrets } from "./assets";
import * as os from "os";
import * as path from "path";
import { KubeClient } from "./kube";
import { PlatformFailover, drStackChange, primaryKube } from "./failover";
import { DnsFailoverCheck, FenceTargets, RepoFence } from "./fence";

export interface StackOutputsView {
    readonly tiers?: Partial<Record<Tier, { readonly bucketName?: string; readonly region?: string }>>;
    /** The read-only repo role scratch restores run under (stacks: PgBackRestAccess.scratchReaderRoleArn). */
    readonly scratchRestore?: { readonly readerRoleArn?: string };
    /** The DR stack's failover fence: buckets outside the primary region and the primary's writer roles there (stacks/dr.ts). */
    readonly failoverFence?: FenceTargets;
}

export function readOutputs(file: string | undefined): StackOutputsView {
    if (!file) return {};
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as StackOutputsView;
    } catch (e) {
        throw new PreflightError(`FORTRESS_STACK_OUTPUTS ${file}: ${(e as Error).message}; write it with pulumi stack output --json`);
    }
}


export { backupsFromObjects } from "./database";

export class PlatformStorage implements StoragePrimitives {
    constructor(
        private readonly clients: (tier: Tier) => S3Client,
        private readonly bucketOf: (tier: Tier) => string,
    ) {}

    async listObjects(tier: Tier, prefix: string, wait: Wait): Promise<readonly StoredObject[]> {
        const out: StoredObject[] = [];
        let token: string | undefined;
        do {
            const r = await this.clients(tier).send(new ListObjectsV2Command({ Bucket: this.bucketOf(tier), Prefix: prefix, ContinuationToken: token }), untilDeadline(wait));
            for (const c of r.Contents ?? []) out.push({ tier, bucket: this.bucketOf(tier), key: c.Key!, sizeBytes: c.Size ?? 0, lastModified: c.LastModified ?? new Date(0) });
            token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
        return out;
    }

    async objectRetention(o: StoredObject, wait: Wait): Promise<ObjectRetention> {
        const r = await this.clients(o.tier).send(new GetObjectRetentionCommand({ Bucket: o.bucket, Key: o.key, VersionId: o.versionId }), untilDeadline(wait));
        return { mode: r.Retention?.Mode as ObjectRetention["mode"], retainUntil: r.Retention?.RetainUntilDate };
    }

    async bucketRetention(tier: Tier, wait: Wait): Promise<{ mode?: string; days?: number }> {
        const r = await this.clients(tier).send(new GetObjectLockConfigurationCommand({ Bucket: this.bucketOf(tier) }), untilDeadline(wait));
        const d = r.ObjectLockConfiguration?.Rule?.DefaultRetention;
        return { mode: d?.Mode, days: d?.Days ?? (d?.Years ? d.Years * 365 : undefined) };
    }

    async getObject(o: StoredObject, wait: Wait): Promise<Buffer> {
        const r = await this.clients(o.tier).send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key }), untilDeadline(wait));
        return Buffer.from(await r.Body!.transformToByteArray());
    }
}

/**
 * Traffic: switching is a DR-stack change through the Automation API (endpoints.activeRegion);
 * confirming resolves the failover records at the zone's authoritative name servers (DNS data
 * plane) — no Route 53 API call, nothing in the failed primary region.
 */
export class PlatformTraffic implements TrafficPrimitives {
    constructor(
        private readonly stackChange: (changes: Record<string, unknown>, wait: Wait) => Promise<readonly string[]>,
        private readonly dns: DnsFailoverCheck | string,
    ) {}

    async switchTo(region: "primary" | "dr", wait: Wait): Promise<readonly string[]> {
        return this.stackChange({ "endpoints.activeRegion": region, "dr.promote": region === "dr" }, wait);
    }

    async confirm(region: "primary" | "dr", wait: Wait): Promise<ProbeResult> {
        if (typeof this.dns === "string") return { name: "dns", ok: false, detail: this.dns };
        return this.dns.confirm(region, wait);
    }
}

/** The failover fence's parts from the stack config and outputs; a string says why a part is missing. */
export function dataPlaneFence(stack: StackContext, outputs: StackOutputsView, s3: (region: string) => S3Client, env: NodeJS.ProcessEnv = process.env): { repo: RepoFence | string; dns: DnsFailoverCheck | string } {
    const f = outputs.failoverFence;
    const missing = "no failoverFence in the stack outputs: set FORTRESS_STACK_OUTPUTS to a file written by pulumi stack output --json of the DR stack (deployed with this version)";
    let repo: RepoFence | string = missing;
    try {
        if (f) repo = new RepoFence(f, s3, stack.config.regions.primary);
    } catch (e) {
        repo = (e as Error).message; // a bad output: failover refuses naming it; other commands are unaffected
    }
    const e = stack.config.endpoints;
    const servers = env.FORTRESS_DNS_SERVERS ? env.FORTRESS_DNS_SERVERS.split(",").map((x) => x.trim()).filter(Boolean) : (e.nameServers ?? []);
    const dns = servers.length ? new DnsFailoverCheck(e.hosts, servers, e.ttlSeconds) : "no name servers for the failover records: set the stack's endpoints.nameServers (the hosted zone's NS record) or FORTRESS_DNS_SERVERS=ip[:port],…";
    return { repo, dns };
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
        // In a pod (scheduled drills) the service account's in-cluster context is the cluster; the stack's context names a laptop's.
        if (cfg.kubernetes.context && kc.getCurrentContext() !== "inClusterContext") kc.setCurrentContext(cfg.kubernetes.context);
    } catch (e) {
        throw new PreflightError(`kubeconfig: ${(e as Error).message}; set KUBECONFIG or the stack's kubernetes.context`);
    }
    if (!kc.getCurrentCluster()) throw new PreflightError(`no Kubernetes cluster in the kubeconfig${cfg.kubernetes.context ? ` for context ${cfg.kubernetes.context}` : ""}; set KUBECONFIG`);
    const kube = new KubeClient(kc);
    const outputs = readOutputs(process.env.FORTRESS_STACK_OUTPUTS);
    const s3Clients = new Map<string, S3Client>();
    const regionOf = (tier: Tier) => outputs.tiers?.[tier]?.region ?? (tier === "tier3" ? cfg.regions.tier3 : tier === "tier2" ? cfg.regions.dr : cfg.regions.primary);
    const regional = (region: string) => {
        if (!s3Clients.has(region)) s3Clients.set(region, new S3Client({ region }));
        return s3Clients.get(region)!;
    };
    const client = (tier: Tier) => regional(regionOf(tier));
    const bucketOf = (tier: Tier) => {
        const b = outputs.tiers?.[tier]?.bucketName;
        if (!b) throw new PreflightError(`no bucket for ${tier} in the stack outputs: set FORTRESS_STACK_OUTPUTS to a file written by pulumi stack output --json`);
        return b;
    };
    const storage = new PlatformStorage(client, bucketOf);
    const jobs = new BackupJobRunner(kube, storage);
    const retention = (tier: Tier) => (tier === "tier1" ? cfg.tiers.configuration.tier2.retentionDays : cfg.tiers.configuration[tier].retentionDays);
    const database = new PlatformDatabase(kube, cfg.kubernetes.namespace, PG_CLUSTER_NAME, outputs.scratchRestore?.readerRoleArn);
    const primaryContext = process.env.FORTRESS_PRIMARY_KUBE_CONTEXT;
    const fence = cfg.role === "dr" ? dataPlaneFence(stack, outputs, regional) : { repo: "a primary stack: run failover on its DR stack", dns: "a primary stack: run failover on its DR stack" };
    const failover = cfg.role === "dr" ? new PlatformFailover(kube, database, primaryKube(kc, primaryContext, (k) => new KubeClient(k)), cfg.kubernetes.namespace, PG_CLUSTER_NAME, drStackChange(stack), fence) : undefined;
    const metrics = platformMetricsSink(stack);
    return {
        name: "platform",
        describe: `platform: stack ${stack.name}, context ${kc.getCurrentContext()}, namespace ${cfg.kubernetes.namespace}, cluster ${PG_CLUSTER_NAME}`,
        database,
        failover,
        storage,
        cache: new PlatformCache(kube, jobs, cfg.kubernetes.namespace),
        configuration: new PlatformConfig(kube, storage, process.env.FORTRESS_VELERO_NAMESPACE ?? "velero", retention, path.join(process.env.FORTRESS_STATE_DIR ?? path.join(os.homedir(), ".fortress"), "restores")),
        secrets: new PlatformSecrets(jobs),
        audit: outputs.tiers?.tier3?.bucketName ? new S3AuditSink(client("tier3"), outputs.tiers.tier3.bucketName, cfg.storage.tier3.objectLock.mode) : undefined,
        traffic: new PlatformTraffic(drStackChange(stack), fence.dns),
        metrics,
        async close() {
            metrics.destroy();
            for (const c of s3Clients.values()) c.destroy();
        },
    };
}

/**
 * The DR-region stack: reads the primary stack's exports once (stacks/contract.ts) and declares
 * what runs in the DR region for the configured mode (stacks/steps/dr-mode.ts), as named steps
 * in data-flow order — each takes what the steps before it returned, so the order is the
 * compiler's, not a convention checked at run time. A step either declares its resources or
 * reports, by name, what it is waiting for; the plan prints both (output `steps`), so nothing
 * missing is silent.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSet, standbyLagAlarm } from "../components/detection";
import { PG_CLUSTER_NAME } from "../components/core/names";
import { TAG_KEYS, stackTags } from "../components/core/tags";
import { STANDBY_LAG_INTERVAL_SECONDS, StandbyLagPublisher } from "../components/postgres/standby-lag";
import type { Environment, FortressConfig } from "../config";
import { REMOTE_TIERS, RemoteTierId } from "../config/vocabulary";
import { PrimaryExportsOnDr, readPrimaryStack } from "./contract";
import { DrBackupIdentity, declareDrBackupIdentity } from "./steps/backup-identity";
import { declareDrCache, promotedRedisSchedules, redisRestorePrefixes } from "./steps/cache";
import { declareDrConfiguration, describeDrConfiguration } from "./steps/configuration";
import { declareDrDatabase } from "./steps/database";
import { DrCluster, declareDrCluster } from "./steps/dr-cluster";
import { declareDrCertificate, declareDrRouting } from "./steps/dr-endpoint";
import { DrPlan, drPlan } from "./steps/dr-mode";
import { declareErasureReplayJob, needsReplay } from "./steps/erasure-replay";
import { Mesh, declareMesh } from "./steps/mesh";
import { declareDrSecrets, describeDrSecrets } from "./steps/secrets";
import { declareWorkloads } from "./steps/workloads";

/** A DR step's line in the plan: what it declared, or what it waits for and who builds it. */
export interface StepResult {
    readonly status: "declared" | "pending";
    readonly detail: string;
}

/** The DR stack's steps, in the order they run (and the plan prints them). */
export const DR_STEP_NAMES = ["cluster", "mesh", "operators", "database", "redis", "erasure-replay", "workloads", "endpoint", "monitoring"] as const;
export type DrStepName = (typeof DR_STEP_NAMES)[number];

/** The DR stack's outputs. */
export interface DrExports {
    readonly environment: Environment;
    readonly mode: DrPlan["mode"];
    readonly plan: DrPlan;
    readonly steps: Readonly<Record<DrStepName, StepResult>>;
    readonly cluster: { readonly name: pulumi.Input<string>; readonly oidcIssuer?: pulumi.Output<string> };
    readonly drEndpoints: readonly string[];
    /** fortress restore/dr-test on the DR cluster (platform driver); absent while the database step is pending. */
    readonly scratchRestore?: { readonly readerRoleArn: pulumi.Output<string> };
    /**
     * `fortress failover`'s fence (cli/drivers/platform/fence.ts): the buckets outside the primary
     * region the primary writes into and its writer roles there; undefined when the primary
     * exports no failoverFence (deployed before it).
     */
    readonly failoverFence: pulumi.Output<FailoverFenceExport | undefined>;
}

export interface FailoverFenceExport {
    /** tier2/tier3: the primary's backup repos there; uploads: the uploads' DR copy, which the DR region serves after the switch. */
    readonly buckets: readonly { readonly tier: RemoteTierId | "uploads"; readonly bucketName: string; readonly region: string }[];
    readonly principals: readonly string[];
}

/**
 * The fence targets from the primary's exports: its tier-2/tier-3 buckets and the uploads' DR
 * copy (never in the primary region), and its writers there. The uploads' copy is fenced so that
 * the old region's replication cannot overwrite or delete what the DR region's services wrote
 * after the switch; uploads still in flight at the fence stay in the primary's bucket (within the
 * uploads RPO, replicated under RTC) — consistency before completeness, as for the repos.
 */
export function failoverFenceExport(primary: Pick<PrimaryExportsOnDr, "tiers" | "failoverFence" | "uploads" | "regions">): pulumi.Output<FailoverFenceExport | undefined> {
    return pulumi.all([primary.tiers, primary.failoverFence, primary.uploads, primary.regions]).apply(([tiers, fence, uploads, regions]) =>
        fence
            ? {
                  buckets: [
                      ...REMOTE_TIERS.map((t) => ({ tier: t, bucketName: tiers[t].bucketName, region: tiers[t].region })),
                      { tier: "uploads" as const, bucketName: uploads.replicaBucketName, region: regions.dr },
                  ],
                  principals: [...fence.principals],
              }
            : undefined,
    );
}

/** What a data step declared: the plan's line and the resources the workloads must wait for. */
interface DataStep {
    readonly report: StepResult;
    readonly services: readonly pulumi.Resource[];
}

const declared = (detail: string): StepResult => ({ status: "declared", detail });
const pending = (detail: string): StepResult => ({ status: "pending", detail });
const WAITS_FOR_OIDC = "waits for kubernetes.oidcProvider (the existing cluster's OIDC issuer), without which";

export async function dr(config: FortressConfig, kubeconfig?: pulumi.Output<string>): Promise<DrExports> {
    const plan = drPlan(config);
    const { environment, exports: primary } = await readPrimaryStack(config);
    const drAws = drRegionProvider(config, plan);

    const cluster = declareDrCluster(config, drAws, kubeconfig);
    const mesh = declareDrMesh(config, cluster, drAws);
    // IRSA in the DR cluster: the created EKS cluster's issuer, or kubernetes.oidcProvider.
    const oidcIssuer = cluster.eks?.oidcIssuer ?? config.kubernetes.oidcProvider;
    const backupIdentity = oidcIssuer === undefined ? undefined : declareDrBackupIdentity(config, plan, primary, cluster.provider, drAws, oidcIssuer, cluster.ready);
    const operators = declareOperatorsStep(config, plan, primary, cluster, drAws, oidcIssuer, backupIdentity);
    const database = declareDatabaseStep(config, plan, primary, cluster, drAws, oidcIssuer);
    const cache = declareCacheStep(config, plan, primary, cluster, backupIdentity);
    const dataServices = [...operators.services, ...database.services, ...cache.services];
    const erasureReplay = declareErasureReplayStep(config, plan, primary, cluster, drAws, oidcIssuer, dataServices);
    const workloads = declareWorkloadsStep(config, plan, cluster, [...dataServices, ...erasureReplay.services]);
    const endpoint = declareEndpointStep(config, plan, cluster, mesh, drAws);
    const monitoring = declareMonitoringStep(config, plan, primary, cluster, drAws, oidcIssuer);

    return {
        environment,
        mode: plan.mode,
        plan,
        steps: {
            cluster: describeCluster(config, cluster, kubeconfig),
            mesh: declared(`${mesh.ready.length > 0 ? `Istio ${config.dr!.istio.chartVersion} charts` : "Istio assumed installed"}, ingress NLB with the DR certificate`),
            operators: operators.report,
            database: database.report,
            redis: cache.report,
            "erasure-replay": erasureReplay.report,
            workloads,
            endpoint,
            monitoring,
        },
        cluster: cluster.eks ? { name: cluster.eks.clusterName, oidcIssuer: cluster.eks.oidcIssuer } : { name: "existing" },
        drEndpoints: config.endpoints.hosts.map((h) => h.drTarget),
        // fortress restore/dr-test on the DR cluster (platform driver); absent while the database step is pending.
        ...(database.scratchReaderRoleArn ? { scratchRestore: { readerRoleArn: database.scratchReaderRoleArn } } : {}),
        failoverFence: failoverFenceExport(primary),
    };
}

/** The DR region's AWS provider; every resource it declares is tagged with the stack and the DR mode. */
function drRegionProvider(config: FortressConfig, plan: DrPlan): aws.Provider {
    return new aws.Provider(`aws-${config.regions.dr}`, {
        region: config.regions.dr as aws.Region,
        defaultTags: { tags: { ...stackTags(config.environment, pulumi.getStack()), [TAG_KEYS.drMode]: plan.mode } },
    });
}

function describeCluster(config: FortressConfig, cluster: DrCluster, kubeconfig: pulumi.Output<string> | undefined): StepResult {
    const k = config.kubernetes;
    return declared(
        cluster.kind === "eks"
            ? `EKS ${k.eks.version} in ${config.regions.dr}: ${k.eks.instanceType} nodes ${k.eks.minSize}-${k.eks.maxSize}, EBS CSI driver, snapshot controller, storage class ${k.storageClass}`
            : `existing cluster (${kubeconfig ? "kubeconfig secret" : `context ${k.context}`}), namespace ${k.namespace}`,
    );
}

/** Istio and the ingress load balancer, serving the DR certificate. */
function declareDrMesh(config: FortressConfig, cluster: DrCluster, drAws: aws.Provider): Mesh {
    const certificate = declareDrCertificate(config, drAws);
    return declareMesh(config, cluster.provider, certificate.certificateArn, cluster.ready);
}

/** Data classes `configuration` (Velero) and `secrets` (Sealed Secrets) in the DR cluster. */
function declareOperatorsStep(
    config: FortressConfig,
    plan: DrPlan,
    primary: PrimaryExportsOnDr,
    cluster: DrCluster,
    drAws: aws.Provider,
    oidcIssuer: pulumi.Input<string> | undefined,
    identity: DrBackupIdentity | undefined,
): DataStep {
    const promoted = plan.mode === "promote";
    const what = `${describeDrConfiguration(config, promoted)}; ${describeDrSecrets(plan.redis.restoreFrom, promoted)}`;
    if (oidcIssuer === undefined || identity === undefined) {
        return { report: pending(`${what}: ${WAITS_FOR_OIDC} neither can read the backups through IRSA`), services: [] };
    }
    const velero = declareDrConfiguration(config, primary, identity, cluster.provider, drAws, oidcIssuer, cluster.ready);
    const sealedSecrets = declareDrSecrets(config, primary, identity, cluster.provider, cluster.ready);
    return { report: declared(`${what}; the Percona operator comes with the database step`), services: [sealedSecrets, velero] };
}

/** Data class `database`: the standby, the promoted standby, or the rebuild. */
function declareDatabaseStep(config: FortressConfig, plan: DrPlan, primary: PrimaryExportsOnDr, cluster: DrCluster, drAws: aws.Provider, oidcIssuer: pulumi.Input<string> | undefined): DataStep & { scratchReaderRoleArn?: pulumi.Output<string> } {
    const { source, standby } = plan.database;
    const from = source.kind === "stream" ? "the standby streaming from the primary (fallback repo2)" : `a restore from ${source.repo} (${source.tier})${source.targetTime ? ` to ${source.targetTime}` : ""}`;
    const what = standby ? `standby: ${from}` : `primary: ${from}, promoted`;
    if (oidcIssuer === undefined) {
        return { report: pending(`PerconaPGCluster ${PG_CLUSTER_NAME} as ${what}: ${WAITS_FOR_OIDC} pgBackRest cannot reach repo2/repo3 through IRSA`), services: [] };
    }
    const pg = declareDrDatabase({ config, source, standby, cluster: cluster.provider, aws: drAws, oidcIssuer, primary: primary.postgres, tiers: primary.tiers, dependsOn: cluster.ready });
    return { report: declared(`Percona operator chart ${config.postgres.operatorChartVersion}, PerconaPGCluster ${PG_CLUSTER_NAME} as ${what}`), services: [pg.cluster], scratchReaderRoleArn: pg.scratchReaderRoleArn };
}

/** Data class `cache`: Redis restored from the newest snapshot of the plan's tier. */
function declareCacheStep(config: FortressConfig, plan: DrPlan, primary: PrimaryExportsOnDr, cluster: DrCluster, identity: DrBackupIdentity | undefined): DataStep {
    const tier = plan.redis.restoreFrom;
    const schedules = promotedRedisSchedules(config);
    const what = `Redis restored from the newest snapshot under ${redisRestorePrefixes(tier).join(", ")} (${tier} bucket)${plan.mode === "promote" ? `, snapshots to tier2 (${schedules.tier2}) and tier3 (${schedules.tier3})` : ""}`;
    if (identity === undefined) {
        return { report: pending(`${what}: ${WAITS_FOR_OIDC} the restore cannot read the snapshots through IRSA`), services: [] };
    }
    const cache = declareDrCache(config, primary, identity, cluster.provider, cluster.ready);
    return { report: declared(what), services: [cache.redis] };
}

/** GDPR Art. 17: the erasures since the backup, replayed into the restored data before anyone is served. */
function declareErasureReplayStep(
    config: FortressConfig,
    plan: DrPlan,
    primary: PrimaryExportsOnDr,
    cluster: DrCluster,
    drAws: aws.Provider,
    oidcIssuer: pulumi.Input<string> | undefined,
    dataServices: readonly pulumi.Resource[],
): DataStep {
    if (!config.erasure) return { report: declared("the stack config has no erasure section: nothing to replay"), services: [] };
    if (!needsReplay(config, plan)) return { report: declared("the database is a standby streaming the primary's erasures: no replay at start (fortress failover replays before traffic)"), services: [] };
    if (oidcIssuer === undefined) return { report: pending(`Job erasure-replay: ${WAITS_FOR_OIDC} it cannot read the ledger through IRSA`), services: [] };
    const ledger = primary.erasureLedger.apply((l) => {
        if (!l) throw new Error(`dr: the stack config has an erasure section but the primary stack ${config.dr!.primaryStack} exports no erasureLedger; give the primary the same erasure section and deploy it first`);
        return l;
    });
    const job = declareErasureReplayJob({
        config,
        plan,
        ledger,
        kmsKeyArns: primary.tiers.apply((t) => [t.tier1.kmsKeyArn, t.tier2.kmsKeyArn]),
        cluster: cluster.provider,
        aws: drAws,
        oidcIssuer,
        dependsOn: [...cluster.ready, ...dataServices],
        driverOutputs: { tiers: primary.tiers.apply((t) => Object.fromEntries(Object.entries(t).map(([id, v]) => [id, { bucketName: v.bucketName, region: v.region }]))), failoverFence: failoverFenceExport(primary) },
    });
    // The workloads wait for the Job to complete: nobody is served before the erasures are replayed.
    return {
        report: declared(`Job erasure-replay (fortress erasure-replay) after the database and Redis, before the workloads scale up; reads both copies of the erasure ledger through its own IRSA role`),
        services: [job],
    };
}

/** The platform's services at the mode's replica counts, after every data service. */
function declareWorkloadsStep(config: FortressConfig, plan: DrPlan, cluster: DrCluster, dataServices: readonly pulumi.Resource[]): StepResult {
    declareWorkloads(config, cluster.provider, (s) => plan.workloads[s.name], [...cluster.ready, ...dataServices]);
    return declared(Object.entries(plan.workloads).map(([n, r]) => `${n}=${r}`).join(", ") || "no services configured");
}

/** The DR hostnames pointed at the ingress load balancer. */
function declareEndpointStep(config: FortressConfig, plan: DrPlan, cluster: DrCluster, mesh: Mesh, drAws: aws.Provider): StepResult {
    declareDrRouting(config, cluster.provider, mesh.gatewayService, drAws, [...cluster.ready, ...mesh.ready]);
    const names = [...new Set(config.endpoints.hosts.map((h) => h.drTarget))].join(", ");
    return declared(`${names} -> ingress load balancer (${plan.serving ? "serving" : "warm, takes traffic only on failover"})`);
}

/** The standby's replication-lag alarm, to the primary stack's DR-region alert topic, and its metric's publisher. */
function declareMonitoringStep(config: FortressConfig, plan: DrPlan, primary: PrimaryExportsOnDr, cluster: DrCluster, drAws: aws.Provider, oidcIssuer: pulumi.Input<string> | undefined): StepResult {
    if (!plan.standbyLagAlarm) return declared("no standby to watch in this mode");
    const rpoSeconds = config.objectives.dataClasses.database.rpoSeconds;
    new AlarmSet(
        "dr-alarms",
        {
            alarms: [standbyLagAlarm(PG_CLUSTER_NAME, rpoSeconds)],
            namePrefix: `${config.namePrefix}-${config.environment}`,
            topicArn: primary.monitoring.apply((m) => m.alertTopicArn),
        },
        { provider: drAws },
    );
    const alarm = `standby replication lag alarm (> ${rpoSeconds} s) to the primary stack's DR-region alert topic`;
    // Its metric's publisher: the lag read on the standby itself (components/postgres/standby-lag.ts).
    if (oidcIssuer === undefined) {
        return pending(`${alarm}; its publisher (Deployment ${PG_CLUSTER_NAME}-standby-lag) ${WAITS_FOR_OIDC} it cannot publish through IRSA — until then the alarm has no data and breaches`);
    }
    new StandbyLagPublisher(
        "standby-lag",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: config.kubernetes.namespace,
            jobImage: config.jobImage,
            metricsRegion: config.regions.dr,
            accountId: aws.getCallerIdentityOutput({}, { provider: drAws }).accountId,
            oidcIssuer,
            tier: "tier2",
        },
        { providers: { aws: drAws, kubernetes: cluster.provider }, dependsOn: cluster.ready },
    );
    return declared(`${alarm}; Deployment ${PG_CLUSTER_NAME}-standby-lag publishes the standby's replay lag every ${STANDBY_LAG_INTERVAL_SECONDS} s (2 replicas)`);
}

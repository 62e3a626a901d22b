/**
 * The DR-region stack: reads the primary stack's outputs through a StackReference and declares,
 * as a list of named steps, what runs in the DR region for the configured mode (see
 * stacks/steps/dr-mode.ts). A step either declares its resources or reports, by name, the
 * component it is waiting for — the plan prints both, so nothing missing is silent.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSet, standbyLagAlarm } from "../components/detection";
import { PG_CLUSTER_NAME } from "../components/core/names";
import type { FortressConfig } from "../config";
import { DrCluster, declareDrCluster } from "./steps/dr-cluster";
import { DrBackupIdentity, declareDrBackupIdentity, declareDrOperators, declareDrRedis, promotedRedisSchedules, redisRestorePrefixes, sealedKeyPrefixes } from "./steps/dr-data";
import { DrEndpoint, declareDrCertificate, declareDrRouting } from "./steps/dr-endpoint";
import { DrPlan, drPlan } from "./steps/dr-mode";
import { Mesh, declareMesh } from "./steps/mesh";
import { declareDrPostgres } from "./steps/postgres";
import { PrimaryExportsOnDr, readPrimaryExports } from "./contract";
import { declareWorkloads } from "./steps/workloads";
import { TAG_KEYS, stackTags } from "../components/core/tags";
import { declareErasureReplayJob, needsReplay } from "./steps/erasure-replay";

export interface DrContext {
    readonly config: FortressConfig;
    readonly plan: DrPlan;
    readonly primary: PrimaryExportsOnDr;
    /** AWS provider of the DR region. */
    readonly aws: aws.Provider;
    readonly kubeconfig?: pulumi.Output<string>;
    cluster?: DrCluster;
    certificate?: DrEndpoint;
    mesh?: Mesh;
    /** The DR cluster's roles on the backup tiers (operators step). */
    backup?: DrBackupIdentity;
    /** The DR cluster's read-only repo role for the CLI's scratch restores (database step). */
    scratchReaderRoleArn?: pulumi.Output<string>;
    /** Resources the platform's workloads wait for (operators, database, Redis). */
    readonly dataServices: pulumi.Resource[];
}

export interface StepResult {
    readonly status: "declared" | "pending";
    /** What the step declared, or what it waits for and who builds it. */
    readonly detail: string;
}

export interface DrStep {
    readonly name: string;
    readonly run: (ctx: DrContext) => StepResult;
}

const cluster = (ctx: DrContext) => {
    if (!ctx.cluster) throw new Error(`DR step order: the cluster step must run before the steps that use the cluster`);
    return ctx.cluster;
};

/** The DR cluster's OIDC issuer for IRSA: the created EKS cluster's, or kubernetes.oidcProvider. */
const oidcIssuerOf = (ctx: DrContext) => cluster(ctx).eks?.oidcIssuer ?? ctx.config.kubernetes.oidcProvider;

/** The DR cluster's backup roles, declared once by whichever step needs them first. */
const backupIdentity = (ctx: DrContext, oidcIssuer: pulumi.Input<string>) =>
    (ctx.backup ??= declareDrBackupIdentity(ctx.config, ctx.plan, ctx.primary, cluster(ctx).provider, ctx.aws, oidcIssuer, cluster(ctx).ready));

/** The DR stack's steps, in order. Issue 5 and 6 replace the pending ones with their components. */
export const DR_STEPS: DrStep[] = [
    {
        name: "cluster",
        run: (ctx) => {
            ctx.cluster = declareDrCluster(ctx.config, ctx.aws, ctx.kubeconfig);
            const k = ctx.config.kubernetes;
            return {
                status: "declared",
                detail:
                    ctx.cluster.kind === "eks"
                        ? `EKS ${k.eks.version} in ${ctx.config.regions.dr}: ${k.eks.instanceType} nodes ${k.eks.minSize}-${k.eks.maxSize}, EBS CSI driver, snapshot controller, storage class ${k.storageClass}`
                        : `existing cluster (${ctx.kubeconfig ? "kubeconfig secret" : `context ${k.context}`}), namespace ${k.namespace}`,
            };
        },
    },
    {
        name: "mesh",
        run: (ctx) => {
            ctx.certificate = declareDrCertificate(ctx.config, ctx.aws);
            ctx.mesh = declareMesh(ctx.config, cluster(ctx).provider, ctx.certificate.certificateArn, cluster(ctx).ready);
            return { status: "declared", detail: `${ctx.mesh.ready.length > 0 ? `Istio ${ctx.config.dr!.istio.chartVersion} charts` : "Istio assumed installed"}, ingress NLB with the DR certificate` };
        },
    },
    {
        name: "operators",
        run: (ctx) => {
            const tier = ctx.plan.redis.restoreFrom;
            const promoted = ctx.plan.mode === "promote";
            const velero = promoted ? `Velero writing tier2/tier3 (schedules ${ctx.config.tiers.configuration.tier2.snapshot}, ${ctx.config.tiers.configuration.tier3.snapshot})` : `Velero read-only on tier2/tier3 (no schedules)`;
            const sealed = `Sealed Secrets started on the primary's sealing keys from ${sealedKeyPrefixes(tier).join(", ")}${promoted ? ", key backups to tier2/tier3" : ""}`;
            const oidcIssuer = oidcIssuerOf(ctx);
            if (oidcIssuer === undefined) {
                return { status: "pending", detail: `${velero}; ${sealed}: waits for kubernetes.oidcProvider (the existing cluster's OIDC issuer), without which neither can read the backups through IRSA` };
            }
            const ops = declareDrOperators(ctx.config, ctx.plan, ctx.primary, backupIdentity(ctx, oidcIssuer), cluster(ctx).provider, ctx.aws, oidcIssuer, cluster(ctx).ready);
            ctx.dataServices.push(ops.sealedSecrets, ops.velero);
            return { status: "declared", detail: `${velero}; ${sealed}; the Percona operator comes with the database step` };
        },
    },
    {
        name: "database",
        run: (ctx) => {
            const db = ctx.plan.database;
            const from = db.source.kind === "stream" ? "the standby streaming from the primary (fallback repo2)" : `a restore from ${db.source.repo} (${db.source.tier})${db.source.targetTime ? ` to ${db.source.targetTime}` : ""}`;
            const what = db.standby ? `standby: ${from}` : `primary: ${from}, promoted`;
            const c = cluster(ctx);
            const oidcIssuer = oidcIssuerOf(ctx);
            if (oidcIssuer === undefined) {
                return { status: "pending", detail: `PerconaPGCluster ${PG_CLUSTER_NAME} as ${what}: waits for kubernetes.oidcProvider (the existing cluster's OIDC issuer), without which pgBackRest cannot reach repo2/repo3 through IRSA` };
            }
            const pg = declareDrPostgres({
                config: ctx.config,
                source: db.source,
                standby: db.standby,
                cluster: c.provider,
                aws: ctx.aws,
                oidcIssuer,
                primary: ctx.primary.postgres,
                tiers: ctx.primary.tiers,
                dependsOn: c.ready,
            });
            ctx.dataServices.push(pg.cluster);
            ctx.scratchReaderRoleArn = pg.scratchReaderRoleArn;
            return { status: "declared", detail: `Percona operator chart ${ctx.config.postgres.operatorChartVersion}, PerconaPGCluster ${PG_CLUSTER_NAME} as ${what}` };
        },
    },
    {
        name: "redis",
        run: (ctx) => {
            const tier = ctx.plan.redis.restoreFrom;
            const s = promotedRedisSchedules(ctx.config);
            const what = `Redis restored from the newest snapshot under ${redisRestorePrefixes(tier).join(", ")} (${tier} bucket)${ctx.plan.mode === "promote" ? `, snapshots to tier2 (${s.tier2}) and tier3 (${s.tier3})` : ""}`;
            const oidcIssuer = oidcIssuerOf(ctx);
            if (oidcIssuer === undefined) {
                return { status: "pending", detail: `${what}: waits for kubernetes.oidcProvider (the existing cluster's OIDC issuer), without which the restore cannot read the snapshots through IRSA` };
            }
            const r = declareDrRedis(ctx.config, ctx.primary, backupIdentity(ctx, oidcIssuer), cluster(ctx).provider, cluster(ctx).ready);
            ctx.dataServices.push(r.redis);
            return { status: "declared", detail: what };
        },
    },
    {
        name: "erasure-replay",
        run: (ctx) => {
            if (!ctx.config.erasure) return { status: "declared", detail: "the stack config has no erasure section: nothing to replay" };
            if (!needsReplay(ctx.config, ctx.plan)) return { status: "declared", detail: "the database is a standby streaming the primary's erasures: no replay at start (fortress failover replays before traffic)" };
            const oidcIssuer = oidcIssuerOf(ctx);
            if (oidcIssuer === undefined) return { status: "pending", detail: "Job erasure-replay: waits for kubernetes.oidcProvider (the existing cluster's OIDC issuer), without which it cannot read the ledger through IRSA" };
            const ledger = ctx.primary.erasureLedger.apply((l) => {
                if (!l) throw new Error(`dr: the stack config has an erasure section but the primary stack ${ctx.config.dr!.primaryStack} exports no erasureLedger; give the primary the same erasure section and deploy it first`);
                return l;
            });
            const job = declareErasureReplayJob({
                config: ctx.config,
                plan: ctx.plan,
                ledger,
                kmsKeyArns: ctx.primary.tiers.apply((t) => [t.tier1.kmsKeyArn, t.tier2.kmsKeyArn]),
                cluster: cluster(ctx).provider,
                aws: ctx.aws,
                oidcIssuer,
                dependsOn: [...cluster(ctx).ready, ...ctx.dataServices],
            });
            // The workloads wait for the Job to complete: nobody is served before the erasures are replayed.
            ctx.dataServices.push(job);
            return { status: "declared", detail: `Job erasure-replay (fortress erasure-replay) after the database and Redis, before the workloads scale up; reads both copies of the erasure ledger through its own IRSA role` };
        },
    },
    {
        name: "workloads",
        run: (ctx) => {
            const c = cluster(ctx);
            declareWorkloads(ctx.config, c.provider, (s) => ctx.plan.workloads[s.name], [...c.ready, ...ctx.dataServices]);
            return { status: "declared", detail: Object.entries(ctx.plan.workloads).map(([n, r]) => `${n}=${r}`).join(", ") || "no services configured" };
        },
    },
    {
        name: "endpoint",
        run: (ctx) => {
            if (!ctx.mesh) throw new Error(`DR step order: the mesh step must run before the endpoint step`);
            declareDrRouting(ctx.config, cluster(ctx).provider, ctx.mesh.gatewayService, ctx.aws, [...cluster(ctx).ready, ...ctx.mesh.ready]);
            const names = [...new Set(ctx.config.endpoints.hosts.map((h) => h.drTarget))].join(", ");
            return { status: "declared", detail: `${names} -> ingress load balancer (${ctx.plan.serving ? "serving" : "warm, takes traffic only on failover"})` };
        },
    },
    {
        name: "monitoring",
        run: (ctx) => {
            if (!ctx.plan.standbyLagAlarm) return { status: "declared", detail: "no standby to watch in this mode" };
            const m = ctx.primary.monitoring;
            new AlarmSet(
                "dr-alarms",
                {
                    alarms: [standbyLagAlarm(PG_CLUSTER_NAME, ctx.config.objectives.dataClasses.database.rpoSeconds)],
                    namePrefix: `${ctx.config.namePrefix}-${ctx.config.environment}`,
                    topicArn: m.apply((x) => x.alertTopicArn),
                },
                { provider: ctx.aws },
            );
            return { status: "declared", detail: `standby replication lag alarm (> ${ctx.config.objectives.dataClasses.database.rpoSeconds} s) to the primary stack's DR-region alert topic` };
        },
    },
];

export async function dr(config: FortressConfig, kubeconfig?: pulumi.Output<string>): Promise<Record<string, unknown>> {
    const plan = drPlan(config);
    const ref = new pulumi.StackReference(config.dr!.primaryStack);
    const primary = readPrimaryExports(ref);
    // The primary's environment must be this one: a prod DR stack reading staging would
    // restore the wrong backups. Checked before anything is declared.
    const env = (await ref.getOutputDetails("environment")).value;
    if (env !== config.environment) {
        throw new Error(
            `dr.primaryStack: "${config.dr!.primaryStack}" is ${env === undefined ? "a stack without an environment output (not a Fortress primary)" : `a ${env} stack`} but this stack's environment is ${config.environment}; point dr.primaryStack at the ${config.environment} primary`,
        );
    }
    const provider = new aws.Provider(`aws-${config.regions.dr}`, {
        region: config.regions.dr as aws.Region,
        defaultTags: { tags: { ...stackTags(config.environment, pulumi.getStack()), [TAG_KEYS.drMode]: plan.mode } },
    });
    const ctx: DrContext = { config, plan, primary, aws: provider, kubeconfig, dataServices: [] };
    const steps: Record<string, StepResult> = {};
    for (const step of DR_STEPS) steps[step.name] = step.run(ctx);

    return {
        environment: env,
        mode: plan.mode,
        plan,
        steps,
        cluster: ctx.cluster?.eks ? { name: ctx.cluster.eks.clusterName, oidcIssuer: ctx.cluster.eks.oidcIssuer } : { name: "existing" },
        drEndpoints: config.endpoints.hosts.map((h) => h.drTarget),
        // fortress restore/dr-test on the DR cluster (platform driver); absent while the database step is pending.
        ...(ctx.scratchReaderRoleArn ? { scratchRestore: { readerRoleArn: ctx.scratchReaderRoleArn } } : {}),
    };
}

/**
 * Steps of the DR stack for issue 5's data classes: the platform operators (Velero, Sealed
 * Secrets) and Redis, in the DR cluster, for the plan's mode.
 *
 * The primary's reader and writer roles trust only the primary cluster's OIDC issuer, so the
 * DR cluster gets roles of its own here: one reader of the tier the plan restores from (tier
 * 2, or tier 3 for a rebuild from tier 3; decrypt with that bucket's key, which for tier 2 is
 * the DR-region replica of the multi-Region key) and, once promoted, one writer per tier the
 * promoted region writes. Every passphrase is the primary's export and stays a secret
 * Output from the StackReference to the Kubernetes Secret.
 *
 * What a promoted region writes (docs/architecture.md, "PostgreSQL", puts tier 1 on a local volume next to the primary, which is
 * the region that failed): tier 2 (its own region's bucket, now the nearest copy) on tier 1's
 * schedule, so the cache keeps tier 1's loss bound, and tier 3 on tier 3's. Nothing is
 * written to tier 1. Snapshots and key backups keep the primary's passphrases: the restore
 * picks the newest snapshot under a prefix whichever region wrote it, and one key must open
 * them all.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import { BackupTarget, SealedSecrets, Velero } from "../../components/platform";
import { REDIS_PORT, Redis, RedisSnapshots } from "../../components/redis";
import { readerPolicy, writerPolicy } from "../../components/storage/backup-access";
import { IrsaRole } from "../../components/core/irsa-role";
import { FortressConfig, RemoteTierId, tierRegion } from "../../config";
import { putMetricPolicy, redisServerArgs } from "./data-protection";
import { BACKUP_SLO_NAMESPACE } from "../../components/detection/slo";
import { REDIS_CLUSTER_NAME } from "./detection";
import type { DrPlan } from "./dr-mode";
import type { PrimaryExportsOnDr } from "../contract";

/** The primary's tier outputs and backup passphrases, as the DR stack reads them (stacks/contract.ts). */
export type DrDataSources = Pick<PrimaryExportsOnDr, "tiers" | "backupPassphrases">;

/** The DR cluster's identity for reading (and, promoted, writing) the backup tiers. */
export interface DrBackupIdentity {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    /** The tier the plan restores from. */
    readonly restoreTier: RemoteTierId;
    readonly readerRoleArn: pulumi.Output<string>;
    /** Present once promoted: the tiers the promoted region writes. */
    readonly writers?: Readonly<Record<RemoteTierId, BackupTarget>>;
}

/** Key prefixes searched for the newest Redis snapshot: on tier 2 also tier 1's replicated hot copies. */
export function redisRestorePrefixes(tier: RemoteTierId): string[] {
    // The tier-1 copies replicated into the tier-2 bucket are at most minutes old; tier 2's own
    // are up to its interval old. Newest first (the script restores the newest of all anyway).
    return tier === "tier2" ? ["tier1/redis", "tier2/redis"] : ["tier3/redis"];
}

export function sealedKeyPrefixes(tier: RemoteTierId): string[] {
    return [`${tier}/secrets/sealed-secrets`];
}

/** Tier 2 on tier 1's cadence and tier 3 on its own (see the file comment). */
export function promotedRedisSchedules(config: FortressConfig): Record<RemoteTierId, string> {
    return { tier2: config.tiers.redis.tier1.snapshot, tier3: config.tiers.redis.tier3.snapshot };
}

export function declareDrBackupIdentity(config: FortressConfig, plan: DrPlan, src: DrDataSources, cluster: k8s.Provider, aws_: aws.Provider, oidcIssuer: pulumi.Input<string>, dependsOn: pulumi.Resource[]): DrBackupIdentity {
    const ns = config.kubernetes.namespace;
    const restoreTier = plan.redis.restoreFrom;
    const accountId = aws.getCallerIdentityOutput({}, { provider: aws_ }).accountId;
    const backupJobRole = (role: string, description: string, policy: pulumi.Input<string>) =>
        new IrsaRole(role, { description, accountId, oidcIssuer, namespace: ns, serviceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT], policyName: role, policy }, { provider: aws_ });
    const bucketArn = (t: RemoteTierId) => src.tiers.apply((x) => `arn:aws:s3:::${x[t].bucketName}`);
    const keyArn = (t: RemoteTierId) => src.tiers.apply((x) => x[t].kmsKeyArn);

    const serviceAccount = new k8s.core.v1.ServiceAccount(
        "dr-backup",
        { metadata: { name: BACKUP_JOB_SERVICE_ACCOUNT, namespace: ns, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } },
        { provider: cluster, dependsOn },
    );
    const reader = backupJobRole(
        "dr-backup-reader",
        `Fortress DR: the DR cluster reads ${restoreTier} backups (Redis snapshots, sealing keys)`,
        pulumi.all([bucketArn(restoreTier), keyArn(restoreTier)]).apply(([b, k]) => JSON.stringify(readerPolicy(b, k))),
    );

    let writers: Record<RemoteTierId, BackupTarget> | undefined;
    if (plan.mode === "promote") {
        writers = {} as Record<RemoteTierId, BackupTarget>;
        for (const t of ["tier2", "tier3"] as const) {
            const role = backupJobRole(
                `dr-backup-writer-${t}`,
                `Fortress DR: the promoted region writes ${t} backups`,
                pulumi.all([bucketArn(t), keyArn(t)]).apply(([b, k]) => JSON.stringify(writerPolicy(b, k))),
            );
            // Every job publishes its newest-backup age with the role it already holds.
            new aws.iam.RolePolicy(`dr-backup-metrics-${t}`, { role: role.role.id, policy: JSON.stringify(putMetricPolicy(["Fortress/Backups", BACKUP_SLO_NAMESPACE])) }, { provider: aws_ });
            writers[t] = { bucketName: src.tiers.apply((x) => x[t].bucketName), region: tierRegion(config.regions, t), writerRoleArn: role.arn };
        }
    }
    return { serviceAccount, restoreTier, readerRoleArn: reader.arn, writers };
}


export interface DrOperators {
    readonly velero: Velero;
    readonly sealedSecrets: SealedSecrets;
}

/** Velero (read-only until promoted) and Sealed Secrets started on the primary's sealing keys. */
export function declareDrOperators(
    config: FortressConfig,
    plan: DrPlan,
    src: DrDataSources,
    identity: DrBackupIdentity,
    cluster: k8s.Provider,
    aws_: aws.Provider,
    oidcIssuer: pulumi.Input<string>,
    dependsOn: pulumi.Resource[],
): DrOperators {
    const ns = config.kubernetes.namespace;
    const metricsRegion = config.regions.dr;
    const w = identity.writers;
    const location = (t: RemoteTierId) => ({
        bucketName: src.tiers.apply((x) => x[t].bucketName),
        bucketArn: src.tiers.apply((x) => `arn:aws:s3:::${x[t].bucketName}`),
        region: tierRegion(config.regions, t),
        kmsKeyArn: src.tiers.apply((x) => x[t].kmsKeyArn),
    });
    const velero = new Velero(
        "velero",
        {
            chartVersion: config.platform.velero.chartVersion,
            image: config.platform.velero.image,
            awsPluginImage: config.platform.velero.awsPluginImage,
            oidcIssuer,
            accountId: aws.getCallerIdentityOutput({}, { provider: aws_ }).accountId,
            locations: { tier2: location("tier2"), tier3: location("tier3") },
            ...(w
                ? {
                      schedules: { tier2: config.tiers.configuration.tier2, tier3: config.tiers.configuration.tier3 },
                      ageReporting: { namespace: ns, jobImage: config.jobImage, serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT, metricsRegion, roleArns: { tier2: w.tier2.writerRoleArn, tier3: w.tier3.writerRoleArn } },
                  }
                : { readOnly: true }),
        },
        { providers: [cluster, aws_], dependsOn },
    );
    const restoreTier = identity.restoreTier;
    const passphrase = (k: "sealedSecrets" | "redis") => pulumi.secret(src.backupPassphrases.apply((p) => p[k]));
    const sealedSecrets = new SealedSecrets(
        "sealed-secrets",
        {
            chartVersion: config.platform.sealedSecrets.chartVersion,
            namespace: config.platform.sealedSecrets.namespace,
            jobNamespace: ns,
            jobServiceAccount: BACKUP_JOB_SERVICE_ACCOUNT,
            jobImage: config.jobImage,
            schedules: w ? { tier2: config.tiers.secrets.tier2.snapshot, tier3: config.tiers.secrets.tier3.snapshot } : {},
            targets: w ?? {},
            metricsRegion,
            backupPassphrase: passphrase("sealedSecrets"),
            restoreKeys: {
                bucketName: src.tiers.apply((x) => x[restoreTier].bucketName),
                region: tierRegion(config.regions, restoreTier),
                prefixes: sealedKeyPrefixes(restoreTier),
                readerRoleArn: identity.readerRoleArn,
                passphrase: passphrase("sealedSecrets"),
            },
        },
        { provider: cluster, dependsOn: [...dependsOn, identity.serviceAccount] },
    );
    return { velero, sealedSecrets };
}

/** Redis restored from the newest snapshot of the plan's tier; once promoted, with its snapshot jobs. */
export function declareDrRedis(config: FortressConfig, src: DrDataSources, identity: DrBackupIdentity, cluster: k8s.Provider, dependsOn: pulumi.Resource[]): { redis: Redis; snapshots?: RedisSnapshots } {
    const ns = config.kubernetes.namespace;
    const tier = identity.restoreTier;
    const passphrase = pulumi.secret(src.backupPassphrases.apply((p) => p.redis));
    const redis = new Redis(
        REDIS_CLUSTER_NAME,
        {
            ...redisServerArgs(config),
            restore: {
                jobImage: config.jobImage,
                bucketName: src.tiers.apply((x) => x[tier].bucketName),
                region: tierRegion(config.regions, tier),
                prefixes: redisRestorePrefixes(tier),
                readerRoleArn: identity.readerRoleArn,
                passphrase,
                serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
            },
            protect: config.environment === "prod",
        },
        { provider: cluster, dependsOn: [...dependsOn, identity.serviceAccount] },
    );
    if (!identity.writers) return { redis };
    const snapshots = new RedisSnapshots(
        `${REDIS_CLUSTER_NAME}-snapshot`,
        {
            namespace: ns,
            jobImage: config.jobImage,
            redisHost: `${redis.serviceName}.${ns}.svc`,
            redisPort: REDIS_PORT,
            redisPasswordSecretName: redis.passwordSecretName,
            schedules: promotedRedisSchedules(config),
            targets: identity.writers,
            serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
            metricsRegion: config.regions.dr,
            passphrase,
        },
        { provider: cluster, dependsOn: [redis, identity.serviceAccount] },
    );
    return { redis, snapshots };
}

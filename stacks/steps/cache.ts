/**
 * Data class `cache`: Redis. Primary and DR halves side by side.
 *
 * Primary: the Redis StatefulSet with Sentinel and the replica-lag publisher, and RDB
 * snapshots to every tier on the schedules of `tiers.redis`.
 *
 * DR: Redis restored from the newest snapshot of the tier the plan restores from, through the
 * DR cluster's reader role (backup-identity.ts). Once promoted the region writes snapshots
 * itself: tier 2 (its own region's bucket, now the nearest copy) on tier 1's schedule, so the
 * cache keeps tier 1's loss bound, and tier 3 on tier 3's; nothing to tier 1. Snapshots keep
 * the primary's passphrase: the restore picks the newest snapshot under a prefix whichever
 * region wrote it, and one key must open them all.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import { REDIS_PORT, Redis, RedisSnapshots, RedisSnapshotsArgs } from "../../components/redis";
import { IrsaRole } from "../../components/core/irsa-role";
import { FortressConfig, RemoteTierId, tierRegion } from "../../config";
import type { Providers } from "../providers";
import { DrBackupIdentity, DrDataSources, PrimaryBackupIdentity, putMetricPolicy } from "./backup-identity";
import type { DetectionOutputs } from "./detection";
import { REDIS_CLUSTER_NAME } from "./detection";
import type { StorageOutputs } from "./storage";

/** The Redis server's settings from the stack config: the same in the primary and the DR region. */
export function redisServerArgs(config: FortressConfig) {
    return {
        namespace: config.kubernetes.namespace,
        image: config.redis.image,
        exporterImage: config.redis.exporterImage,
        storageClass: config.kubernetes.storageClass,
        storageSize: config.redis.storageSize,
        maxReplicaLagSeconds: config.redis.maxReplicaLagSeconds,
    };
}

/** The snapshot CronJobs of a Redis, one per tier. */
function declareSnapshots(config: FortressConfig, redis: Redis, args: Pick<RedisSnapshotsArgs, "schedules" | "targets" | "metricsRegion" | "passphrase">, opts: pulumi.ComponentResourceOptions): RedisSnapshots {
    const ns = config.kubernetes.namespace;
    return new RedisSnapshots(
        `${REDIS_CLUSTER_NAME}-snapshot`,
        {
            namespace: ns,
            jobImage: config.jobImage,
            redisHost: `${redis.serviceName}.${ns}.svc`,
            redisPort: REDIS_PORT,
            redisPasswordSecretName: redis.passwordSecretName,
            schedules: args.schedules,
            targets: args.targets,
            serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
            metricsRegion: args.metricsRegion,
            ...(args.passphrase !== undefined ? { passphrase: args.passphrase } : {}),
        },
        opts,
    );
}

// --- primary ------------------------------------------------------------------------------------

export interface CacheOutputs {
    readonly redis: Redis;
    /** Passphrase of the encrypted snapshots (secret): the DR region needs it to open them. */
    readonly snapshotPassphrase: pulumi.Output<string>;
}

/** The Redis lag publisher holds no tier role: only this one, only its namespace. */
function declareLagPublisherRole(config: FortressConfig, providers: Providers, storage: StorageOutputs, metricsRegion: string): pulumi.Output<string> {
    const lagRole = new IrsaRole(
        "redis-lag-metrics",
        {
            description: `Fortress DR: publish Redis replica lag to CloudWatch in ${metricsRegion}`,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            namespace: config.kubernetes.namespace,
            serviceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT],
            maxSessionDuration: null,
            policyName: "redis-lag-metrics",
            policy: JSON.stringify(putMetricPolicy("Fortress/Redis")),
        },
        { provider: providers.aws.primary },
    );
    return lagRole.arn;
}

export function declareCache(
    config: FortressConfig,
    providers: Providers,
    cluster: k8s.Provider,
    storage: StorageOutputs,
    detection: DetectionOutputs,
    identity: PrimaryBackupIdentity,
): CacheOutputs {
    const metricsRegion = detection.monitoringRegion;
    const lagRoleArn = declareLagPublisherRole(config, providers, storage, metricsRegion);
    const redis = new Redis(
        REDIS_CLUSTER_NAME,
        {
            ...redisServerArgs(config),
            lagPublisher: { jobImage: config.jobImage, clusterName: REDIS_CLUSTER_NAME, metricsRegion, serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT, roleArn: lagRoleArn },
            protect: config.environment === "prod",
        },
        { provider: cluster, dependsOn: [identity.serviceAccount] },
    );
    const { tier1, tier2, tier3 } = config.tiers.redis;
    const snapshots = declareSnapshots(
        config,
        redis,
        { schedules: { tier1: tier1.snapshot, tier2: tier2.snapshot, tier3: tier3.snapshot }, targets: identity.targets(["tier1", "tier2", "tier3"]), metricsRegion },
        { provider: cluster, dependsOn: [redis, identity.serviceAccount] },
    );
    return { redis, snapshotPassphrase: snapshots.passphrase };
}

// --- DR -----------------------------------------------------------------------------------------

/** Key prefixes searched for the newest Redis snapshot: on tier 2 also tier 1's replicated hot copies. */
export function redisRestorePrefixes(tier: RemoteTierId): string[] {
    // The tier-1 copies replicated into the tier-2 bucket are at most minutes old; tier 2's own
    // are up to its interval old. Newest first (the script restores the newest of all anyway).
    return tier === "tier2" ? ["tier1/redis", "tier2/redis"] : ["tier3/redis"];
}

/** Tier 2 on tier 1's cadence and tier 3 on its own (see the file comment). */
export function promotedRedisSchedules(config: FortressConfig): Record<RemoteTierId, string> {
    return { tier2: config.tiers.redis.tier1.snapshot, tier3: config.tiers.redis.tier3.snapshot };
}

/** Redis restored from the newest snapshot of the plan's tier; once promoted, with its snapshot jobs. */
export function declareDrCache(config: FortressConfig, src: DrDataSources, identity: DrBackupIdentity, cluster: k8s.Provider, dependsOn: pulumi.Resource[]): { redis: Redis; snapshots?: RedisSnapshots } {
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
    const snapshots = declareSnapshots(
        config,
        redis,
        { schedules: promotedRedisSchedules(config), targets: identity.writers, metricsRegion: config.regions.dr, passphrase },
        { provider: cluster, dependsOn: [redis, identity.serviceAccount] },
    );
    return { redis, snapshots };
}

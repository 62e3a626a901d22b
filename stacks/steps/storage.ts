/**
 * Step: the three backup tiers and everything that keeps them safe — the multi-Region key,
 * a bucket per tier in three regions, access-log buckets, replication, the writer and reader
 * roles, and the GCS copy of tier 3.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    AccessLogBucket,
    BackupAccess,
    BackupKey,
    GcsVault,
    Replication,
    TierBucket,
    TierTable,
    tierPrefix,
    tierPrefixRules,
    tierUndoWindowDays,
} from "../../components/storage";
import { BACKUP_JOB_SERVICE_ACCOUNT, PG_SERVICE_ACCOUNTS, RESTORE_JOB_SERVICE_ACCOUNT, bucketName } from "../../components/core/names";
import { maxIntervalSeconds, parseCron } from "../../components/core/cron";
import { FortressConfig, TIERS, TierId, tierRegion } from "../../config";
import type { Providers } from "../providers";
import { REPLICATION_RULE_IDS } from "../../components/core/tags";

export interface TierOutputs {
    readonly region: string;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly writerRoleArn: pulumi.Output<string>;
    readonly readerRoleArn: pulumi.Output<string>;
}

export interface StorageOutputs {
    readonly accountId: pulumi.Output<string>;
    readonly tiers: Readonly<Record<TierId, TierOutputs>>;
    readonly tier1Bucket: TierBucket;
    readonly key: BackupKey;
    readonly accessLogBuckets: Readonly<Record<string, AccessLogBucket>>;
    readonly gcsBucketName: pulumi.Output<string>;
    /** The role S3 replicates tier 1 into the tier-2 and tier-3 buckets with (fenced by `fortress failover`). */
    readonly replicationRoleArn: pulumi.Output<string>;
}

/**
 * The data classes kept in S3 per tier. The database's tier 1 is a local NVMe volume (repo1),
 * not S3, so it is left out of the tier-1 bucket's table.
 */
export function s3TierTable(config: FortressConfig): TierTable {
    const { database, redis, configuration, secrets } = config.tiers;
    return {
        database: { tier2: database.tier2, tier3: database.tier3 },
        redis,
        configuration,
        secrets,
    };
}

/** Daily start of the GCS transfer: one hour after the last daily tier-3 backup begins. */
export function transferStartTime(config: FortressConfig): { hours: number; minutes: number } {
    const starts = Object.values(config.tiers)
        .map((byTier) => (byTier as Record<string, { full?: string; snapshot?: string }>).tier3)
        .filter((t): t is { full?: string; snapshot?: string } => t !== undefined)
        .map((t) => parseCron((t.full ?? t.snapshot)!))
        .filter((c) => maxIntervalSeconds(c) <= 86_400)
        .map((c) => Math.max(...c.hours) * 60 + Math.max(...c.minutes));
    const latest = starts.length > 0 ? Math.max(...starts) : 0;
    const at = (latest + 60) % 1440;
    return { hours: Math.floor(at / 60), minutes: at % 60 };
}

/** An IAM role of the stack's account by name (the deploy and break-glass roles of config `aws`). */
export function accountRoleArn(accountId: pulumi.Input<string>, roleName: string): pulumi.Output<string> {
    return pulumi.interpolate`arn:aws:iam::${accountId}:role/${roleName}`;
}

export function declareStorage(config: FortressConfig, providers: Providers, parent?: pulumi.Resource): StorageOutputs {
    const { regions, environment, namePrefix } = config;
    const prod = environment === "prod";
    const identity = aws.getCallerIdentityOutput({}, { provider: providers.aws.primary, parent });
    const accountId = identity.accountId;
    const roleArn = (roleName: string) => accountRoleArn(accountId, roleName);
    const breakGlassRoleArn = roleArn(config.aws.breakGlassRoleName);
    const opts = (provider: aws.Provider): pulumi.ComponentResourceOptions => ({ provider, parent });

    const key = new BackupKey(
        "backup-key",
        {
            description: `Fortress DR ${environment}: backups in every tier`,
            accountId,
            adminRoleArns: [roleArn(config.aws.deployRoleName)],
            replicas: { [regions.dr]: providers.aws.dr, [regions.tier3]: providers.aws.tier3 },
            protect: prod,
        },
        opts(providers.aws.primary),
    );
    const keyIn: Record<TierId, pulumi.Output<string>> = { tier1: key.arn, tier2: key.replicaArns[regions.dr], tier3: key.replicaArns[regions.tier3] };
    const providerOf: Record<TierId, aws.Provider> = { tier1: providers.aws.primary, tier2: providers.aws.dr, tier3: providers.aws.tier3 };
    const regionOf = (tier: TierId) => tierRegion(regions, tier);

    const accessLogBuckets: Record<string, AccessLogBucket> = {};
    for (const tier of TIERS) {
        const region = regionOf(tier);
        accessLogBuckets[region] = new AccessLogBucket(
            `access-logs-${region}`,
            {
                bucketName: bucketName(namePrefix, environment, "access-logs", region),
                accountId,
                retentionDays: config.storage.complianceRetentionDays,
                breakGlassRoleArn,
                protect: prod,
            },
            opts(providerOf[tier]),
        );
    }

    const table = s3TierTable(config);
    const tier1Rules = tierPrefixRules(table, "tier1");
    // Configuration changes (the DR manifest) are live documents in tier 1: never expired there.
    const configurationRule = { prefix: tierPrefix("tier1", "configuration"), noncurrentExpirationDays: tierUndoWindowDays(table, "tier1") };
    const buckets = {} as Record<TierId, TierBucket>;
    for (const tier of TIERS) {
        const copies =
            tier === "tier2"
                ? // Hot copies of tier 1 keep tier 1's retention in the DR region.
                  [...tier1Rules, configurationRule]
                : tier === "tier3"
                  ? [{ ...configurationRule, noncurrentExpirationDays: tierUndoWindowDays(table, "tier3") }]
                  : [configurationRule];
        buckets[tier] = new TierBucket(
            tier,
            {
                tier,
                bucketName: bucketName(namePrefix, environment, tier, regionOf(tier)),
                kmsKeyArn: keyIn[tier],
                prefixRules: [...tierPrefixRules(table, tier), ...copies],
                undoWindowDays: tierUndoWindowDays(table, tier),
                transitions: config.storage[tier].transitions,
                objectLock: tier === "tier3" ? config.storage.tier3.objectLock : undefined,
                accessLogBucket: accessLogBuckets[regionOf(tier)].bucketName,
                breakGlassRoleArn,
                protect: prod,
            },
            opts(providerOf[tier]),
        );
    }

    const replication = new Replication(
        "tier1-replication",
        {
            sourceBucketName: buckets.tier1.bucketName,
            sourceBucketArn: buckets.tier1.arn,
            sourceKmsKeyArn: keyIn.tier1,
            sourceVersioning: buckets.tier1.versioning,
            destinations: [
                // Everything tier 1 holds reaches the DR region within the RTC bound.
                { id: REPLICATION_RULE_IDS.tier1ToTier2, bucketArn: buckets.tier2.arn, kmsKeyArn: keyIn.tier2, prefix: tierPrefix("tier1") },
                // Every configuration change is kept immutable for tier 3's retention.
                { id: REPLICATION_RULE_IDS.configurationToTier3, bucketArn: buckets.tier3.arn, kmsKeyArn: keyIn.tier3, prefix: tierPrefix("tier1", "configuration") },
            ],
        },
        { provider: providers.aws.primary, parent, dependsOn: [buckets.tier2.versioning, buckets.tier3.versioning] },
    );

    const access = new BackupAccess(
        "backup-access",
        {
            oidcIssuer: config.kubernetes.oidcProvider!,
            accountId,
            namespace: config.kubernetes.namespace,
            writerServiceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT, ...PG_SERVICE_ACCOUNTS],
            readerServiceAccounts: [RESTORE_JOB_SERVICE_ACCOUNT],
            tiers: Object.fromEntries(TIERS.map((t) => [t, { bucketArn: buckets[t].arn, kmsKeyArn: keyIn[t] }])),
        },
        opts(providers.aws.primary),
    );

    const vault = new GcsVault(
        "gcs-tier3",
        {
            project: config.gcs.project,
            location: config.gcs.location,
            bucketName: bucketName(namePrefix, environment, "tier3", config.gcs.location.toLowerCase()),
            retentionDays: config.storage.tier3.objectLock.days,
            lockRetention: config.gcs.lockRetention,
            // Tier 3's first storage-class transition is when data goes cold; GCS follows it.
            archiveAfterDays: config.storage.tier3.transitions[0]?.afterDays,
            sourceBucketName: buckets.tier3.bucketName,
            sourceBucketArn: buckets.tier3.arn,
            sourceKmsKeyArn: keyIn.tier3,
            transferRoleName: config.gcs.transferRoleName,
            excludePrefixes: pgBackRestInfoPrefixes(config),
            startTimeOfDay: transferStartTime(config),
            protect: prod,
        },
        { providers: [providers.aws.primary, providers.gcp], parent },
    );

    const tiers = Object.fromEntries(
        TIERS.map((t) => [
            t,
            {
                region: regionOf(t),
                bucketName: buckets[t].bucketName,
                bucketArn: buckets[t].arn,
                kmsKeyArn: keyIn[t],
                writerRoleArn: access.writerRoleArns[t]!,
                readerRoleArn: access.readerRoleArns[t]!,
            },
        ]),
    ) as Record<TierId, TierOutputs>;
    return { accountId, tiers, tier1Bucket: buckets.tier1, key, accessLogBuckets, gcsBucketName: vault.bucketName, replicationRoleArn: replication.roleArn };
}

/**
 * The pgBackRest files rewritten on every backup, at the tier-3 repo path. They cannot be
 * copied into the locked GCS bucket (it refuses replacements); see docs/storage.md for how a
 * restore from the GCS copy rebuilds them.
 */
export function pgBackRestInfoPrefixes(config: FortressConfig): string[] {
    const repo = tierPrefix("tier3", "database");
    const stanza = config.postgres.stanza;
    return [`${repo}backup/${stanza}/backup.info`, `${repo}archive/${stanza}/archive.info`];
}

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
import type { DrCopiedBucketArgs } from "../../components/storage/uploads";

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

/** What every part of the storage step shares: the account, the key per tier, the provider per tier. */
interface StorageScope {
    readonly config: FortressConfig;
    readonly accountId: pulumi.Output<string>;
    readonly breakGlassRoleArn: pulumi.Output<string>;
    readonly protect: boolean;
    readonly keyIn: Readonly<Record<TierId, pulumi.Output<string>>>;
    readonly providerOf: Readonly<Record<TierId, aws.Provider>>;
    readonly opts: (provider: aws.Provider) => pulumi.ComponentResourceOptions;
    readonly parent?: pulumi.Resource;
}

export function declareStorage(config: FortressConfig, providers: Providers, parent?: pulumi.Resource): StorageOutputs {
    const { regions, environment } = config;
    const accountId = aws.getCallerIdentityOutput({}, { provider: providers.aws.primary, parent }).accountId;
    const opts = (provider: aws.Provider): pulumi.ComponentResourceOptions => ({ provider, parent });
    const protect = environment === "prod";
    const key = new BackupKey(
        "backup-key",
        {
            description: `Fortress DR ${environment}: backups in every tier`,
            accountId,
            adminRoleArns: [accountRoleArn(accountId, config.aws.deployRoleName)],
            replicas: { [regions.dr]: providers.aws.dr, [regions.tier3]: providers.aws.tier3 },
            protect,
        },
        opts(providers.aws.primary),
    );
    const scope: StorageScope = {
        config,
        accountId,
        breakGlassRoleArn: accountRoleArn(accountId, config.aws.breakGlassRoleName),
        protect,
        keyIn: { tier1: key.arn, tier2: key.replicaArns[regions.dr], tier3: key.replicaArns[regions.tier3] },
        providerOf: { tier1: providers.aws.primary, tier2: providers.aws.dr, tier3: providers.aws.tier3 },
        opts,
        parent,
    };
    const accessLogBuckets = declareAccessLogBuckets(scope);
    const buckets = declareTierBuckets(scope, accessLogBuckets);
    const replication = declareTierReplication(scope, buckets, providers);
    const access = declareBackupAccess(scope, buckets, providers);
    const vault = declareGcsCopy(scope, buckets, providers);

    const tiers = Object.fromEntries(
        TIERS.map((t) => [
            t,
            {
                region: tierRegion(regions, t),
                bucketName: buckets[t].bucketName,
                bucketArn: buckets[t].arn,
                kmsKeyArn: scope.keyIn[t],
                writerRoleArn: access.writerRoleArns[t]!,
                readerRoleArn: access.readerRoleArns[t]!,
            },
        ]),
    ) as Record<TierId, TierOutputs>;
    return { accountId, tiers, tier1Bucket: buckets.tier1, key, accessLogBuckets, gcsBucketName: vault.bucketName, replicationRoleArn: replication.roleArn };
}

/** One access-log bucket per tier region, keyed by region. */
function declareAccessLogBuckets(scope: StorageScope): Record<string, AccessLogBucket> {
    const { config } = scope;
    const accessLogBuckets: Record<string, AccessLogBucket> = {};
    for (const tier of TIERS) {
        const region = tierRegion(config.regions, tier);
        accessLogBuckets[region] = new AccessLogBucket(
            `access-logs-${region}`,
            {
                bucketName: bucketName(config.namePrefix, config.environment, "access-logs", region),
                accountId: scope.accountId,
                retentionDays: config.storage.complianceRetentionDays,
                breakGlassRoleArn: scope.breakGlassRoleArn,
                protect: scope.protect,
            },
            scope.opts(scope.providerOf[tier]),
        );
    }
    return accessLogBuckets;
}

/**
 * The prefix rules of a tier's bucket besides its own data classes: tier 2 keeps tier 1's
 * replicated copies at tier 1's retention; configuration changes (the DR manifest) are live
 * documents in tier 1, never expired there, and kept for tier 3's undo window in tier 3.
 */
function copiedPrefixRules(table: TierTable, tier: TierId) {
    const configurationRule = { prefix: tierPrefix("tier1", "configuration"), noncurrentExpirationDays: tierUndoWindowDays(table, "tier1") };
    if (tier === "tier2") return [...tierPrefixRules(table, "tier1"), configurationRule];
    if (tier === "tier3") return [{ ...configurationRule, noncurrentExpirationDays: tierUndoWindowDays(table, "tier3") }];
    return [configurationRule];
}

/** A bucket per tier in the tier's region, under the key's copy there. */
function declareTierBuckets(scope: StorageScope, accessLogBuckets: Readonly<Record<string, AccessLogBucket>>): Record<TierId, TierBucket> {
    const { config } = scope;
    const table = s3TierTable(config);
    const buckets = {} as Record<TierId, TierBucket>;
    for (const tier of TIERS) {
        const region = tierRegion(config.regions, tier);
        buckets[tier] = new TierBucket(
            tier,
            {
                tier,
                bucketName: bucketName(config.namePrefix, config.environment, tier, region),
                kmsKeyArn: scope.keyIn[tier],
                prefixRules: [...tierPrefixRules(table, tier), ...copiedPrefixRules(table, tier)],
                undoWindowDays: tierUndoWindowDays(table, tier),
                transitions: config.storage[tier].transitions,
                objectLock: tier === "tier3" ? config.storage.tier3.objectLock : undefined,
                accessLogBucket: accessLogBuckets[region].bucketName,
                breakGlassRoleArn: scope.breakGlassRoleArn,
                protect: scope.protect,
            },
            scope.opts(scope.providerOf[tier]),
        );
    }
    return buckets;
}

/** Tier 1 into tier 2 (everything) and into tier 3 (configuration changes). */
function declareTierReplication(scope: StorageScope, buckets: Readonly<Record<TierId, TierBucket>>, providers: Providers): Replication {
    const { keyIn } = scope;
    return new Replication(
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
        { provider: providers.aws.primary, parent: scope.parent, dependsOn: [buckets.tier2.versioning, buckets.tier3.versioning] },
    );
}

/** The backup jobs' writer roles and the restore jobs' reader roles, per tier. */
function declareBackupAccess(scope: StorageScope, buckets: Readonly<Record<TierId, TierBucket>>, providers: Providers): BackupAccess {
    const { config } = scope;
    return new BackupAccess(
        "backup-access",
        {
            oidcIssuer: config.kubernetes.oidcProvider!,
            accountId: scope.accountId,
            namespace: config.kubernetes.namespace,
            writerServiceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT, ...PG_SERVICE_ACCOUNTS],
            readerServiceAccounts: [RESTORE_JOB_SERVICE_ACCOUNT],
            tiers: Object.fromEntries(TIERS.map((t) => [t, { bucketArn: buckets[t].arn, kmsKeyArn: scope.keyIn[t] }])),
        },
        scope.opts(providers.aws.primary),
    );
}

/** The locked GCS copy of tier 3, filled by a daily Storage Transfer job. */
function declareGcsCopy(scope: StorageScope, buckets: Readonly<Record<TierId, TierBucket>>, providers: Providers): GcsVault {
    const { config } = scope;
    return new GcsVault(
        "gcs-tier3",
        {
            project: config.gcs.project,
            location: config.gcs.location,
            bucketName: bucketName(config.namePrefix, config.environment, "tier3", config.gcs.location.toLowerCase()),
            retentionDays: config.storage.tier3.objectLock.days,
            lockRetention: config.gcs.lockRetention,
            // Tier 3's first storage-class transition is when data goes cold; GCS follows it.
            archiveAfterDays: config.storage.tier3.transitions[0]?.afterDays,
            sourceBucketName: buckets.tier3.bucketName,
            sourceBucketArn: buckets.tier3.arn,
            sourceKmsKeyArn: scope.keyIn.tier3,
            transferRoleName: config.gcs.transferRoleName,
            excludePrefixes: pgBackRestInfoPrefixes(config),
            startTimeOfDay: transferStartTime(config),
            protect: scope.protect,
        },
        { providers: [providers.aws.primary, providers.gcp], parent: scope.parent },
    );
}

/**
 * A bucket of the primary region and its DR-region copy, as the uploads and the erasure
 * ledger both declare them: `<prefix>-<environment>-<purpose>-<region>` in each region, the
 * backup key and its DR replica, each region's access-log bucket, the break-glass role and
 * the DR provider for the copy.
 */
export function drCopiedBucketArgs(config: FortressConfig, providers: Providers, storage: StorageOutputs, purpose: string): DrCopiedBucketArgs {
    const { regions, environment, namePrefix } = config;
    return {
        bucketName: bucketName(namePrefix, environment, purpose, regions.primary),
        replicaBucketName: bucketName(namePrefix, environment, purpose, regions.dr),
        kmsKeyArn: storage.key.arn,
        replicaKmsKeyArn: storage.key.replicaArns[regions.dr],
        accessLogBucket: storage.accessLogBuckets[regions.primary].bucketName,
        replicaAccessLogBucket: storage.accessLogBuckets[regions.dr].bucketName,
        breakGlassRoleArn: accountRoleArn(storage.accountId, config.aws.breakGlassRoleName),
        replicaProvider: providers.aws.dr,
        protect: environment === "prod",
    };
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

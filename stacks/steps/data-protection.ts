/**
 * Steps of the primary stack for issue 5's data classes: Redis and its snapshots, the
 * Kubernetes configuration (Velero), the secrets (Sealed Secrets keys, Vault), the uploads
 * and the log archive. Every schedule is the tier config's (`tiers.redis`,
 * `tiers.configuration`, `tiers.secrets`); every bucket and role is the storage step's.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT, bucketName } from "../../components/core/names";
import { BackupTarget, SealedSecrets, VaultDr, Velero } from "../../components/platform";
import { REDIS_PORT, Redis, RedisSnapshots } from "../../components/redis";
import { IrsaRole } from "../../components/core/irsa-role";
import { BACKUP_SLO_NAMESPACE } from "../../components/detection/slo";
import { LogArchive } from "../../components/storage/log-archive";
import { doc } from "../../components/storage/policy-documents";
import { Uploads } from "../../components/storage/uploads";
import type { Providers } from "../providers";
import type { FortressConfig } from "../../config";
import type { DetectionOutputs } from "./detection";
import { REDIS_CLUSTER_NAME } from "./detection";
import type { StorageOutputs } from "./storage";
import type { RemoteTierId, TierId } from "../../config/vocabulary";

export interface DataProtectionOutputs {
    /** Passphrases of the encrypted backups (secrets): the DR region needs them to open them. */
    readonly backupPassphrases: Readonly<Record<"redis" | "sealedSecrets" | "vault", pulumi.Output<string>>>;
    readonly vault?: { readonly unsealKeyArn: pulumi.Output<string>; readonly unsealReplicaArns: Record<string, pulumi.Output<string>>; readonly sealStanza: pulumi.Output<string> };
    readonly uploads: { readonly bucketName: pulumi.Output<string>; readonly replicaBucketName: pulumi.Output<string> };
    readonly logArchive: { readonly bucketName: pulumi.Output<string>; readonly trailArn: pulumi.Output<string> };
}

/** A tier's bucket and writer role as the backup jobs see them. */
function targetsOf(storage: StorageOutputs, tiers: readonly TierId[]): Partial<Record<TierId, BackupTarget>> {
    return Object.fromEntries(tiers.map((t) => [t, { bucketName: storage.tiers[t].bucketName, region: storage.tiers[t].region, writerRoleArn: storage.tiers[t].writerRoleArn }]));
}

/** The roles a pod of the backup service account may assume, with what each may do. */
function declareBackupIdentity(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, metricsRegion: string) {
    const ns = config.kubernetes.namespace;
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        BACKUP_JOB_SERVICE_ACCOUNT,
        { metadata: { name: BACKUP_JOB_SERVICE_ACCOUNT, namespace: ns, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } },
        { provider: cluster },
    );
    // Every job publishes its newest-backup age with the tier writer role it already holds.
    for (const tier of ["tier1", "tier2", "tier3"] as const) {
        new aws.iam.RolePolicy(
            `backup-metrics-${tier}`,
            {
                role: storage.tiers[tier].writerRoleArn.apply((arn) => arn.split("/").pop()!),
                // The newest-backup age, and each run for the backup SLOs (jobs/lib/slo-run.sh).
                policy: JSON.stringify(putMetricPolicy(["Fortress/Backups", BACKUP_SLO_NAMESPACE])),
            },
            { provider: providers.aws.primary },
        );
    }
    // The Redis lag publisher holds no tier role: only this one, only its namespace.
    const lagRole = new IrsaRole(
        "redis-lag-metrics",
        {
            description: `Fortress DR: publish Redis replica lag to CloudWatch in ${metricsRegion}`,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            namespace: ns,
            serviceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT],
            maxSessionDuration: null,
            policyName: "redis-lag-metrics",
            policy: JSON.stringify(putMetricPolicy("Fortress/Redis")),
        },
        { provider: providers.aws.primary },
    );
    return { serviceAccount, lagRoleArn: lagRole.arn };
}

export function putMetricPolicy(namespace: string | readonly string[]) {
    return doc({ Sid: "PutFortressMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": namespace } } });
}

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

export function declareDataProtection(
    config: FortressConfig,
    providers: Providers,
    cluster: k8s.Provider,
    storage: StorageOutputs,
    detection: DetectionOutputs,
): DataProtectionOutputs {
    const { regions, environment, namePrefix, tiers } = config;
    const ns = config.kubernetes.namespace;
    const prod = environment === "prod";
    const metricsRegion = detection.monitoringRegion;
    const k8sOpts = (dependsOn: pulumi.Resource[] = []) => ({ provider: cluster, dependsOn });
    const identity = declareBackupIdentity(config, providers, cluster, storage, metricsRegion);
    const breakGlassRoleArn = pulumi.interpolate`arn:aws:iam::${storage.accountId}:role/${config.aws.breakGlassRoleName}`;

    // --- Redis: StatefulSet + Sentinel, snapshots to every tier -------------------------------
    const redis = new Redis(
        REDIS_CLUSTER_NAME,
        {
            ...redisServerArgs(config),
            lagPublisher: { jobImage: config.jobImage, clusterName: REDIS_CLUSTER_NAME, metricsRegion, serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT, roleArn: identity.lagRoleArn },
            protect: prod,
        },
        k8sOpts([identity.serviceAccount]),
    );
    const snapshots = new RedisSnapshots(
        `${REDIS_CLUSTER_NAME}-snapshot`,
        {
            namespace: ns,
            jobImage: config.jobImage,
            redisHost: `${redis.serviceName}.${ns}.svc`,
            redisPort: REDIS_PORT,
            redisPasswordSecretName: redis.passwordSecretName,
            schedules: { tier1: tiers.redis.tier1.snapshot, tier2: tiers.redis.tier2.snapshot, tier3: tiers.redis.tier3.snapshot },
            targets: targetsOf(storage, ["tier1", "tier2", "tier3"]),
            serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
            metricsRegion,
        },
        k8sOpts([redis, identity.serviceAccount]),
    );

    // --- Kubernetes configuration: Velero to tier 2 (daily) and tier 3 (weekly) -------------
    const location = (t: RemoteTierId) => ({ bucketName: storage.tiers[t].bucketName, bucketArn: storage.tiers[t].bucketArn, region: storage.tiers[t].region, kmsKeyArn: storage.tiers[t].kmsKeyArn });
    new Velero(
        "velero",
        {
            chartVersion: config.platform.velero.chartVersion,
            image: config.platform.velero.image,
            awsPluginImage: config.platform.velero.awsPluginImage,
            oidcIssuer: config.kubernetes.oidcProvider!,
            accountId: storage.accountId,
            locations: { tier2: location("tier2"), tier3: location("tier3") },
            schedules: { tier2: tiers.configuration.tier2, tier3: tiers.configuration.tier3 },
            ageReporting: {
                namespace: ns,
                jobImage: config.jobImage,
                serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
                metricsRegion,
                roleArns: { tier2: storage.tiers.tier2.writerRoleArn, tier3: storage.tiers.tier3.writerRoleArn },
            },
        },
        { providers: [cluster, providers.aws.primary] },
    );

    // --- Secrets: Sealed Secrets keys and Vault ------------------------------------------------
    const secretsSchedules = { tier2: tiers.secrets.tier2.snapshot, tier3: tiers.secrets.tier3.snapshot };
    const sealed = new SealedSecrets(
        "sealed-secrets",
        {
            chartVersion: config.platform.sealedSecrets.chartVersion,
            namespace: config.platform.sealedSecrets.namespace,
            jobNamespace: ns,
            jobServiceAccount: BACKUP_JOB_SERVICE_ACCOUNT,
            jobImage: config.jobImage,
            schedules: secretsSchedules,
            targets: targetsOf(storage, ["tier2", "tier3"]),
            metricsRegion,
        },
        k8sOpts([identity.serviceAccount]),
    );
    let vault: VaultDr | undefined;
    if (config.platform.vault.enabled) {
        vault = new VaultDr(
            "vault",
            {
                accountId: storage.accountId,
                adminRoleArns: [pulumi.interpolate`arn:aws:iam::${storage.accountId}:role/${config.aws.deployRoleName}`],
                replicas: { [regions.dr]: providers.aws.dr },
                primaryRegion: regions.primary,
                metricsRegion,
                oidcIssuer: config.kubernetes.oidcProvider!,
                vaultNamespace: config.platform.vault.namespace,
                vaultServiceAccount: config.platform.vault.serviceAccount,
                vaultAddress: config.platform.vault.address,
                snapshotRole: config.platform.vault.snapshotRole,
                jobNamespace: ns,
                jobServiceAccount: BACKUP_JOB_SERVICE_ACCOUNT,
                jobImage: config.jobImage,
                schedules: secretsSchedules,
                targets: targetsOf(storage, ["tier2", "tier3"]),
                protect: prod,
            },
            { providers: [cluster, providers.aws.primary], dependsOn: [identity.serviceAccount] },
        );
    }

    // --- Uploads and the log archive ----------------------------------------------------------
    const uploads = new Uploads(
        "uploads",
        {
            bucketName: bucketName(namePrefix, environment, "uploads", regions.primary),
            replicaBucketName: bucketName(namePrefix, environment, "uploads", regions.dr),
            kmsKeyArn: storage.key.arn,
            replicaKmsKeyArn: storage.key.replicaArns[regions.dr],
            accessLogBucket: storage.accessLogBuckets[regions.primary].bucketName,
            replicaAccessLogBucket: storage.accessLogBuckets[regions.dr].bucketName,
            breakGlassRoleArn,
            replicaProvider: providers.aws.dr,
            rpoSeconds: config.objectives.dataClasses.uploads.rpoSeconds,
            replicaAlarmTopicArn: detection.alertTopicArns[regions.dr],
            protect: prod,
        },
        { provider: providers.aws.primary },
    );
    const providerOf: Record<string, aws.Provider> = { [regions.primary]: providers.aws.primary, [regions.dr]: providers.aws.dr, [regions.tier3]: providers.aws.tier3 };
    const logArchive = new LogArchive(
        "log-archive",
        {
            bucketName: bucketName(namePrefix, environment, "log-archive", regions.primary),
            region: regions.primary,
            accountId: storage.accountId,
            adminRoleArns: [pulumi.interpolate`arn:aws:iam::${storage.accountId}:role/${config.aws.deployRoleName}`],
            replica: {
                bucketName: bucketName(namePrefix, environment, "log-archive", regions.dr),
                region: regions.dr,
                provider: providers.aws.dr,
                rpoSeconds: config.objectives.dataClasses.logs.rpoSeconds,
                alarmTopicArn: detection.alertTopicArns[regions.dr],
            },
            retentionDays: config.storage.complianceRetentionDays,
            // The mode tier 3 uses: COMPLIANCE wherever the schema requires it (staging, prod).
            lockMode: config.storage.tier3.objectLock.mode,
            breakGlassRoleArn,
            trailName: `${namePrefix}-${environment}`,
            dataEventBucketArns: (["tier1", "tier2", "tier3"] as const).map((t) => storage.tiers[t].bucketArn),
            accessLogSources: Object.entries(storage.accessLogBuckets).map(([region, b]) => ({ bucketName: b.bucketName, bucketArn: b.arn, provider: providerOf[region], dependsOn: [b] })),
            protect: prod,
        },
        { provider: providers.aws.primary },
    );

    return {
        backupPassphrases: { redis: snapshots.passphrase, sealedSecrets: sealed.backupPassphrase, vault: vault?.backupPassphrase ?? pulumi.secret("") },
        vault: vault && { unsealKeyArn: vault.unsealKeyArn, unsealReplicaArns: vault.unsealReplicaArns, sealStanza: vault.sealStanza },
        uploads: { bucketName: uploads.bucketName, replicaBucketName: uploads.replicaBucketName },
        logArchive: { bucketName: logArchive.bucketName, trailArn: logArchive.trailArn },
    };
}

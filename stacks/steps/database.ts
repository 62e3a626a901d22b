/**
 * Data class `database`: PostgreSQL. Primary and DR halves side by side. Primary: the Percona operator, the cluster with its three pgBackRest
 * repos (tier 1 NVMe volume, tier 2 and tier 3 buckets of the storage step), the replication
 * certificates the DR region shares, pgBackRest's IAM roles and the daily verification with
 * its alarms. DR: the operator and the cluster in the mode the DR plan asks for — a standby
 * streaming from the primary, that standby promoted, or a rebuild from repo2/repo3.
 * Every schedule, retention and timeout comes from renderFromConfig (one source of truth).
 * Also on the primary, for S2 (database corruption): the checksum watch beside the cluster.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PG_CLUSTER_NAME, PG_SERVICE_ACCOUNTS, RESTORE_JOB_SERVICE_ACCOUNT, bucketName } from "../../components/core/names";
import { AlarmSet, AlarmSpec } from "../../components/detection";
import {
    BackupAgeReporter,
    BackupVerification,
    ClusterRole,
    PerconaOperator,
    PgIntegrityWatch,
    PgBackRestAccess,
    PgBackRestSettings,
    PostgresCluster,
    ReplicationPems,
    ReplicationTls,
    S3_ENDPOINT,
    renderFromConfig,
    s3RepoPath,
    verificationAlarms,
    verificationSchedule,
} from "../../components/postgres";
import type { Providers } from "../providers";
import { FortressConfig, tierRegion } from "../../config";
import type { DetectionOutputs } from "./detection";
import type { DatabaseSource } from "./dr-mode";
import type { PrimaryExportsOnDr, PrimaryPostgres } from "../contract";
import type { StorageOutputs } from "./storage";
import type { RemoteTierId } from "../../config/vocabulary";

/** The settings of the platform's cluster: repo1 on the NVMe volume, repo2/repo3 the tier buckets. */
export function postgresSettings(config: FortressConfig): PgBackRestSettings {
    const { namePrefix, environment, regions } = config;
    const s3 = (tier: RemoteTierId, region: string) =>
        ({ kind: "s3", bucket: bucketName(namePrefix, environment, tier, region), region, endpoint: S3_ENDPOINT(region), path: s3RepoPath(tier), credentials: "web-id" }) as const;
    return renderFromConfig(config, { tier1: { kind: "posix" }, tier2: s3("tier2", tierRegion(regions, "tier2")), tier3: s3("tier3", tierRegion(regions, "tier3")) });
}

function clusterSpec(config: FortressConfig, settings: PgBackRestSettings, role: ClusterRole, promoted: boolean) {
    const p = config.postgres;
    return {
        role,
        promoted,
        postgresVersion: p.postgresVersion,
        image: p.image,
        instances: p.instances,
        storageClass: config.kubernetes.storageClass,
        storageSize: p.storageSize,
        repo1: { storageClass: config.kubernetes.nvmeStorageClass, size: p.repo1Size },
        settings,
        stanza: p.stanza,
        pgBouncerReplicas: p.pgBouncerReplicas,
        failoverDetectSeconds: config.objectives.scenarios.S1.detectSeconds,
    };
}

export interface DatabaseOutputs {
    /** Secret: the DR stack opens repo2 and repo3 with them. */
    readonly cipherPassphrases: Readonly<Record<string, pulumi.Output<string>>>;
    /** The CA and the certificates the DR standby streams with (keys are secrets). */
    readonly replicationTls: ReplicationTls["pems"];
    readonly replicationHost?: string;
    /** The verification alarms with their region (the DR dashboard graphs them). */
    readonly alarms: readonly (AlarmSpec & { readonly region: string })[];
    /** Read-only repo2/repo3 role the CLI's scratch restores annotate their service accounts with. */
    readonly scratchReaderRoleArn: pulumi.Output<string>;
    /** pgBackRest's writer role (archive-push and backups to repo2/repo3; fenced by `fortress failover`). */
    readonly repoWriterRoleArn: pulumi.Output<string>;
}

export function declareDatabase(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, detection: DetectionOutputs): DatabaseOutputs {
    const ns = config.kubernetes.namespace;
    const k8sOpts = { provider: cluster };
    const settings = postgresSettings(config);
    checkReposMatchStorage(settings, storage);
    const operator = new PerconaOperator("pg-operator", { namespace: ns, chartVersion: config.postgres.operatorChartVersion }, k8sOpts);
    const tls = new ReplicationTls("pg-replication-tls", {
        clusterName: PG_CLUSTER_NAME,
        namespace: ns,
        extraDnsNames: config.postgres.replicationHost ? [config.postgres.replicationHost] : [],
    });
    const access = new PgBackRestAccess(
        "pgbackrest",
        {
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            namespace: ns,
            writerServiceAccounts: PG_SERVICE_ACCOUNTS,
            verifierServiceAccount: RESTORE_JOB_SERVICE_ACCOUNT,
            repo2: { bucketArn: storage.tiers.tier2.bucketArn, kmsKeyArn: storage.tiers.tier2.kmsKeyArn },
            repo3: { bucketArn: storage.tiers.tier3.bucketArn, kmsKeyArn: storage.tiers.tier3.kmsKeyArn },
        },
        { provider: providers.aws.primary },
    );
    const pg = new PostgresCluster(
        "pg",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: ns,
            spec: clusterSpec(config, settings, { kind: "primary" }, false),
            tls: tls.pems,
            s3RoleArn: access.writerRoleArn,
            dependsOn: [operator.release],
        },
        { ...k8sOpts, protect: config.environment === "prod" },
    );
    const alarms = declareBackupChecks(config, providers, cluster, detection, settings, access, pg);
    return {
        cipherPassphrases: pg.cipherPassphrases,
        replicationTls: tls.pems,
        replicationHost: config.postgres.replicationHost,
        alarms,
        scratchReaderRoleArn: access.scratchReaderRoleArn,
        repoWriterRoleArn: access.writerRoleArn,
    };
}

/** Each S3 repo of the settings must name the region the storage step put its tier's bucket in. */
function checkReposMatchStorage(settings: PgBackRestSettings, storage: StorageOutputs): void {
    for (const r of settings.repos) {
        if (r.location.kind === "s3" && storage.tiers[r.tier].region !== r.location.region) {
            throw new Error(`database step: ${r.name} expects the ${r.tier} bucket in ${r.location.region}, but the storage step put it in ${storage.tiers[r.tier].region}`);
        }
    }
}

/**
 * The primary's checks on its backups: the daily restore verification, the backup-age
 * reporter (the detection step's backup-age alarms read what it publishes), and the
 * verification alarms in the monitoring region, which are returned with their region.
 */
function declareBackupChecks(
    config: FortressConfig,
    providers: Providers,
    cluster: k8s.Provider,
    detection: DetectionOutputs,
    settings: PgBackRestSettings,
    access: PgBackRestAccess,
    pg: PostgresCluster,
): DatabaseOutputs["alarms"] {
    const ns = config.kubernetes.namespace;
    const k8sOpts = { provider: cluster };
    const verifier = new k8s.core.v1.ServiceAccount(
        "pg-verify-sa",
        { metadata: { name: RESTORE_JOB_SERVICE_ACCOUNT, namespace: ns, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } },
        k8sOpts,
    );
    const metricsRegion = detection.monitoringRegion;
    new BackupVerification(
        "pg-verify",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: ns,
            schedule: verificationSchedule(config.tiers.database),
            settings,
            stanza: config.postgres.stanza,
            cipherSecretName: `${PG_CLUSTER_NAME}-pgbackrest-secrets`,
            postgresImage: config.postgres.image,
            postgresVersion: config.postgres.postgresVersion,
            jobImage: config.jobImage,
            serviceAccountName: RESTORE_JOB_SERVICE_ACCOUNT,
            verifierRoleArn: access.verifierRoleArn,
            metricsRegion,
            scratch: { storageClass: config.kubernetes.storageClass, size: config.postgres.storageSize },
        },
        { ...k8sOpts, dependsOn: [pg, verifier] },
    );
    new BackupAgeReporter(
        "pg-backup-age",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: ns,
            settings,
            stanza: config.postgres.stanza,
            jobImage: config.jobImage,
            serviceAccountName: RESTORE_JOB_SERVICE_ACCOUNT,
            verifierRoleArn: access.verifierRoleArn,
            metricsRegion,
        },
        { ...k8sOpts, dependsOn: [verifier] },
    );
    const topic = detection.alertTopicArns[metricsRegion];
    if (topic === undefined || metricsRegion !== config.regions.dr) {
        throw new Error(`database step: the verification alarms live in the monitoring region ${metricsRegion}, which must be the DR region with an alert topic`);
    }
    const verifyAlarms = verificationAlarms(PG_CLUSTER_NAME, [2, 3], 2);
    new AlarmSet("pg-verify-alarms", { alarms: verifyAlarms, namePrefix: detection.alarmNamePrefix, topicArn: topic }, { provider: providers.aws.dr });
    return verifyAlarms.map((a) => ({ ...a, region: metricsRegion }));
}

/**
 * S2 (database corruption) detection on the primary: the checksum watch beside the cluster,
 * alerting the monitoring region's topic directly (components/postgres/integrity-watch.ts).
 * It needs only the cluster's name and namespace, which are fixed (PG_CLUSTER_NAME,
 * kubernetes.namespace).
 */
export function declareIntegrityWatch(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs, detection: DetectionOutputs): PgIntegrityWatch {
    const region = detection.monitoringRegion;
    const topic = detection.alertTopicArns[region];
    if (topic === undefined) {
        throw new Error(`integrity-watch step: no alert topic in the monitoring region ${region}; the detection step must declare one there (its alertTopicArns)`);
    }
    if (config.kubernetes.oidcProvider === undefined) {
        throw new Error(`kubernetes.oidcProvider: required on the primary — the checksum watch publishes to SNS and CloudWatch through IRSA; set the cluster's OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<id>)`);
    }
    return new PgIntegrityWatch(
        "pg-integrity-watch",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: config.kubernetes.namespace,
            jobImage: config.jobImage,
            alertTopicArn: topic,
            metricsRegion: region,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider,
        },
        // IAM is global; the primary region's provider, as for pgBackRest's roles.
        { providers: { aws: providers.aws.primary, kubernetes: cluster } },
    );
}

// --- DR -----------------------------------------------------------------------------------------

/** What the DR stack's database step needs: the plan's source and the primary's `postgres` and `tiers` exports. */
export interface DrDatabaseArgs {
    readonly config: FortressConfig;
    readonly source: DatabaseSource;
    /** Still a standby (pilot light, not promoted, no point-in-time target). */
    readonly standby: boolean;
    readonly cluster: k8s.Provider;
    /** AWS provider of the DR region (IAM is global; the caller identity is read through it). */
    readonly aws: aws.Provider;
    /** OIDC issuer of the DR cluster, for IRSA (the created EKS cluster's, or kubernetes.oidcProvider). */
    readonly oidcIssuer: pulumi.Input<string> | undefined;
    readonly primary: PrimaryExportsOnDr["postgres"];
    /** The primary stack's tier outputs: the buckets and keys of tier 2 and tier 3. */
    readonly tiers: PrimaryExportsOnDr["tiers"];
    readonly dependsOn: pulumi.Resource[];
}

/** The DR region's cluster for the plan's database source: standby, promoted standby, or rebuild. */
export function declareDrDatabase(a: DrDatabaseArgs): { operator: PerconaOperator; cluster: PostgresCluster; role: ClusterRole; scratchReaderRoleArn: pulumi.Output<string> } {
    const { config } = a;
    const ns = config.kubernetes.namespace;
    const k8sOpts = { provider: a.cluster };
    let role: ClusterRole;
    if (a.source.kind === "stream") {
        const host = config.postgres.replicationHost;
        if (host === undefined) {
            throw new Error(`postgres.replicationHost: required for dr.mode "pilot-light" — the standby streams from the primary at this DNS name (the primary's internal load balancer); set it in the DR stack's config`);
        }
        role = { kind: "standby", host, port: config.postgres.replicationPort };
    } else {
        role = { kind: "rebuild", repo: a.source.repo, ...(a.source.targetTime ? { targetTime: a.source.targetTime } : {}) };
    }
    if (a.oidcIssuer === undefined) {
        throw new Error(`kubernetes.oidcProvider: required in the DR stack on an existing cluster — pgBackRest reaches repo2/repo3 through IRSA; set the cluster's OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<id>)`);
    }
    const oidcIssuer = a.oidcIssuer;
    // The DR cluster has its own OIDC issuer, so its own role with the same tier policies.
    const target = (tier: RemoteTierId) => ({
        bucketArn: a.tiers.apply((t) => `arn:aws:s3:::${t[tier].bucketName}`),
        kmsKeyArn: a.tiers.apply((t) => t[tier].kmsKeyArn),
    });
    const access = new PgBackRestAccess(
        "pgbackrest-dr",
        {
            accountId: aws.getCallerIdentityOutput({}, { provider: a.aws }).accountId,
            oidcIssuer,
            namespace: ns,
            writerServiceAccounts: PG_SERVICE_ACCOUNTS,
            verifierServiceAccount: RESTORE_JOB_SERVICE_ACCOUNT,
            repo2: target("tier2"),
            repo3: target("tier3"),
        },
        { provider: a.aws },
    );
    const operator = new PerconaOperator("pg-operator", { namespace: ns, chartVersion: config.postgres.operatorChartVersion }, { ...k8sOpts, dependsOn: a.dependsOn });
    const secret = <T>(f: (p: PrimaryPostgres) => T) => pulumi.secret(a.primary.apply(f));
    const pems: ReplicationPems = {
        ca: a.primary.apply((p) => p.replicationTls.ca),
        serverCert: secret((p) => p.replicationTls.serverCert),
        serverKey: secret((p) => p.replicationTls.serverKey),
        replicationCert: secret((p) => p.replicationTls.replicationCert),
        replicationKey: secret((p) => p.replicationTls.replicationKey),
    };
    const settings = postgresSettings(config);
    const pg = new PostgresCluster(
        "pg",
        {
            clusterName: PG_CLUSTER_NAME,
            namespace: ns,
            spec: clusterSpec(config, settings, role, !a.standby),
            tls: pems,
            cipherPassphrases: Object.fromEntries(settings.repos.map((r) => [r.name, secret((p) => p.cipherPassphrases[r.name])])),
            s3RoleArn: access.writerRoleArn,
            dependsOn: [operator.release],
        },
        // The standby becomes the only copy of the database the moment it is promoted.
        { ...k8sOpts, protect: config.environment === "prod" },
    );
    return { operator, cluster: pg, role, scratchReaderRoleArn: access.scratchReaderRoleArn };
}

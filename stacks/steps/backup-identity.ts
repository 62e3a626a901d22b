/**
 * The identity every backup job runs as, in both regions: the `fortress-backup` service
 * account and what it may do. Shared plumbing of the data-class steps (cache.ts,
 * configuration.ts, secrets.ts), declared once per stack and handed to each of them.
 *
 * Primary: the jobs assume the storage step's tier writer roles (which trust the primary
 * cluster's OIDC issuer); each of those roles may also publish the backup metrics.
 *
 * DR: the primary's roles trust only the primary cluster's issuer, so the DR cluster gets
 * roles of its own — one reader of the tier the plan restores from (tier 2, or tier 3 for a
 * rebuild from tier 3; decrypt with that bucket's key, which for tier 2 is the DR-region
 * replica of the multi-Region key) and, once promoted, one writer per tier the promoted
 * region writes (tier 2 and tier 3: tier 1 sits next to the primary, the region that failed).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT } from "../../components/core/names";
import type { BackupTarget } from "../../components/platform";
import { BACKUP_SLO_NAMESPACE } from "../../components/detection/slo";
import { IrsaRole } from "../../components/core/irsa-role";
import { readerPolicy, writerPolicy } from "../../components/storage/backup-access";
import { doc } from "../../components/storage/policy-documents";
import { FortressConfig, RemoteTierId, TierId, tierRegion } from "../../config";
import type { PrimaryExportsOnDr } from "../contract";
import type { Providers } from "../providers";
import type { DrPlan } from "./dr-mode";
import type { StorageOutputs } from "./storage";

/** The CloudWatch namespaces every backup job publishes to: its newest-backup age and each run for the backup SLOs (jobs/lib/slo-run.sh). */
export const BACKUP_METRIC_NAMESPACES = ["Fortress/Backups", BACKUP_SLO_NAMESPACE] as const;

export function putMetricPolicy(namespace: string | readonly string[]) {
    return doc({ Sid: "PutFortressMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": namespace } } });
}

function backupServiceAccount(name: string, namespace: string, opts: pulumi.CustomResourceOptions): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(name, { metadata: { name: BACKUP_JOB_SERVICE_ACCOUNT, namespace, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } }, opts);
}

// --- primary ------------------------------------------------------------------------------------

/** The backup jobs' identity in the primary cluster. */
export interface PrimaryBackupIdentity {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    /** A tier's bucket and writer role as the backup jobs see them. */
    readonly targets: (tiers: readonly TierId[]) => Partial<Record<TierId, BackupTarget>>;
}

export function declareBackupIdentity(config: FortressConfig, providers: Providers, cluster: k8s.Provider, storage: StorageOutputs): PrimaryBackupIdentity {
    const serviceAccount = backupServiceAccount(BACKUP_JOB_SERVICE_ACCOUNT, config.kubernetes.namespace, { provider: cluster });
    // Every job publishes its newest-backup age with the tier writer role it already holds.
    for (const tier of ["tier1", "tier2", "tier3"] as const) {
        new aws.iam.RolePolicy(
            `backup-metrics-${tier}`,
            { role: storage.tiers[tier].writerRoleArn.apply((arn) => arn.split("/").pop()!), policy: JSON.stringify(putMetricPolicy(BACKUP_METRIC_NAMESPACES)) },
            { provider: providers.aws.primary },
        );
    }
    const targets = (tiers: readonly TierId[]) =>
        Object.fromEntries(tiers.map((t) => [t, { bucketName: storage.tiers[t].bucketName, region: storage.tiers[t].region, writerRoleArn: storage.tiers[t].writerRoleArn }])) as Partial<Record<TierId, BackupTarget>>;
    return { serviceAccount, targets };
}

// --- DR -----------------------------------------------------------------------------------------

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

export function declareDrBackupIdentity(
    config: FortressConfig,
    plan: DrPlan,
    src: DrDataSources,
    cluster: k8s.Provider,
    drAws: aws.Provider,
    oidcIssuer: pulumi.Input<string>,
    dependsOn: pulumi.Resource[],
): DrBackupIdentity {
    const ns = config.kubernetes.namespace;
    const restoreTier = plan.redis.restoreFrom;
    const accountId = aws.getCallerIdentityOutput({}, { provider: drAws }).accountId;
    const backupJobRole = (role: string, description: string, policy: pulumi.Input<string>) =>
        new IrsaRole(role, { description, accountId, oidcIssuer, namespace: ns, serviceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT], policyName: role, policy }, { provider: drAws });
    const bucketArn = (t: RemoteTierId) => src.tiers.apply((x) => `arn:aws:s3:::${x[t].bucketName}`);
    const keyArn = (t: RemoteTierId) => src.tiers.apply((x) => x[t].kmsKeyArn);

    const serviceAccount = backupServiceAccount("dr-backup", ns, { provider: cluster, dependsOn });
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
            new aws.iam.RolePolicy(`dr-backup-metrics-${t}`, { role: role.role.id, policy: JSON.stringify(putMetricPolicy(BACKUP_METRIC_NAMESPACES)) }, { provider: drAws });
            writers[t] = { bucketName: src.tiers.apply((x) => x[t].bucketName), region: tierRegion(config.regions, t), writerRoleArn: role.arn };
        }
    }
    return { serviceAccount, restoreTier, readerRoleArn: reader.arn, writers };
}

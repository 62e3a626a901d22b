/**
 * Names shared between the stacks, the jobs and the policies. Kubernetes service-account
 * names appear in IAM trust policies, so they are fixed here rather than derived twice.
 */
import type { TierId } from "../../config/vocabulary";

/** Service account of the scheduled backup jobs (Redis snapshots, key backups). */
export const BACKUP_JOB_SERVICE_ACCOUNT = "fortress-backup";
/** Service account of restore and verification jobs: read-only on the tiers. */
export const RESTORE_JOB_SERVICE_ACCOUNT = "fortress-restore";
/** The platform's PostgreSQL cluster (PerconaPGCluster metadata.name). */
export const PG_CLUSTER_NAME = "fortress-pg";
/**
 * Service accounts the Percona operator creates for the cluster's pods; pgBackRest runs in
 * them and needs the tier writer roles through IRSA.
 */
export const PG_SERVICE_ACCOUNTS: readonly string[] = [`${PG_CLUSTER_NAME}-instance`, `${PG_CLUSTER_NAME}-pgbackrest`];

/** The object holding the resolved DR manifest in every tier (see stacks/steps/manifest.ts). */
export const MANIFEST_KEY = "tier1/configuration/fortress-manifest.json";

/** Globally unique bucket name: `<prefix>-<environment>-<purpose>-<region>`. */
export function bucketName(prefix: string, environment: string, purpose: string, region: string): string {
    return `${prefix}-${environment}-${purpose}-${region}`;
}

/**
 * Labels that say what a Kubernetes object is for, read exactly by the objectives model and
 * the policies (never guessed from names, commands or scripts). Every CronJob, Deployment,
 * StatefulSet and Velero Schedule the model reads carries all three that apply.
 */
export const LABEL_KEYS = Object.freeze({
    /** What data the object protects or serves: one of DATA_CLASS_LABELS. */
    dataClass: "fortress/data-class",
    /** The backup tier it writes or reads: tier1 | tier2 | tier3. */
    tier: "fortress/tier",
    /** What it does: one of PURPOSE_LABELS. */
    purpose: "fortress/purpose",
});

/** Values of LABEL_KEYS.dataClass: the tier data classes plus the platform's own services. */
export const DATA_CLASS_LABELS = ["database", "redis", "configuration", "secrets", "services"] as const;
export type DataClassLabel = (typeof DATA_CLASS_LABELS)[number];

/**
 * Values of LABEL_KEYS.purpose. `backup` writes a copy the recovery reads; `verify` proves
 * the copies restore (the guaranteed S2 detector); `integrity-watch` alerts on checksum
 * failures as they are read; `backup-age` only reports metrics and protects nothing;
 * `service` is a platform workload; `datastore` is the server of a data class; `lag-publisher`
 * reports a replica's lag as a metric (the DR standby's); `recovery-test` is a scheduled
 * `fortress dr-test` (a drill into scratch, never a detector the objectives model counts).
 */
export const PURPOSE_LABELS = ["backup", "verify", "integrity-watch", "backup-age", "service", "datastore", "restore", "lag-publisher", "recovery-test"] as const;
export type PurposeLabel = (typeof PURPOSE_LABELS)[number];

/** The labels of an object, as a plain record to spread into metadata.labels. */
export function fortressLabels(l: { readonly dataClass?: DataClassLabel; readonly tier?: TierId; readonly purpose: PurposeLabel }): Record<string, string> {
    return {
        ...(l.dataClass ? { [LABEL_KEYS.dataClass]: l.dataClass } : {}),
        ...(l.tier ? { [LABEL_KEYS.tier]: l.tier } : {}),
        [LABEL_KEYS.purpose]: l.purpose,
    };
}

/**
 * Scratch restores (`fortress restore`/`dr-test` on the platform, cli/drivers/platform) build a
 * NEW PerconaPGCluster in a namespace `<SCRATCH_NAMESPACE_PREFIX><into>`; the operator runs its
 * pods and restore Job as `<cluster>-<suffix>` for these suffixes. The scratch READ-ONLY repo
 * role (PgBackRestAccess.scratchReaderRoleArn) trusts exactly these patterns, and the driver
 * builds its names from the same constants, so the two cannot drift apart.
 */
export const SCRATCH_NAMESPACE_PREFIX = "fortress-scratch-";
export const PG_SERVICE_ACCOUNT_SUFFIXES: readonly string[] = ["instance", "pgbackrest"];

/** The OIDC `sub` patterns (IAM StringLike) of every scratch cluster's pgBackRest service accounts. */
export function scratchServiceAccountSubjects(): string[] {
    return PG_SERVICE_ACCOUNT_SUFFIXES.map((s) => `system:serviceaccount:${SCRATCH_NAMESPACE_PREFIX}*:*-${s}`);
}

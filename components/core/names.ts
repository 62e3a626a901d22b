/**
 * Names shared between the stacks, the jobs and the policies. Kubernetes service-account
 * names appear in IAM trust policies, so they are fixed here rather than derived twice.
 */

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

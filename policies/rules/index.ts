/**
 * Every rule of the pack, in the order the pack serves them and the plan prints them. Plain
 * objects: importing this module starts nothing (policies/index.ts builds the PolicyPack).
 */
import type { FortressRule } from "../lib/rule";
import { backupScheduleMeetsRpo } from "./backup-schedule-meets-rpo";
import { backupWriterCannotDestroy } from "./backup-writer-cannot-destroy";
import { erasureLedgerAppendOnly } from "./erasure-ledger-append-only";
import { failoverRecordTtl } from "./failover-record-ttl";
import { gcsBucketCmek } from "./gcs-bucket-cmek";
import { gcsRetentionLocked } from "./gcs-retention-locked";
import { kmsKeyRotationAndDeletionWindow } from "./kms-key-rotation-and-deletion-window";
import { lifecycleMatchesTierRetention } from "./lifecycle-matches-tier-retention";
import { objectivesUnmeasuredTerms } from "./objectives-unmeasured-terms";
import { objectivesWithinBudget } from "./objectives-within-budget";
import { objectivesWithinBudgetAdvisory } from "./objectives-within-budget-advisory";
import { pgbackrestThreeTiers } from "./pgbackrest-three-tiers";
import { route53HealthCheckFast } from "./route53-health-check-fast";
import { s3BucketCustomerManagedKms } from "./s3-bucket-customer-managed-kms";
import { s3TlsOnly } from "./s3-tls-only";
import { s3VersioningEnabled } from "./s3-versioning-enabled";
import { statefulResourcesProtected } from "./stateful-resources-protected";
import { storagePublicAccessBlocked } from "./storage-public-access-blocked";
import { tier2GeoSeparation } from "./tier2-geo-separation";
import { tier3ObjectLockCompliance } from "./tier3-object-lock-compliance";
import { workloadProbesAndPdb } from "./workload-probes-and-pdb";

export const RULES: readonly FortressRule[] = Object.freeze([
    s3BucketCustomerManagedKms,
    gcsBucketCmek,
    kmsKeyRotationAndDeletionWindow,
    s3TlsOnly,
    storagePublicAccessBlocked,
    s3VersioningEnabled,
    lifecycleMatchesTierRetention,
    tier3ObjectLockCompliance,
    gcsRetentionLocked,
    tier2GeoSeparation,
    backupWriterCannotDestroy,
    erasureLedgerAppendOnly,
    route53HealthCheckFast,
    failoverRecordTtl,
    backupScheduleMeetsRpo,
    pgbackrestThreeTiers,
    statefulResourcesProtected,
    workloadProbesAndPdb,
    objectivesWithinBudget,
    objectivesWithinBudgetAdvisory,
    objectivesUnmeasuredTerms,
]);

export {
    backupScheduleMeetsRpo,
    backupWriterCannotDestroy,
    erasureLedgerAppendOnly,
    failoverRecordTtl,
    gcsBucketCmek,
    gcsRetentionLocked,
    kmsKeyRotationAndDeletionWindow,
    lifecycleMatchesTierRetention,
    objectivesUnmeasuredTerms,
    objectivesWithinBudget,
    objectivesWithinBudgetAdvisory,
    pgbackrestThreeTiers,
    route53HealthCheckFast,
    s3BucketCustomerManagedKms,
    s3TlsOnly,
    s3VersioningEnabled,
    statefulResourcesProtected,
    storagePublicAccessBlocked,
    tier2GeoSeparation,
    tier3ObjectLockCompliance,
    workloadProbesAndPdb,
};

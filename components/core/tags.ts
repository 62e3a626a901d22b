/**
 * AWS tag keys and S3 replication rule ids: written by the components and stacks, read by the
 * objectives model, the policies and the CloudWatch alarms. One definition each, so a writer
 * and its readers cannot drift apart (a renamed rule id would silently orphan its alarm).
 */

/** Tag keys on AWS resources. */
export const TAG_KEYS = Object.freeze({
    /** The backup tier a bucket holds (tier1 | tier2 | tier3). */
    tier: "fortress:tier",
    /** What a bucket is for: one of BUCKET_PURPOSES. */
    purpose: "fortress:purpose",
    environment: "fortress:environment",
    stack: "fortress:stack",
    managedBy: "fortress:managed-by",
    /** A DR stack's mode when it was last deployed. */
    drMode: "fortress:dr-mode",
});

/** Values of TAG_KEYS.purpose on buckets that are not tier buckets. */
export const BUCKET_PURPOSES = Object.freeze({
    uploads: "uploads",
    logArchive: "log-archive",
    accessLogs: "access-logs",
    erasureLedger: "erasure-ledger",
});

/** The default tags every provider of a stack puts on every AWS resource. */
export function stackTags(environment: string, stack: string): Record<string, string> {
    return { [TAG_KEYS.environment]: environment, [TAG_KEYS.stack]: stack, [TAG_KEYS.managedBy]: "pulumi" };
}

/**
 * S3 replication rule ids. CloudWatch reports replication latency per rule id (dimension
 * RuleId), so the alarms and the objectives model find a rule by this id.
 */
export const REPLICATION_RULE_IDS = Object.freeze({
    /** Every tier-1 object to tier 2 in the DR region (RTC). */
    tier1ToTier2: "tier1-to-tier2",
    /** The configuration prefix of tier 1 to tier 3. */
    configurationToTier3: "configuration-to-tier3",
    uploadsToDr: "uploads-to-dr",
    logArchiveToDr: "log-archive-to-dr",
    erasureLedgerToDr: "erasure-ledger-to-dr",
});

import { longestRetentionDays } from "../sections/tiers";
import type { ConfigRule, RuleIssue } from "./rule";

/**
 * Tier 3 immutability: prod and staging keep COMPLIANCE mode, the lock never outlives the
 * backups, and prod locks the GCS retention policy.
 */
export const tier3ImmutabilityRule: ConfigRule = {
    name: "tier 3 is immutable where it must be",
    check: ({ storage, tiers, environment, gcs }) => {
        const found: RuleIssue[] = [];
        const lock = storage?.tier3.objectLock;
        if (lock && environment !== undefined && environment !== "dev" && lock.mode !== "COMPLIANCE") {
            found.push({ path: ["storage", "tier3", "objectLock", "mode"], message: `"${lock.mode}" is not allowed in ${environment}; tier 3 must use COMPLIANCE (GOVERNANCE is for dev only)` });
        }
        const tier3Retention = tiers ? longestRetentionDays(tiers, "tier3") : undefined;
        if (lock && tier3Retention !== undefined && lock.days > tier3Retention) {
            found.push({
                path: ["storage", "tier3", "objectLock", "days"],
                message: `${lock.days} exceeds the longest tier-3 retention (${tier3Retention} days); locked objects would outlive every backup that references them`,
            });
        }
        if (environment === "prod" && gcs && !gcs.lockRetention) {
            found.push({ path: ["gcs", "lockRetention"], message: `must be true in prod: the tier-3 GCS retention policy is locked so no one can shorten it` });
        }
        return found;
    },
};

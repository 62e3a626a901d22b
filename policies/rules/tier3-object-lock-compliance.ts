import { BACKUP_INTEGRITY_CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { DR_DECLARES_NO_TIERS, StackView, RESOURCE_TYPES } from "../lib/stack-view";

/**
 * Tier 3 is immutable: the bucket is created with Object Lock and a default retention in
 * COMPLIANCE mode, which no one, root included, can shorten or remove. GOVERNANCE mode (which
 * a privileged user can bypass) is accepted in dev only, as the config schema allows.
 */
export const tier3ObjectLockCompliance = stackRule({
    name: "tier3-object-lock-compliance",
    description: "The tier-3 bucket has S3 Object Lock with a COMPLIANCE-mode default retention (GOVERNANCE in dev only).",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: BACKUP_INTEGRITY_CONTROLS,
    remediationSteps:
        'Create the tier-3 bucket with objectLockEnabled: true and declare aws.s3.BucketObjectLockConfiguration { rule: { defaultRetention: { mode: "COMPLIANCE", days: storage.tier3.objectLock.days } } }.',
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const m = view.manifest();
        const environment = m.ok ? m.config.environment : undefined;
        const tier3 = view.ofType(RESOURCE_TYPES.bucket).filter((b) => StackView.tierOf(b) === "tier3");
        if (tier3.length === 0) {
            if (view.isDrStack()) return args.notApplicable(DR_DECLARES_NO_TIERS);
            report(`no tier-3 bucket (an aws.s3.Bucket tagged fortress:tier = tier3) is declared: there is no immutable copy of the backups`);
            return;
        }
        for (const b of tier3) {
            if (b.props.objectLockEnabled !== true) {
                report(`${StackView.label(b)}: objectLockEnabled is not true; Object Lock can only be turned on when the bucket is created`, b.urn);
                continue;
            }
            const lock = view.configsOf(b, RESOURCE_TYPES.objectLock)[0];
            const retention = lock?.props.rule?.defaultRetention;
            if (!retention) {
                report(`${StackView.label(b)}: no BucketObjectLockConfiguration with a default retention; objects would be stored unlocked`, b.urn);
                continue;
            }
            const allowed = environment === "dev" ? ["COMPLIANCE", "GOVERNANCE"] : ["COMPLIANCE"];
            if (!allowed.includes(retention.mode)) {
                report(
                    `${StackView.label(b)}: default retention mode is ${retention.mode}; ${environment ? `${environment} requires` : "without a DR manifest the rule assumes prod and requires"} COMPLIANCE (GOVERNANCE can be bypassed by a privileged user)`,
                    b.urn,
                );
            }
            const days = typeof retention.days === "number" ? retention.days : typeof retention.years === "number" ? retention.years * 365 : 0;
            if (m.ok && days < m.config.storage.tier3.objectLock.days) {
                report(`${StackView.label(b)}: default retention ${days} days is shorter than storage.tier3.objectLock.days (${m.config.storage.tier3.objectLock.days})`, b.urn);
            }
        }
    },
});

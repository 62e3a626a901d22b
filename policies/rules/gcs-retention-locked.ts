import { BACKUP_INTEGRITY_CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { DR_DECLARES_NO_TIERS, StackView } from "../lib/stack-view";

/**
 * The cross-cloud copy of tier 3 (GCS) has a bucket retention policy, locked in prod: a locked
 * policy can never be shortened or removed, which is what makes the copy survive a compromise
 * of the GCP project's administrators.
 */
export const gcsRetentionLocked = stackRule({
    name: "gcs-retention-locked",
    description: "The GCS tier-3 copy has a retention policy, locked in prod.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: BACKUP_INTEGRITY_CONTROLS,
    remediationSteps: "Set retentionPolicy { retentionPeriod: <tier-3 days in seconds>, isLocked: true } on the GCS tier-3 bucket (gcs.lockRetention: true in the prod stack config). Locking is irreversible.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const m = view.manifest();
        if (view.isDrStack()) return args.notApplicable(DR_DECLARES_NO_TIERS);
        const copies = view.gcsTier3Copies();
        if (copies.length === 0) {
            report(`no GCS tier-3 copy (a gcp.storage.Bucket labelled fortress-tier = tier3) is declared: tier 3 has no copy outside AWS`);
            return;
        }
        const environment = m.ok ? m.config.environment : undefined;
        for (const g of copies) {
            const rp = g.props.retentionPolicy;
            if (!rp) {
                report(`${StackView.label(g)}: no retentionPolicy; any principal with storage.objects.delete can remove the copy`, g.urn);
                continue;
            }
            if ((environment === undefined || environment === "prod") && rp.isLocked !== true) {
                report(`${StackView.label(g)}: the retention policy is not locked; ${environment ? "prod requires" : "without a DR manifest the rule assumes prod and requires"} isLocked: true`, g.urn);
            }
        }
    },
});

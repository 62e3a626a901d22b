import { BACKUP_INTEGRITY_CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

/**
 * Every S3 bucket keeps versions: an overwrite or a delete by a backup writer then leaves the
 * previous version restorable for the undo window, and replication and Object Lock need it.
 */
export const s3VersioningEnabled = stackRule({
    name: "s3-versioning-enabled",
    description: "S3 buckets have versioning enabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: BACKUP_INTEGRITY_CONTROLS,
    remediationSteps: 'Declare aws.s3.BucketVersioning for the bucket with versioningConfiguration: { status: "Enabled" }.',
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const buckets = view.ofType(RESOURCE_TYPES.bucket);
        if (buckets.length === 0) return args.notApplicable("no S3 bucket is declared");
        for (const b of buckets) {
            const configs = view.configsOf(b, RESOURCE_TYPES.versioning);
            const status = configs[0]?.props.versioningConfiguration?.status ?? (b.props.versioning?.enabled === true ? "Enabled" : undefined);
            if (status !== "Enabled") {
                report(
                    configs.length === 0 && status === undefined
                        ? `${StackView.label(b)}: no BucketVersioning is declared; a delete or overwrite would destroy the only copy`
                        : `${StackView.label(b)}: versioning status is "${status}"; set "Enabled"`,
                    b.urn,
                );
            }
        }
    },
});

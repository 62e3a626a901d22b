import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

const FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** No backup store can be made public: all four S3 public-access blocks; GCS public access prevention and uniform access. */
export const storagePublicAccessBlocked = stackRule({
    name: "storage-public-access-blocked",
    description: "S3 buckets block all public access (the four BucketPublicAccessBlock flags); GCS buckets enforce public access prevention with uniform bucket-level access.",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: [CONTROLS.gdprByDesign, CONTROLS.gdprResilience, CONTROLS.hipaaAccessControl, CONTROLS.pciAccessModel, CONTROLS.soxLogicalAccess],
    remediationSteps:
        "S3: aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true. GCS: publicAccessPrevention: \"enforced\" and uniformBucketLevelAccess: true.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const s3 = view.ofType(RESOURCE_TYPES.bucket);
        const gcs = view.ofType(RESOURCE_TYPES.gcsBucket);
        if (s3.length + gcs.length === 0) return args.notApplicable("no bucket is declared");
        for (const b of s3) {
            const blocks = view.configsOf(b, RESOURCE_TYPES.publicAccessBlock);
            if (blocks.length === 0) {
                report(`${StackView.label(b)}: no BucketPublicAccessBlock is declared; a later policy or ACL could make backups public`, b.urn);
                continue;
            }
            const off = FLAGS.filter((f) => blocks[0].props[f] !== true);
            if (off.length > 0) report(`${StackView.label(b)}: ${StackView.label(blocks[0])} leaves ${off.join(", ")} off; set all four to true`, b.urn);
            const acl = b.props.acl;
            if (typeof acl === "string" && /public/.test(acl)) report(`${StackView.label(b)}: acl "${acl}" grants public access`, b.urn);
        }
        for (const g of gcs) {
            if (g.props.publicAccessPrevention !== "enforced") report(`${StackView.label(g)}: publicAccessPrevention is ${JSON.stringify(g.props.publicAccessPrevention ?? "inherited")}; set "enforced"`, g.urn);
            if (g.props.uniformBucketLevelAccess !== true) report(`${StackView.label(g)}: uniformBucketLevelAccess is off, so object ACLs could grant access one object at a time; set it to true`, g.urn);
        }
    },
});

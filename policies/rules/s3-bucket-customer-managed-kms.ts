import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

const AWS_MANAGED = /(^|:)alias\/aws\//;

/**
 * Every S3 bucket encrypts by default with a customer-managed KMS key, so that who can read a
 * backup is decided by a key policy this project controls (and a disabled key is an incident,
 * not a silent change). One documented exception: a server-access-log target must use SSE-S3,
 * because S3 log delivery cannot write to a bucket whose default encryption is SSE-KMS.
 */
export const s3BucketCustomerManagedKms = stackRule({
    name: "s3-bucket-customer-managed-kms",
    description: "S3 buckets encrypt by default with a customer-managed KMS key (SSE-KMS); access-log targets use SSE-S3.",
    enforcementLevel: "mandatory",
    severity: "critical",
    compliance: [CONTROLS.gdprEncryption, CONTROLS.hipaaEncryptionAtRest, CONTROLS.pciEncryptionAtRest, CONTROLS.pciKeyProtection, CONTROLS.soxLogicalAccess],
    remediationSteps:
        "Declare aws.s3.BucketServerSideEncryptionConfiguration for the bucket with applyServerSideEncryptionByDefault { sseAlgorithm: \"aws:kms\", kmsMasterKeyId: <a key this stack declares> } (components/storage/tier-bucket.ts hardenBucket does).",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const buckets = view.ofType(RESOURCE_TYPES.bucket);
        if (buckets.length === 0) return args.notApplicable("no S3 bucket is declared");
        for (const b of buckets) {
            const configs = view.configsOf(b, RESOURCE_TYPES.sse);
            const inline = b.props.serverSideEncryptionConfiguration?.rule;
            const rules: any[] = configs.length > 0 ? [...(configs[0].props.rules ?? [])] : inline ? [inline] : [];
            const logTarget = view.isAccessLogTarget(b);
            if (rules.length === 0) {
                report(`${StackView.label(b)}: no default encryption is declared; add a BucketServerSideEncryptionConfiguration with sseAlgorithm "${logTarget ? "AES256" : "aws:kms"}"`, b.urn);
                continue;
            }
            const byDefault = rules[0]?.applyServerSideEncryptionByDefault ?? {};
            const algorithm = byDefault.sseAlgorithm;
            if (logTarget) {
                if (algorithm !== "AES256") {
                    report(`${StackView.label(b)} receives server access logs, and S3 log delivery cannot write to a bucket whose default encryption is ${algorithm}; use "AES256" (SSE-S3) for log targets`, b.urn);
                }
                continue;
            }
            if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
                report(`${StackView.label(b)}: default encryption is "${algorithm}"; backups must use "aws:kms" with a customer-managed key`, b.urn);
                continue;
            }
            const keyDeps = (configs[0]?.propertyDependencies?.rules ?? []).filter((d) => d.type === RESOURCE_TYPES.kmsKey || d.type === RESOURCE_TYPES.kmsReplicaKey);
            if (keyDeps.length > 0) continue; // the key is one this stack declares
            const keyId = byDefault.kmsMasterKeyId;
            if (typeof keyId !== "string" || keyId === "") {
                report(`${StackView.label(b)}: SSE-KMS without kmsMasterKeyId uses the AWS-managed key aws/s3, whose policy this project cannot control; set kmsMasterKeyId to a customer-managed key`, b.urn);
            } else if (AWS_MANAGED.test(keyId)) {
                report(`${StackView.label(b)}: kmsMasterKeyId "${keyId}" is an AWS-managed key; use a customer-managed key`, b.urn);
            }
        }
    },
});

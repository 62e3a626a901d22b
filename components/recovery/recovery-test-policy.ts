/**
 * The IAM policy of the scheduled recovery tests (`fortress dr-test` in a pod): what the drill
 * reads and the two things it writes, nothing else. The scratch restore itself reads the repos
 * under its own role (the scratch reader, PgBackRestAccess.scratchReaderRoleArn); this role is
 * the CLI's: choosing a backup, the archive's history files, its audit record and its SLO run.
 */
import { BUCKET_LIST_ACTIONS, doc, PolicyDocument, READER_S3_ACTIONS } from "../storage/policy-documents";

export interface RecoveryTestPolicyArgs {
    /** The tier buckets and their keys. */
    readonly tiers: readonly { readonly bucketArn: string; readonly kmsKeyArn: string }[];
    /** The tier-3 bucket and key: the CLI's audit records go there. */
    readonly audit: { readonly bucketArn: string; readonly kmsKeyArn: string; readonly prefix: string };
    /** CloudWatch namespace of the recovery SLO runs (Fortress/BackupSLO). */
    readonly metricsNamespace: string;
}

export function recoveryTestPolicy(a: RecoveryTestPolicyArgs): PolicyDocument {
    if (a.tiers.length === 0) throw new Error("recoveryTestPolicy: no tier bucket given");
    if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(a.audit.prefix)) throw new Error(`recoveryTestPolicy: audit prefix "${a.audit.prefix}" must be a key prefix like fortress-audit/<stack>`);
    return doc(
        { Sid: "ListTierBuckets", Effect: "Allow", Action: [...BUCKET_LIST_ACTIONS, "s3:GetObjectLockConfiguration"], Resource: a.tiers.map((t) => t.bucketArn) },
        { Sid: "ReadTierObjects", Effect: "Allow", Action: [...READER_S3_ACTIONS, "s3:GetObjectRetention"], Resource: a.tiers.map((t) => `${t.bucketArn}/*`) },
        { Sid: "DecryptTierObjects", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: [...new Set(a.tiers.map((t) => t.kmsKeyArn))] },
        { Sid: "WriteAuditRecords", Effect: "Allow", Action: ["s3:PutObject", "s3:PutObjectRetention"], Resource: `${a.audit.bucketArn}/${a.audit.prefix}/*` },
        // SSE-KMS on the tier-3 bucket: a PUT needs a data key from its key.
        { Sid: "EncryptAuditRecords", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: a.audit.kmsKeyArn },
        { Sid: "PublishRecoveryRuns", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": a.metricsNamespace } } },
    );
}

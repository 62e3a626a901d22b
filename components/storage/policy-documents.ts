/**
 * IAM and resource-policy documents as plain functions, so the statements that decide who can
 * destroy a backup are readable and testable without the engine.
 */

export interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal?: unknown;
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

export const doc = (...statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/**
 * What no backup writer may ever do: destroy a version, or change the settings that keep
 * versions (policy, lifecycle, versioning, replication, Object Lock). A writer's plain
 * `s3:DeleteObject` on a versioned bucket only adds a delete marker; the data stays until the
 * lifecycle ages the noncurrent version out.
 */
export const DESTRUCTIVE_S3_ACTIONS: readonly string[] = [
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutReplicationConfiguration",
    "s3:DeleteReplicationConfiguration",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutEncryptionConfiguration",
];

/** Key actions that would make every backup under the key unreadable. */
export const DESTRUCTIVE_KMS_ACTIONS: readonly string[] = [
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:DeleteAlias",
    "kms:UpdatePrimaryRegion",
    "kms:DeleteImportedKeyMaterial",
];

/** Encrypt/decrypt through S3 SSE-KMS. */
export const KMS_USE_ACTIONS: readonly string[] = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

export const WRITER_S3_ACTIONS: readonly string[] = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
];
export const READER_S3_ACTIONS: readonly string[] = ["s3:GetObject", "s3:GetObjectVersion"];
export const BUCKET_LIST_ACTIONS: readonly string[] = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"];

/**
 * An AWS service (`cloudwatch.amazonaws.com`, `cloudtrail.amazonaws.com`, …) may do `action`
 * on `resource`, under `condition` — which should pin the calling account or resource
 * (aws:SourceAccount, aws:SourceArn) so another account's use of the service cannot.
 */
export function allowService(sid: string, service: string, action: string | string[], resource: string | string[], condition: Statement["Condition"]): Statement {
    return { Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: action, Resource: resource, Condition: condition };
}

/** The TLS-only statement every bucket carries. */
export function denyInsecureTransport(bucketArn: string): Statement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * Only the break-glass role may destroy a version. Lifecycle expiration is not subject to
 * bucket policies, so retention keeps working.
 */
export function denyVersionDeletion(bucketArn: string, breakGlassRoleArn: string): Statement {
    return {
        Sid: "DenyVersionDeletionExceptBreakGlass",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"],
        Resource: `${bucketArn}/*`,
        Condition: { ArnNotLike: { "aws:PrincipalArn": breakGlassRoleArn } },
    };
}

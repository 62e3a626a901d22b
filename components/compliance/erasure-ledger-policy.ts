/**
 * The erasure ledger's IAM and bucket policy documents, as plain functions (the rule
 * policies/rules/erasure-ledger-append-only.ts checks what these produce; the drill evaluates
 * them). No Pulumi resources here.
 */
import { DESTRUCTIVE_S3_ACTIONS, PolicyDocument, Statement, denyInsecureTransport, denyVersionDeletion, doc } from "../storage/policy-documents";

/** The prefix entries live under, in both copies of the ledger. */
export const LEDGER_OBJECT_PREFIX = "erasure-ledger/";

/** S3's condition key for the `If-None-Match` header of a write (present: the write cannot replace an object). */
export const IF_NONE_MATCH_KEY = "s3:if-none-match";

/**
 * What nobody but the break-glass role may do to the ledger, and what the appender and reader
 * roles are explicitly denied: the backup writers' list (destroy a version, change versioning,
 * lock, lifecycle, policy, replication, encryption) plus a plain delete — on the ledger even a
 * delete marker hides an entry from a reader that only lists current objects.
 */
export const LEDGER_FORBIDDEN_S3_ACTIONS: readonly string[] = [
    ...DESTRUCTIVE_S3_ACTIONS,
    "s3:DeleteObject",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutBucketAcl",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
];

const entriesOf = (bucketArn: string) => `${bucketArn}/${LEDGER_OBJECT_PREFIX}*`;

/** A PUT without `If-None-Match: *` could replace an entry's current version: refused. */
export function denyPutWithoutIfNoneMatch(bucketArns: readonly string[], principal?: "*"): Statement {
    return {
        Sid: "DenyOverwriteOfEntries",
        Effect: "Deny",
        ...(principal ? { Principal: principal } : {}),
        Action: "s3:PutObject",
        Resource: bucketArns.map(entriesOf),
        Condition: { Null: { [IF_NONE_MATCH_KEY]: "true" } },
    };
}

/**
 * The appender (the application, through IRSA): PutObject of new keys under the prefix, with
 * the key to encrypt them, and nothing else. No read, no list: it only ever appends.
 */
export function appenderPolicy(bucketArn: string, kmsKeyArn: string): PolicyDocument {
    return doc(
        { Sid: "AppendNewEntriesOnly", Effect: "Allow", Action: "s3:PutObject", Resource: entriesOf(bucketArn), Condition: { Null: { [IF_NONE_MATCH_KEY]: "false" } } },
        { Sid: "EncryptEntries", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:DescribeKey"], Resource: kmsKeyArn },
        denyPutWithoutIfNoneMatch([bucketArn]),
        { Sid: "NeverDestroyTheLedger", Effect: "Deny", Action: [...LEDGER_FORBIDDEN_S3_ACTIONS], Resource: "*" },
    );
}

/** The reader (restore jobs and the replay): list and read every version in both copies. */
export function ledgerReaderPolicy(bucketArns: readonly string[], kmsKeyArns: readonly string[]): PolicyDocument {
    return doc(
        { Sid: "ListLedger", Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation"], Resource: [...bucketArns] },
        { Sid: "ReadEntries", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: bucketArns.map(entriesOf) },
        { Sid: "DecryptEntries", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: [...kmsKeyArns] },
        { Sid: "NeverWriteOrDestroyTheLedger", Effect: "Deny", Action: ["s3:PutObject", ...LEDGER_FORBIDDEN_S3_ACTIONS], Resource: "*" },
    );
}

/**
 * The ledger bucket's own policy: TLS only; no version destroyed and no entry hidden behind a
 * delete marker except by the break-glass role; and no PUT without `If-None-Match`, whoever
 * sends it (replication writes with s3:ReplicateObject, which this does not touch).
 */
export function ledgerBucketPolicy(bucketArn: string, breakGlassRoleArn: string): PolicyDocument {
    return doc(
        denyInsecureTransport(bucketArn),
        denyVersionDeletion(bucketArn, breakGlassRoleArn),
        {
            Sid: "DenyHidingEntriesExceptBreakGlass",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:DeleteObject", "s3:PutObjectRetention", "s3:PutObjectLegalHold"],
            Resource: entriesOf(bucketArn),
            Condition: { ArnNotLike: { "aws:PrincipalArn": breakGlassRoleArn } },
        },
        denyPutWithoutIfNoneMatch([bucketArn], "*"),
    );
}

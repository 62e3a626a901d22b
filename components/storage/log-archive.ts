import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenBucket } from "./tier-bucket";
import { denyInsecureTransport, denyVersionDeletion, doc } from "./policy-documents";

export interface AccessLogSource {
    readonly bucketName: pulumi.Input<string>;
    readonly bucketArn: pulumi.Input<string>;
    /** Provider of the source bucket's region. */
    readonly provider: aws.Provider;
    /** Waited for before replication is configured (the bucket and its versioning). */
    readonly dependsOn?: pulumi.Resource[];
}

export interface LogArchiveArgs {
    readonly bucketName: string;
    readonly accountId: pulumi.Input<string>;
    /** Compliance retention (storage.complianceRetentionDays: seven years). */
    readonly retentionDays: number;
    /** Object Lock mode. @default "COMPLIANCE" */
    readonly lockMode?: "COMPLIANCE" | "GOVERNANCE";
    readonly breakGlassRoleArn: pulumi.Input<string>;
    /** The account's CloudTrail trail name. */
    readonly trailName: string;
    /** Buckets whose S3 data events the trail records (the backup tiers). @default [] */
    readonly dataEventBucketArns?: pulumi.Input<string>[];
    /** The per-region access-log buckets, copied here by replication. @default [] */
    readonly accessLogSources?: readonly AccessLogSource[];
    /** Days after which archived logs move to Glacier Deep Archive. @default 90 */
    readonly deepArchiveAfterDays?: number;
    /** @default false */
    readonly protect?: boolean;
}

/**
 * The seven-year log archive: an Object Lock bucket (COMPLIANCE, `retentionDays` default
 * retention) that receives the account's multi-Region CloudTrail trail directly and the S3
 * server access logs by replication from each region's access-log bucket.
 *
 * Why replication for the access logs: S3 server access logging refuses a target bucket with
 * an Object Lock default retention, so the logs land first in the per-region access-log
 * buckets and are copied here, where each replica takes this bucket's retention. This bucket
 * has no server access logging of its own: its accesses are in the trail's data events, and
 * logging it into a bucket that replicates back here would log the logging without end.
 *
 * Encryption is SSE-S3: replication of the SSE-S3 access logs and CloudTrail delivery need no
 * key grants, and the lock, not the key, is what protects this data.
 */
export class LogArchive extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly trailArn: pulumi.Output<string>;

    constructor(name: string, args: LogArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:LogArchive", name, {}, opts);
        const deepArchive = args.deepArchiveAfterDays ?? 90;
        if (args.retentionDays < 365) {
            throw new Error(`LogArchive ${name}: retentionDays ${args.retentionDays} is under a year; the access-log requirement is seven years (storage.complianceRetentionDays)`);
        }
        if (deepArchive >= args.retentionDays) {
            throw new Error(`LogArchive ${name}: deepArchiveAfterDays ${deepArchive} is not before the end of retention (${args.retentionDays} days)`);
        }
        const protect = args.protect ?? false;

        const bucket = new aws.s3.Bucket(
            name,
            { bucket: args.bucketName, objectLockEnabled: true, forceDestroy: false, tags: { "fortress:purpose": "log-archive" } },
            { parent: this, protect, retainOnDelete: true },
        );
        const hardened = hardenBucket(name, bucket.id, {}, this);
        new aws.s3.BucketObjectLockConfiguration(
            `${name}-object-lock`,
            {
                bucket: bucket.id,
                objectLockEnabled: "Enabled",
                rule: { defaultRetention: { mode: args.lockMode ?? "COMPLIANCE", days: args.retentionDays } },
            },
            { parent: this, dependsOn: [hardened.versioning], retainOnDelete: true },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "compliance-retention",
                        status: "Enabled",
                        filter: {},
                        transitions: [{ days: deepArchive, storageClass: "DEEP_ARCHIVE" }],
                        // A day after the lock ends: the lifecycle never races the lock.
                        expiration: { days: args.retentionDays + 1 },
                        noncurrentVersionExpiration: { noncurrentDays: args.retentionDays + 1 },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            { parent: this, dependsOn: [hardened.versioning], retainOnDelete: true },
        );

        const trailArn = pulumi.interpolate`arn:aws:cloudtrail:${aws.getRegionOutput({}, { parent: this }).name}:${args.accountId}:trail/${args.trailName}`;
        const policy = new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.arn, args.accountId, args.breakGlassRoleArn, trailArn])
                    .apply(([arn, account, breakGlass, trail]) => JSON.stringify(logArchivePolicy(arn, account, breakGlass, trail))),
            },
            { parent: this, dependsOn: [hardened.publicAccessBlock], retainOnDelete: true },
        );

        const trail = new aws.cloudtrail.Trail(
            name,
            {
                name: args.trailName,
                s3BucketName: bucket.bucket,
                s3KeyPrefix: "cloudtrail",
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                eventSelectors: [
                    {
                        readWriteType: "All",
                        includeManagementEvents: true,
                        dataResources: (args.dataEventBucketArns ?? []).length
                            ? [{ type: "AWS::S3::Object", values: (args.dataEventBucketArns ?? []).map((a) => pulumi.interpolate`${a}/`) }]
                            : [],
                    },
                ],
            },
            { parent: this, dependsOn: [policy] },
        );

        for (const [i, src] of (args.accessLogSources ?? []).entries()) {
            this.replicateInto(`${name}-from-${i}`, src, bucket, hardened.versioning);
        }

        this.bucketName = bucket.bucket;
        this.arn = bucket.arn;
        this.trailArn = trail.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn, trailArn: this.trailArn });
    }

    /** Replication from one access-log bucket (SSE-S3, no KMS grants) into the archive. */
    private replicateInto(id: string, src: AccessLogSource, archive: aws.s3.Bucket, archiveVersioning: aws.s3.BucketVersioning): void {
        const role = new aws.iam.Role(
            id,
            {
                description: "Fortress DR: replicate S3 access logs into the log archive",
                assumeRolePolicy: JSON.stringify(doc({ Sid: "S3Replication", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" })),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            id,
            {
                role: role.id,
                policy: pulumi.all([src.bucketArn, archive.arn]).apply(([source, dest]) =>
                    JSON.stringify(
                        doc(
                            { Sid: "ReadSourceConfiguration", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: source },
                            { Sid: "ReadSourceVersions", Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: `${source}/*` },
                            { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateTags"], Resource: `${dest}/*` },
                        ),
                    ),
                ),
            },
            { parent: this },
        );
        new aws.s3.BucketReplicationConfig(
            id,
            {
                bucket: src.bucketName,
                role: role.arn,
                rules: [
                    {
                        id: "to-log-archive",
                        status: "Enabled",
                        priority: 1,
                        filter: { prefix: "" },
                        deleteMarkerReplication: { status: "Disabled" },
                        destination: { bucket: archive.arn, storageClass: "STANDARD" },
                    },
                ],
            },
            { parent: this, provider: src.provider, dependsOn: [archiveVersioning, ...(src.dependsOn ?? [])] },
        );
    }
}

/** TLS only; CloudTrail may write its own prefix for this account's trail; nobody destroys a version. */
export function logArchivePolicy(bucketArn: string, accountId: string, breakGlassRoleArn: string, trailArn: string) {
    return doc(
        denyInsecureTransport(bucketArn),
        denyVersionDeletion(bucketArn, breakGlassRoleArn),
        {
            Sid: "CloudTrailAclCheck",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:GetBucketAcl",
            Resource: bucketArn,
            Condition: { StringEquals: { "aws:SourceArn": trailArn } },
        },
        {
            Sid: "CloudTrailWrite",
            Effect: "Allow",
            Principal: { Service: "cloudtrail.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: `${bucketArn}/cloudtrail/AWSLogs/${accountId}/*`,
            Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn } },
        },
    );
}

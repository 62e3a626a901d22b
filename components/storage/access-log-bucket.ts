import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenBucket } from "./tier-bucket";
import { denyInsecureTransport, denyVersionDeletion, doc } from "./policy-documents";
import { BUCKET_PURPOSES, TAG_KEYS } from "../core/tags";

export interface AccessLogBucketArgs {
    readonly bucketName: string;
    readonly accountId: pulumi.Input<string>;
    /** How long access logs are kept (compliance: seven years). */
    readonly retentionDays: number;
    readonly breakGlassRoleArn: pulumi.Input<string>;
    /** @default false */
    readonly protect?: boolean;
}

/**
 * The per-region target of S3 server access logs (a log target must be in the source
 * bucket's region). It is encrypted with SSE-S3 because S3 log delivery cannot write to an
 * SSE-KMS default-encrypted bucket, and it carries no Object Lock default retention because
 * log delivery rejects such targets; versioning, the deny on version deletion and the
 * seven-year lifecycle keep the trail instead.
 */
export class AccessLogBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;

    constructor(name: string, args: AccessLogBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:AccessLogBucket", name, {}, opts);
        const bucket = new aws.s3.Bucket(
            name,
            { bucket: args.bucketName, forceDestroy: false, tags: { [TAG_KEYS.purpose]: BUCKET_PURPOSES.accessLogs } },
            { parent: this, protect: args.protect ?? false, retainOnDelete: true },
        );
        const hardened = hardenBucket(name, bucket.id, {}, this);

        new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi.all([bucket.arn, args.accountId, args.breakGlassRoleArn]).apply(([arn, account, breakGlass]) =>
                    JSON.stringify(
                        doc(
                            denyInsecureTransport(arn),
                            denyVersionDeletion(arn, breakGlass),
                            {
                                Sid: "S3ServerAccessLogDelivery",
                                Effect: "Allow",
                                Principal: { Service: "logging.s3.amazonaws.com" },
                                Action: "s3:PutObject",
                                Resource: `${arn}/s3/*`,
                                Condition: { StringEquals: { "aws:SourceAccount": account } },
                            },
                        ),
                    ),
                ),
            },
            { parent: this, dependsOn: [hardened.publicAccessBlock], retainOnDelete: true },
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
                        expiration: { days: args.retentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: 30 },
                        transitions: [{ days: 90, storageClass: "GLACIER_IR" }],
                    },
                ],
            },
            { parent: this, dependsOn: [hardened.versioning], retainOnDelete: true },
        );

        this.bucketName = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}

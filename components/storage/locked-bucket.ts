import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { TAG_KEYS } from "../core/tags";
import { HardenedBucket, hardenBucket } from "./tier-bucket";

export interface LockedRetentionArgs {
    readonly bucketName: string;
    /** The bucket's `fortress:purpose` tag (BUCKET_PURPOSES). */
    readonly purpose: string;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly lockMode: "COMPLIANCE" | "GOVERNANCE";
    readonly retentionDays: number;
    /** A storage-class transition; none when every object must stay readable at once (a ledger replay). */
    readonly transition?: { readonly days: number; readonly storageClass: string };
    readonly protect: boolean;
}

export interface LockedRetentionBucket {
    readonly bucket: aws.s3.Bucket;
    readonly hardened: HardenedBucket;
}

/**
 * A write-once bucket kept for a compliance retention (the log archive, the erasure ledger):
 * Object Lock on by default for `retentionDays`, hardened like every tier bucket, and a lifecycle
 * that expires current and noncurrent versions a day after the lock ends — so the lifecycle never
 * races the lock. Every resource is retained on delete. The caller adds its bucket policy.
 */
export function lockedRetentionBucket(id: string, args: LockedRetentionArgs, parent: pulumi.Resource): LockedRetentionBucket {
    const bucket = new aws.s3.Bucket(
        id,
        { bucket: args.bucketName, objectLockEnabled: true, forceDestroy: false, tags: { [TAG_KEYS.purpose]: args.purpose } },
        { parent, protect: args.protect, retainOnDelete: true },
    );
    const hardened = hardenBucket(id, bucket.id, { kmsKeyArn: args.kmsKeyArn }, parent);
    new aws.s3.BucketObjectLockConfiguration(
        `${id}-object-lock`,
        { bucket: bucket.id, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.lockMode, days: args.retentionDays } } },
        { parent, dependsOn: [hardened.versioning], retainOnDelete: true },
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${id}-lifecycle`,
        {
            bucket: bucket.id,
            rules: [
                {
                    id: "compliance-retention",
                    status: "Enabled",
                    filter: {},
                    ...(args.transition ? { transitions: [args.transition] } : {}),
                    expiration: { days: args.retentionDays + 1 },
                    noncurrentVersionExpiration: { noncurrentDays: args.retentionDays + 1 },
                    abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                },
            ],
        },
        { parent, dependsOn: [hardened.versioning], retainOnDelete: true },
    );
    return { bucket, hardened };
}

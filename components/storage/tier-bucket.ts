import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PrefixRule } from "./retention";
import { Statement, denyInsecureTransport, denyVersionDeletion, doc } from "./policy-documents";
import type { TierId } from "../../config/vocabulary";
import { TAG_KEYS } from "../core/tags";

export interface LifecycleTransition {
    readonly afterDays: number;
    readonly storageClass: string;
}

export interface TierBucketArgs {
    /** Which tier this bucket holds; becomes a tag and part of the audit trail. */
    readonly tier: TierId;
    /** Globally unique bucket name. */
    readonly bucketName: string;
    /** Customer-managed KMS key (in this bucket's region) for SSE-KMS. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** One rule per key prefix, from `tierPrefixRules` (and `prefixRule` for replicas). */
    readonly prefixRules: readonly PrefixRule[];
    /** Undo window for noncurrent versions outside every prefix rule, from `tierUndoWindowDays`. */
    readonly undoWindowDays: number;
    /** Storage-class transitions of current versions. @default [] */
    readonly transitions?: readonly LifecycleTransition[];
    /** S3 Object Lock default retention; set on tier 3. @default none */
    readonly objectLock?: { readonly mode: "COMPLIANCE" | "GOVERNANCE"; readonly days: number };
    /** Bucket receiving this bucket's server access logs (same region). */
    readonly accessLogBucket: pulumi.Input<string>;
    /** The only role allowed to destroy an object version (incident use, audited). */
    readonly breakGlassRoleArn: pulumi.Input<string>;
    /** Protect the bucket from `pulumi destroy`. @default false */
    readonly protect?: boolean;
    readonly tags?: Readonly<Record<string, string>>;
}

/**
 * One backup tier's bucket: versioned, SSE-KMS with a customer-managed key and bucket keys,
 * public access blocked, owner-enforced, TLS-only, lifecycle from the tier's retention,
 * server access logging, and on tier 3 Object Lock in the configured mode.
 *
 * The bucket is always retained on delete: a stack teardown must never take backups with it.
 */
export class TierBucket extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    /** The versioning resource; replication must wait for it. */
    public readonly versioning: aws.s3.BucketVersioning;

    constructor(name: string, args: TierBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:TierBucket", name, {}, opts);
        validateTierBucketArgs(name, args);
        const protect = args.protect ?? false;
        const tags = { [TAG_KEYS.tier]: args.tier, ...args.tags };

        const bucket = new aws.s3.Bucket(
            name,
            { bucket: args.bucketName, objectLockEnabled: args.objectLock !== undefined, forceDestroy: false, tags },
            { parent: this, protect, retainOnDelete: true },
        );

        const hardened = hardenBucket(name, bucket.id, { kmsKeyArn: args.kmsKeyArn }, this);
        this.versioning = hardened.versioning;

        new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.arn, args.breakGlassRoleArn])
                    .apply(([arn, breakGlass]) => JSON.stringify(doc(...tierBucketStatements(arn, breakGlass)))),
            },
            // A policy before the public access block can be rejected as public; order them.
            { parent: this, dependsOn: [hardened.publicAccessBlock], retainOnDelete: true },
        );

        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            { bucket: bucket.id, rules: lifecycleRules(args) },
            { parent: this, dependsOn: [this.versioning], retainOnDelete: true },
        );

        new aws.s3.BucketLogging(
            `${name}-access-logs`,
            { bucket: bucket.id, targetBucket: args.accessLogBucket, targetPrefix: `s3/${args.bucketName}/` },
            { parent: this },
        );

        if (args.objectLock) {
            new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: bucket.id,
                    objectLockEnabled: "Enabled",
                    rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
                },
                { parent: this, dependsOn: [this.versioning], retainOnDelete: true },
            );
        }

        this.bucketName = bucket.bucket;
        this.arn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
    }
}

export interface HardenedBucket {
    readonly versioning: aws.s3.BucketVersioning;
    readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
}

/**
 * What every Fortress bucket has: versioning, default encryption, public access blocked and
 * ACLs disabled. `kmsKeyArn` selects SSE-KMS with bucket keys; omitting it selects SSE-S3,
 * which only a server-access-log target may use (S3 cannot deliver access logs to a bucket
 * whose default encryption is SSE-KMS).
 */
export function hardenBucket(
    name: string,
    bucketId: pulumi.Input<string>,
    encryption: { readonly kmsKeyArn?: pulumi.Input<string> },
    parent: pulumi.Resource,
): HardenedBucket {
    const versioning = new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
        { parent, retainOnDelete: true },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-sse`,
        {
            bucket: bucketId,
            rules: [
                encryption.kmsKeyArn === undefined
                    ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: encryption.kmsKeyArn }, bucketKeyEnabled: true },
            ],
        },
        { parent, retainOnDelete: true },
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        { bucket: bucketId, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        { parent, retainOnDelete: true },
    );
    new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
        { parent, retainOnDelete: true },
    );
    return { versioning, publicAccessBlock };
}

export function tierBucketStatements(bucketArn: string, breakGlassRoleArn: string): Statement[] {
    return [denyInsecureTransport(bucketArn), denyVersionDeletion(bucketArn, breakGlassRoleArn)];
}

function lifecycleRules(args: TierBucketArgs): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
    const transitions = (args.transitions ?? []).map((t) => ({ days: t.afterDays, storageClass: t.storageClass }));
    return [
        ...args.prefixRules.map((r) => ({
            id: `retain-${r.prefix.replace(/\/$/, "").replace(/\//g, "-")}`,
            status: "Enabled",
            filter: { prefix: r.prefix },
            ...(r.currentExpirationDays === undefined ? {} : { expiration: { days: r.currentExpirationDays } }),
            noncurrentVersionExpiration: { noncurrentDays: r.noncurrentExpirationDays },
            transitions: transitions.filter((t) => r.currentExpirationDays === undefined || t.days < r.currentExpirationDays),
        })),
        {
            id: "undo-window",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.undoWindowDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
        {
            // A delete marker with no versions behind it is clutter that slows listings.
            id: "remove-expired-delete-markers",
            status: "Enabled",
            filter: {},
            expiration: { expiredObjectDeleteMarker: true },
        },
    ];
}

function validateTierBucketArgs(name: string, args: TierBucketArgs): void {
    if (args.prefixRules.length === 0) {
        throw new Error(`TierBucket ${name}: prefixRules is empty; a tier bucket needs the retention of at least one data class`);
    }
    const prefixes = args.prefixRules.map((r) => r.prefix);
    const duplicate = prefixes.find((p, i) => prefixes.indexOf(p) !== i);
    if (duplicate) throw new Error(`TierBucket ${name}: prefix "${duplicate}" has two rules; give each prefix one retention`);
    if (args.objectLock && args.tier !== "tier3") {
        throw new Error(`TierBucket ${name}: objectLock is for tier 3 only; ${args.tier} holds data the backup engine must expire on its own schedule`);
    }
    const longest = Math.max(...args.prefixRules.map((r) => r.currentExpirationDays ?? Infinity));
    if (args.objectLock && args.objectLock.days > longest) {
        throw new Error(
            `TierBucket ${name}: objectLock.days ${args.objectLock.days} outlives every retention rule (longest ${longest} days); locked versions would outlive the backups that reference them`,
        );
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(args.bucketName)) {
        throw new Error(`TierBucket ${name}: bucketName "${args.bucketName}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
    }
}

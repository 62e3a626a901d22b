import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { replicateToDrCopy, RTC_MINUTES } from "./replication";
import { hardenBucket } from "./tier-bucket";
import { denyInsecureTransport, denyVersionDeletion, doc } from "./policy-documents";
import { BUCKET_PURPOSES, REPLICATION_RULE_IDS, TAG_KEYS } from "../core/tags";

/** A bucket of the primary region and its copy in the DR region (the uploads; the erasure ledger's args have the same fields). */
export interface DrCopiedBucketArgs {
    /** Globally unique names of the bucket (primary region) and its DR copy. */
    readonly bucketName: string;
    readonly replicaBucketName: string;
    /** SSE-KMS keys in each bucket's region (the multi-Region key and its DR replica). */
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly replicaKmsKeyArn: pulumi.Input<string>;
    /** Access-log buckets of the two regions. */
    readonly accessLogBucket: pulumi.Input<string>;
    readonly replicaAccessLogBucket: pulumi.Input<string>;
    readonly breakGlassRoleArn: pulumi.Input<string>;
    /** The DR region's provider, for the copy. */
    readonly replicaProvider: aws.Provider;
    /** @default false */
    readonly protect?: boolean;
}

export interface UploadsArgs extends DrCopiedBucketArgs {
    /** How long an overwritten or deleted upload stays restorable. @default 30 */
    readonly noncurrentVersionDays?: number;
    /** Uploads RPO: the replication-latency alarm's threshold, in seconds (objectives.dataClasses.uploads). */
    readonly rpoSeconds: number;
    /** SNS topic in the DR region for the replication-latency alarm. @default no alarm */
    readonly replicaAlarmTopicArn?: pulumi.Input<string>;
}

/**
 * The platform's file uploads: a versioned, SSE-KMS, TLS-only bucket in the primary region
 * and its replica in the DR region, kept in step by S3 replication with Replication Time
 * Control (the shared Replication component: delete markers are not replicated, so a delete
 * in the primary never hides a file in the DR copy).
 *
 * RTC's published bound is 15 minutes for 99.99% of objects; the uploads objective is 5
 * minutes, so the bound alone does not meet it. What holds the objective is the measured
 * `ReplicationLatency`, watched by an alarm at the objective (in the DR region, where S3
 * publishes it); the objectives model must use the 15-minute bound as the worst case.
 */
export class Uploads extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly replicaBucketName: pulumi.Output<string>;
    public readonly replicaArn: pulumi.Output<string>;
    /** The replication rule id (a dimension of the replication metrics). */
    public readonly ruleId: string;
    /** The role S3 replication writes into the DR copy with (fenced by `fortress failover`). */
    public readonly replicationRoleArn: pulumi.Output<string>;

    constructor(name: string, args: UploadsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:Uploads", name, {}, opts);
        const noncurrent = args.noncurrentVersionDays ?? 30;
        if (noncurrent < 1) throw new Error(`Uploads ${name}: noncurrentVersionDays ${noncurrent} must be at least 1`);
        if (args.rpoSeconds < 60) throw new Error(`Uploads ${name}: rpoSeconds ${args.rpoSeconds} is below a minute, finer than S3 replication metrics report`);
        const protect = args.protect ?? false;

        // Children inherit the provider of their parent: the replica's resources are parented to a
        // scope carrying the DR region's provider, so hardenBucket's settings land with its bucket.
        const bucket = (id: string, bucketName: string, kmsKeyArn: pulumi.Input<string>, accessLogBucket: pulumi.Input<string>, parent: pulumi.Resource) => {
            const o = { parent };
            const b = new aws.s3.Bucket(id, { bucket: bucketName, forceDestroy: false, tags: { [TAG_KEYS.purpose]: BUCKET_PURPOSES.uploads } }, { ...o, protect, retainOnDelete: true });
            const hardened = hardenBucket(id, b.id, { kmsKeyArn }, parent);
            new aws.s3.BucketPolicy(
                `${id}-policy`,
                {
                    bucket: b.id,
                    policy: pulumi.all([b.arn, args.breakGlassRoleArn]).apply(([arn, bg]) => JSON.stringify(doc(denyInsecureTransport(arn), denyVersionDeletion(arn, bg)))),
                },
                { ...o, dependsOn: [hardened.publicAccessBlock] },
            );
            new aws.s3.BucketLifecycleConfiguration(
                `${id}-lifecycle`,
                {
                    bucket: b.id,
                    rules: [
                        {
                            id: "restorable-versions",
                            status: "Enabled",
                            filter: {},
                            noncurrentVersionExpiration: { noncurrentDays: noncurrent },
                            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                        },
                    ],
                },
                { ...o, dependsOn: [hardened.versioning] },
            );
            new aws.s3.BucketLogging(`${id}-access-logs`, { bucket: b.id, targetBucket: accessLogBucket, targetPrefix: `s3/${bucketName}/` }, o);
            return { bucket: b, versioning: hardened.versioning };
        };

        const source = bucket(name, args.bucketName, args.kmsKeyArn, args.accessLogBucket, this);
        const replicaScope = new UploadsReplica(`${name}-replica`, { parent: this, provider: args.replicaProvider });
        const dest = bucket(`${name}-replica`, args.replicaBucketName, args.replicaKmsKeyArn, args.replicaAccessLogBucket, replicaScope);

        this.ruleId = REPLICATION_RULE_IDS.uploadsToDr;
        const alarmTopicArn = args.replicaAlarmTopicArn;
        this.replicationRoleArn = replicateToDrCopy(
            name,
            {
                source,
                sourceKmsKeyArn: args.kmsKeyArn,
                replica: dest,
                replicaKmsKeyArn: args.replicaKmsKeyArn,
                ruleId: this.ruleId,
                prefix: "",
                alarm:
                    alarmTopicArn === undefined
                        ? undefined
                        : {
                              description: `Uploads reach the DR region later than the ${args.rpoSeconds} s objective (RTC bound: ${RTC_MINUTES} min)`,
                              sourceBucket: args.bucketName,
                              destinationBucket: args.replicaBucketName,
                              thresholdSeconds: args.rpoSeconds,
                              topicArn: alarmTopicArn,
                          },
            },
            this,
            { parent: this, provider: args.replicaProvider },
        );

        this.bucketName = source.bucket.bucket;
        this.arn = source.bucket.arn;
        this.replicaBucketName = dest.bucket.bucket;
        this.replicaArn = dest.bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, replicaBucketName: this.replicaBucketName });
    }
}

/** The DR-region half of the uploads: its children inherit the DR provider given here. */
class UploadsReplica extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("fortress:storage:UploadsReplica", name, {}, opts);
        this.registerOutputs({});
    }
}

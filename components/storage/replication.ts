import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { doc } from "./policy-documents";

export interface ReplicationDestination {
    /** Rule id, e.g. "tier1-to-tier2". */
    readonly id: string;
    readonly bucketArn: pulumi.Input<string>;
    /** The destination region's key (a replica of the multi-Region key). */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Only keys under these prefixes replicate. */
    readonly prefix: string;
    /** @default "STANDARD" */
    readonly storageClass?: string;
}

export interface ReplicationArgs {
    readonly sourceBucketName: pulumi.Input<string>;
    readonly sourceBucketArn: pulumi.Input<string>;
    readonly sourceKmsKeyArn: pulumi.Input<string>;
    readonly destinations: readonly ReplicationDestination[];
    /** Replication needs versioning on the source; pass its resource so the order is explicit. */
    readonly sourceVersioning: pulumi.Resource;
}

/** S3 Replication Time Control's published bound: 99.99% of objects within 15 minutes. */
export const RTC_MINUTES = 15;

/**
 * Cross-region replication with Replication Time Control and replication metrics, under a
 * role that can read only the source and write replicas only to the destinations.
 *
 * Delete markers are NOT replicated (DeleteMarkerReplication: Disabled): a delete in the
 * source — a lifecycle expiry, an engine's retention, or a compromised writer — never hides
 * anything in the other tiers. Each destination keeps objects for its own tier's retention.
 */
export class Replication extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: ReplicationArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:Replication", name, {}, opts);
        if (args.destinations.length === 0) {
            throw new Error(`Replication ${name}: destinations is empty; give at least one destination bucket`);
        }
        const ids = args.destinations.map((d) => d.id);
        const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
        if (duplicate) throw new Error(`Replication ${name}: destination id "${duplicate}" is used twice; rule ids must be unique`);

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                assumeRolePolicy: JSON.stringify(
                    doc({ Sid: "S3Replication", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }),
                ),
                description: "Fortress DR: S3 replication of backup tiers",
            },
            { parent: this },
        );

        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([args.sourceBucketArn, args.sourceKmsKeyArn, pulumi.output(args.destinations.map((d) => pulumi.all([d.bucketArn, d.kmsKeyArn])))])
                    .apply(([sourceArn, sourceKey, dests]) => JSON.stringify(replicationPolicy(sourceArn, sourceKey, dests))),
            },
            { parent: this },
        );

        new aws.s3.BucketReplicationConfig(
            `${name}-config`,
            {
                bucket: args.sourceBucketName,
                role: role.arn,
                rules: args.destinations.map((d, i) => ({
                    id: d.id,
                    status: "Enabled",
                    priority: i + 1,
                    filter: { prefix: d.prefix },
                    deleteMarkerReplication: { status: "Disabled" },
                    sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                    destination: {
                        bucket: d.bucketArn,
                        storageClass: d.storageClass ?? "STANDARD",
                        encryptionConfiguration: { replicaKmsKeyId: d.kmsKeyArn },
                        replicationTime: { status: "Enabled", time: { minutes: RTC_MINUTES } },
                        metrics: { status: "Enabled", eventThreshold: { minutes: RTC_MINUTES } },
                    },
                })),
            },
            { parent: this, dependsOn: [args.sourceVersioning] },
        );

        this.roleArn = role.arn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

/** Least privilege: read versions (and their locks) from the source, write replicas to the destinations. */
export function replicationPolicy(sourceArn: string, sourceKeyArn: string, destinations: readonly (readonly [string, string])[]) {
    return doc(
        {
            Sid: "ReadSourceConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: sourceArn,
        },
        {
            Sid: "ReadSourceVersions",
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
            Resource: `${sourceArn}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
            Resource: destinations.map(([bucket]) => `${bucket}/*`),
        },
        { Sid: "DecryptSource", Effect: "Allow", Action: "kms:Decrypt", Resource: sourceKeyArn },
        { Sid: "EncryptReplicas", Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: destinations.map(([, key]) => key) },
    );
}

export interface ReplicationLatencyAlarmArgs {
    /** What is late, for the alarm description (the description names the threshold itself). */
    readonly description: string;
    readonly sourceBucket: pulumi.Input<string>;
    readonly destinationBucket: pulumi.Input<string>;
    readonly ruleId: string;
    readonly thresholdSeconds: number;
    readonly topicArn: pulumi.Input<string>;
}

/**
 * The per-minute worst ReplicationLatency of one rule (published in the destination region)
 * over `thresholdSeconds`; no datapoints is normal (nothing to replicate), so missing data
 * does not breach. The same alarm for the uploads, the log archive and the erasure ledger.
 */
export function replicationLatencyAlarm(id: string, args: ReplicationLatencyAlarmArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
    return new aws.cloudwatch.MetricAlarm(
        id,
        {
            alarmDescription: args.description,
            namespace: "AWS/S3",
            metricName: "ReplicationLatency",
            dimensions: { SourceBucket: args.sourceBucket, DestinationBucket: args.destinationBucket, RuleId: args.ruleId },
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: args.thresholdSeconds,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            alarmActions: [args.topicArn],
            okActions: [args.topicArn],
        },
        opts,
    );
}

/** One copy of a bucket: replication reads or writes its bucket and waits for its versioning. */
export interface BucketCopy {
    readonly bucket: aws.s3.Bucket;
    readonly versioning: aws.s3.BucketVersioning;
}

export interface DrCopyReplicationArgs {
    readonly source: BucketCopy;
    readonly sourceKmsKeyArn: pulumi.Input<string>;
    /** The copy in the DR region and the key replica there. */
    readonly replica: BucketCopy;
    readonly replicaKmsKeyArn: pulumi.Input<string>;
    /** The rule id (REPLICATION_RULE_IDS), a dimension of the replication metrics. */
    readonly ruleId: string;
    /** Key prefix replicated; "" for the whole bucket. */
    readonly prefix: string;
    /** The latency alarm, published in the DR region. @default no alarm */
    readonly alarm?: Omit<ReplicationLatencyAlarmArgs, "ruleId">;
}

/**
 * A bucket kept in step with its DR-region copy: the Replication `<name>-replication` (RTC,
 * one destination) under `parent`, and, when asked, the latency alarm
 * `<name>-replication-latency` with `alarmOpts` (a scope or provider of the DR region).
 * The uploads, the log archive and the erasure ledger each keep their copy this way.
 * Returns the replication role's ARN (the writer into the copy that a failover fences).
 */
export function replicateToDrCopy(name: string, args: DrCopyReplicationArgs, parent: pulumi.Resource, alarmOpts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const replication = new Replication(
        `${name}-replication`,
        {
            sourceBucketName: args.source.bucket.bucket,
            sourceBucketArn: args.source.bucket.arn,
            sourceKmsKeyArn: args.sourceKmsKeyArn,
            sourceVersioning: args.source.versioning,
            destinations: [{ id: args.ruleId, bucketArn: args.replica.bucket.arn, kmsKeyArn: args.replicaKmsKeyArn, prefix: args.prefix }],
        },
        { parent, dependsOn: [args.replica.versioning] },
    );
    if (args.alarm !== undefined) replicationLatencyAlarm(`${name}-replication-latency`, { ...args.alarm, ruleId: args.ruleId }, alarmOpts);
    return replication.roleArn;
}

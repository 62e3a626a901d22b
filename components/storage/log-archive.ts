import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keyPolicy } from "./backup-key";
import { replicateToDrCopy, RTC_MINUTES } from "./replication";
import { lockedRetentionBucket } from "./locked-bucket";
import { PolicyDocument, Statement, allowService, denyInsecureTransport, denyVersionDeletion, doc } from "./policy-documents";
import { BUCKET_PURPOSES, REPLICATION_RULE_IDS } from "../core/tags";

export interface AccessLogSource {
    readonly bucketName: pulumi.Input<string>;
    readonly bucketArn: pulumi.Input<string>;
    /** Provider of the source bucket's region. */
    readonly provider: aws.Provider;
    /** Waited for before replication is configured (the bucket and its versioning). */
    readonly dependsOn?: pulumi.Resource[];
}

export interface LogArchiveReplica {
    /** The DR region's copy of the archive (same lock), kept by replication with RTC. */
    readonly bucketName: string;
    readonly region: string;
    readonly provider: aws.Provider;
    /** Logs RPO (objectives.dataClasses.logs): the replication-latency alarm's threshold. */
    readonly rpoSeconds: number;
    /** SNS topic in the DR region for that alarm. @default no alarm */
    readonly alarmTopicArn?: pulumi.Input<string>;
}

export interface LogArchiveArgs {
    readonly bucketName: string;
    /** The archive's region (the provider's): the trail's home region. */
    readonly region: string;
    readonly accountId: pulumi.Input<string>;
    /** Roles that administer the archive's key (the deploy role). */
    readonly adminRoleArns: pulumi.Input<pulumi.Input<string>[]>;
    /** The copy in the DR region: without it a regional disaster takes the logs with it. */
    readonly replica: LogArchiveReplica;
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

const DEFAULT_DEEP_ARCHIVE_AFTER_DAYS = 90;

/** One copy of the archive: the bucket, its versioning (replication waits for it) and its policy (the trail waits for it). */
interface LockedBucket {
    readonly bucket: aws.s3.Bucket;
    readonly versioning: aws.s3.BucketVersioning;
    readonly policy: aws.s3.BucketPolicy;
}

/** Seven-year-class retention, Deep Archive before its end, an RPO the replication metrics can show. */
export function validateLogArchiveArgs(name: string, args: LogArchiveArgs): void {
    const deepArchive = args.deepArchiveAfterDays ?? DEFAULT_DEEP_ARCHIVE_AFTER_DAYS;
    if (args.retentionDays < 365) {
        throw new Error(`LogArchive ${name}: retentionDays ${args.retentionDays} is under a year; the access-log requirement is seven years (storage.complianceRetentionDays)`);
    }
    if (deepArchive >= args.retentionDays) {
        throw new Error(`LogArchive ${name}: deepArchiveAfterDays ${deepArchive} is not before the end of retention (${args.retentionDays} days)`);
    }
    if (args.replica.rpoSeconds < 60) throw new Error(`LogArchive ${name}: replica.rpoSeconds ${args.replica.rpoSeconds} is below a minute, finer than S3 replication metrics report`);
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
 * Encryption is SSE-KMS with the archive's own multi-Region key (the trail encrypts its files
 * with it, so its key policy names CloudTrail, which the backup key's policy does not); access
 * logs keep their SSE-S3 encryption when replicated in. A replica of the archive in the DR
 * region, under the same lock, is kept by replication with RTC, so a regional disaster does
 * not take seven years of logs with it; the access logs are replicated to both copies directly,
 * because S3 does not replicate a replica onwards.
 */
export class LogArchive extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly arn: pulumi.Output<string>;
    public readonly trailArn: pulumi.Output<string>;

    constructor(name: string, args: LogArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:LogArchive", name, {}, opts);
        validateLogArchiveArgs(name, args);
        const trailArn = pulumi.interpolate`arn:aws:cloudtrail:${args.region}:${args.accountId}:trail/${args.trailName}`;
        const replicaScope = new LogArchiveReplicaScope(`${name}-replica`, { parent: this, provider: args.replica.provider });
        const { key, replicaKey } = this.declareKeys(name, args, trailArn, replicaScope);
        const archive = this.declareLockedBucket(name, args.bucketName, key.arn, this, args, trailArn, cloudTrailBucketStatements);
        const copy = this.declareLockedBucket(`${name}-replica`, args.replica.bucketName, replicaKey.arn, replicaScope, args, trailArn, () => []);
        this.declareReplicaCopy(name, args, archive, copy, key, replicaKey, replicaScope);
        const trail = this.declareTrail(name, args, archive, key);
        for (const [i, src] of (args.accessLogSources ?? []).entries()) {
            this.replicateInto(`${name}-from-${i}`, src, [archive.bucket, copy.bucket], [archive.versioning, copy.versioning]);
        }

        this.bucketName = archive.bucket.bucket;
        this.arn = archive.bucket.arn;
        this.trailArn = trail.arn;
        this.registerOutputs({ bucketName: this.bucketName, arn: this.arn, trailArn: this.trailArn });
    }

    /** The archive's key: multi-Region, so the DR copy is encrypted under the same key id; its policy names CloudTrail. */
    private declareKeys(name: string, args: LogArchiveArgs, trailArn: pulumi.Output<string>, replicaScope: pulumi.Resource) {
        const protect = args.protect ?? false;
        const policyText = pulumi
            .all([keyPolicy(args.accountId, args.adminRoleArns), args.accountId, trailArn])
            .apply(([base, account, trail]) => JSON.stringify(withCloudTrail(JSON.parse(base), account, trail)));
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "Fortress DR: log archive (CloudTrail, access logs)",
                multiRegion: true,
                enableKeyRotation: true,
                rotationPeriodInDays: 365,
                deletionWindowInDays: 30,
                policy: policyText,
            },
            { parent: this, protect },
        );
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${name}`, targetKeyId: key.keyId }, { parent: this });
        const replicaKey = new aws.kms.ReplicaKey(
            `${name}-replica-key`,
            { description: `Fortress DR: log archive (replica in ${args.replica.region})`, primaryKeyArn: key.arn, deletionWindowInDays: 30, policy: policyText },
            { parent: replicaScope, protect },
        );
        new aws.kms.Alias(`${name}-replica-key-alias`, { name: `alias/${name}`, targetKeyId: replicaKey.keyId }, { parent: replicaScope });
        return { key, replicaKey };
    }

    /** A hardened bucket under Object Lock for the whole retention, moved to Deep Archive, expired a day after the lock ends. */
    private declareLockedBucket(
        id: string,
        bucketName: string,
        kmsKeyArn: pulumi.Input<string>,
        parent: pulumi.Resource,
        args: LogArchiveArgs,
        trailArn: pulumi.Output<string>,
        extra: (arn: string, account: string, trail: string) => Statement[],
    ): LockedBucket {
        const { bucket, hardened } = lockedRetentionBucket(
            id,
            {
                bucketName,
                purpose: BUCKET_PURPOSES.logArchive,
                kmsKeyArn,
                lockMode: args.lockMode ?? "COMPLIANCE",
                retentionDays: args.retentionDays,
                transition: { days: args.deepArchiveAfterDays ?? DEFAULT_DEEP_ARCHIVE_AFTER_DAYS, storageClass: "DEEP_ARCHIVE" },
                protect: args.protect ?? false,
            },
            parent,
        );
        const policy = new aws.s3.BucketPolicy(
            `${id}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.arn, args.accountId, args.breakGlassRoleArn, trailArn])
                    .apply(([arn, account, breakGlass, trail]) => JSON.stringify(doc(denyInsecureTransport(arn), denyVersionDeletion(arn, breakGlass), ...extra(arn, account, trail)))),
            },
            { parent, dependsOn: [hardened.publicAccessBlock], retainOnDelete: true },
        );
        return { bucket, versioning: hardened.versioning, policy };
    }

    /** Replication with RTC into the DR copy, and an alarm when logs arrive later than the objective. */
    private declareReplicaCopy(name: string, args: LogArchiveArgs, archive: LockedBucket, copy: LockedBucket, key: aws.kms.Key, replicaKey: aws.kms.ReplicaKey, replicaScope: pulumi.Resource): void {
        const alarmTopicArn = args.replica.alarmTopicArn;
        replicateToDrCopy(
            name,
            {
                source: archive,
                sourceKmsKeyArn: key.arn,
                replica: copy,
                replicaKmsKeyArn: replicaKey.arn,
                ruleId: REPLICATION_RULE_IDS.logArchiveToDr,
                prefix: "",
                alarm:
                    alarmTopicArn === undefined
                        ? undefined
                        : {
                              description: `Logs reach the DR copy later than the ${args.replica.rpoSeconds} s objective (RTC bound: ${RTC_MINUTES} min)`,
                              sourceBucket: args.bucketName,
                              destinationBucket: args.replica.bucketName,
                              thresholdSeconds: args.replica.rpoSeconds,
                              topicArn: alarmTopicArn,
                          },
            },
            this,
            { parent: replicaScope },
        );
    }

    /** The multi-Region trail with log-file validation, encrypted with the archive key; S3 data events for the given buckets. */
    private declareTrail(name: string, args: LogArchiveArgs, archive: LockedBucket, key: aws.kms.Key): aws.cloudtrail.Trail {
        const dataEventBuckets = args.dataEventBucketArns ?? [];
        return new aws.cloudtrail.Trail(
            name,
            {
                name: args.trailName,
                s3BucketName: archive.bucket.bucket,
                s3KeyPrefix: "cloudtrail",
                isMultiRegionTrail: true,
                includeGlobalServiceEvents: true,
                enableLogFileValidation: true,
                kmsKeyId: key.arn,
                eventSelectors: [
                    {
                        readWriteType: "All",
                        includeManagementEvents: true,
                        dataResources: dataEventBuckets.length ? [{ type: "AWS::S3::Object", values: dataEventBuckets.map((a) => pulumi.interpolate`${a}/`) }] : [],
                    },
                ],
            },
            { parent: this, dependsOn: [archive.policy] },
        );
    }

    /** Replication from one access-log bucket (SSE-S3, no KMS grants) into both copies of the archive. */
    private replicateInto(id: string, src: AccessLogSource, archives: aws.s3.Bucket[], archiveVersionings: aws.s3.BucketVersioning[]): void {
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
                policy: pulumi.all([src.bucketArn, ...archives.map((a) => a.arn)]).apply(([source, ...dests]) =>
                    JSON.stringify(
                        doc(
                            { Sid: "ReadSourceConfiguration", Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: source },
                            { Sid: "ReadSourceVersions", Effect: "Allow", Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], Resource: `${source}/*` },
                            { Sid: "WriteReplicas", Effect: "Allow", Action: ["s3:ReplicateObject", "s3:ReplicateTags"], Resource: dests.map((d) => `${d}/*`) },
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
                rules: archives.map((a, i) => ({
                    id: i === 0 ? "to-log-archive" : "to-log-archive-dr",
                    status: "Enabled",
                    priority: i + 1,
                    filter: { prefix: "" },
                    deleteMarkerReplication: { status: "Disabled" },
                    destination: { bucket: a.arn, storageClass: "STANDARD" },
                })),
            },
            { parent: this, provider: src.provider, dependsOn: [...archiveVersionings, ...(src.dependsOn ?? [])] },
        );
    }
}

/** The DR-region half of the archive: its children inherit the DR provider given here. */
class LogArchiveReplicaScope extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("fortress:storage:LogArchiveReplica", name, {}, opts);
        this.registerOutputs({});
    }
}

/** The key policy of the archive's key: the backup key's, plus CloudTrail encrypting this trail's files. */
export function withCloudTrail(base: PolicyDocument, accountId: string, trailArn: string): PolicyDocument {
    return doc(
        ...base.Statement,
        allowService("CloudTrailEncryptsThisTrail", "cloudtrail.amazonaws.com", ["kms:GenerateDataKey*", "kms:DescribeKey"], "*", {
            StringEquals: { "aws:SourceArn": trailArn },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${accountId}:trail/*` },
        }),
    );
}

/** CloudTrail may check the ACL and write its own prefix, for this account's trail only. */
export function cloudTrailBucketStatements(bucketArn: string, accountId: string, trailArn: string): Statement[] {
    return [
        allowService("CloudTrailAclCheck", "cloudtrail.amazonaws.com", "s3:GetBucketAcl", bucketArn, { StringEquals: { "aws:SourceArn": trailArn } }),
        allowService("CloudTrailWrite", "cloudtrail.amazonaws.com", "s3:PutObject", `${bucketArn}/cloudtrail/AWSLogs/${accountId}/*`, {
            StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailArn },
        }),
    ];
}

/** The archive's bucket policy: TLS only, nobody destroys a version, CloudTrail writes its prefix. */
export function logArchivePolicy(bucketArn: string, accountId: string, breakGlassRoleArn: string, trailArn: string): PolicyDocument {
    return doc(denyInsecureTransport(bucketArn), denyVersionDeletion(bucketArn, breakGlassRoleArn), ...cloudTrailBucketStatements(bucketArn, accountId, trailArn));
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../core/irsa-role";
import { BucketCopy, replicateToDrCopy, RTC_MINUTES } from "../storage/replication";
import { lockedRetentionBucket } from "../storage/locked-bucket";
import type { DrCopiedBucketArgs } from "../storage/uploads";
import { LEDGER_OBJECT_PREFIX, appenderPolicy, ledgerBucketPolicy, ledgerReaderPolicy } from "./erasure-ledger-policy";
import { BUCKET_PURPOSES, REPLICATION_RULE_IDS, TAG_KEYS } from "../core/tags";

export interface ErasureLedgerIdentity {
    readonly namespace: string;
    readonly serviceAccounts: readonly string[];
}

/**
 * The ledger's bucket in the primary region (where the application records) and its copy in
 * the DR region, kept by replication with RTC, under the backup key and its replica
 * (DrCopiedBucketArgs; access logs optional here).
 */
export interface ErasureLedgerArgs extends Omit<DrCopiedBucketArgs, "accessLogBucket" | "replicaAccessLogBucket"> {
    /** Object Lock retention of every entry (storage.complianceRetentionDays: seven years). */
    readonly retentionDays: number;
    /** The longest retention of any backup that may hold personal data: entries must outlive it. */
    readonly longestBackupRetentionDays: number;
    /** @default "COMPLIANCE" */
    readonly lockMode?: "COMPLIANCE" | "GOVERNANCE";
    readonly accountId: pulumi.Input<string>;
    /** The cluster's OIDC issuer without scheme, for IRSA. */
    readonly oidcIssuer: pulumi.Input<string>;
    /** The application that records erasures (the only writer). */
    readonly appender: ErasureLedgerIdentity;
    /** Restore jobs and the replay (read only). */
    readonly reader: ErasureLedgerIdentity;
    /** Server access logs of each copy. @default none */
    readonly accessLogBucket?: pulumi.Input<string>;
    readonly replicaAccessLogBucket?: pulumi.Input<string>;
    /** SNS topic in the DR region for the replication-latency alarm. @default no alarm */
    readonly replicaAlarmTopicArn?: pulumi.Input<string>;
    /** Threshold of that alarm (the logs RPO). @default 900 (the RTC bound) */
    readonly replicaRpoSeconds?: number;
}

/** Checks the args before anything is declared; throws naming the field and the fix. */
export function validateErasureLedgerArgs(name: string, a: Pick<ErasureLedgerArgs, "retentionDays" | "longestBackupRetentionDays" | "appender" | "reader" | "bucketName" | "replicaBucketName">): void {
    if (a.retentionDays < a.longestBackupRetentionDays) {
        throw new Error(`ErasureLedger ${name}: retentionDays ${a.retentionDays} is shorter than the longest backup retention (${a.longestBackupRetentionDays} days); an entry must outlive every backup a restore could bring a subject back from (raise storage.complianceRetentionDays)`);
    }
    if (a.retentionDays < 365) throw new Error(`ErasureLedger ${name}: retentionDays ${a.retentionDays} is under a year; use storage.complianceRetentionDays`);
    if (a.appender.serviceAccounts.length === 0) throw new Error(`ErasureLedger ${name}: appender.serviceAccounts is empty; name the application's service accounts (erasure.ledger.appenderServiceAccounts)`);
    if (a.reader.serviceAccounts.length === 0) throw new Error(`ErasureLedger ${name}: reader.serviceAccounts is empty; name the restore jobs' service account`);
    if (a.bucketName === a.replicaBucketName) throw new Error(`ErasureLedger ${name}: replicaBucketName equals bucketName; the DR copy needs its own bucket in the DR region`);
}

/** One copy of the ledger: replication reads its bucket and waits for its versioning. */
type LedgerCopy = BucketCopy;

/**
 * The GDPR erasure ledger: an append-only record of erasure requests that no restore can roll
 * back, replayed after every restore (cli/erasure/).
 *
 * Its own Object Lock bucket beside the log archive rather than a prefix inside it: the log
 * archive moves objects to Glacier Deep Archive after 90 days (hours to read back), while a
 * replay reads every entry during a restore, within seconds; and the ledger's bucket policy
 * refuses any PUT without `If-None-Match`, which the log archive's writers (CloudTrail,
 * replication of access logs) do not send. It keeps the archive's properties: COMPLIANCE lock
 * for the compliance retention (seven years), SSE-KMS with the multi-Region key, versioning,
 * TLS only, and a copy in the DR region under the same lock, kept by replication with RTC.
 *
 * Two roles, both through IRSA: the appender (the application) may only PUT new keys under
 * `erasure-ledger/` with `If-None-Match` and carries an explicit Deny of every destructive
 * action; the reader (restore jobs, the replay) may only list and read, both copies.
 */
export class ErasureLedger extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly replicaBucketName: pulumi.Output<string>;
    public readonly appenderRoleArn: pulumi.Output<string>;
    public readonly readerRoleArn: pulumi.Output<string>;
    public readonly prefix = LEDGER_OBJECT_PREFIX;

    constructor(name: string, args: ErasureLedgerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:compliance:ErasureLedger", name, {}, opts);
        validateErasureLedgerArgs(name, args);
        const primary = this.declareLockedBucket(name, args.bucketName, args.kmsKeyArn, args.accessLogBucket, this, args);
        // The DR-region half: its children inherit the DR provider from this scope.
        const replicaScope = new ErasureLedgerReplica(`${name}-replica`, { parent: this, provider: args.replicaProvider });
        const replica = this.declareLockedBucket(`${name}-replica`, args.replicaBucketName, args.replicaKmsKeyArn, args.replicaAccessLogBucket, replicaScope, args);
        this.declareReplication(name, args, primary, replica, replicaScope);
        const { appender, reader } = this.declareRoles(name, args, primary, replica);

        this.bucketName = primary.bucket.bucket;
        this.replicaBucketName = replica.bucket.bucket;
        this.appenderRoleArn = appender.arn;
        this.readerRoleArn = reader.arn;
        this.registerOutputs({ bucketName: this.bucketName, replicaBucketName: this.replicaBucketName, appenderRoleArn: this.appenderRoleArn, readerRoleArn: this.readerRoleArn });
    }

    /** One copy of the ledger: hardened, locked for the retention, expired a day after the lock ends, access-logged when given. */
    private declareLockedBucket(id: string, bucketName: string, kmsKeyArn: pulumi.Input<string>, accessLogBucket: pulumi.Input<string> | undefined, parent: pulumi.Resource, args: ErasureLedgerArgs): LedgerCopy {
        const o = { parent };
        // No transition: a replay reads every entry during a restore.
        const { bucket, hardened } = lockedRetentionBucket(
            id,
            { bucketName, purpose: BUCKET_PURPOSES.erasureLedger, kmsKeyArn, lockMode: args.lockMode ?? "COMPLIANCE", retentionDays: args.retentionDays, protect: args.protect ?? false },
            parent,
        );
        new aws.s3.BucketPolicy(
            `${id}-policy`,
            { bucket: bucket.id, policy: pulumi.all([bucket.arn, args.breakGlassRoleArn]).apply(([arn, bg]) => JSON.stringify(ledgerBucketPolicy(arn, bg))) },
            { ...o, dependsOn: [hardened.publicAccessBlock], retainOnDelete: true },
        );
        if (accessLogBucket !== undefined) {
            new aws.s3.BucketLogging(`${id}-logging`, { bucket: bucket.id, targetBucket: accessLogBucket, targetPrefix: `${bucketName}/` }, o);
        }
        return { bucket, versioning: hardened.versioning };
    }

    /** Replication with RTC of the ledger prefix into the DR copy, and its latency alarm. */
    private declareReplication(name: string, args: ErasureLedgerArgs, primary: LedgerCopy, replica: LedgerCopy, replicaScope: pulumi.Resource): void {
        const threshold = args.replicaRpoSeconds ?? RTC_MINUTES * 60;
        replicateToDrCopy(
            name,
            {
                source: primary,
                sourceKmsKeyArn: args.kmsKeyArn,
                replica,
                replicaKmsKeyArn: args.replicaKmsKeyArn,
                ruleId: REPLICATION_RULE_IDS.erasureLedgerToDr,
                prefix: LEDGER_OBJECT_PREFIX,
                alarm:
                    args.replicaAlarmTopicArn === undefined
                        ? undefined
                        : {
                              description: `Erasure requests reach the DR copy of the ledger later than ${threshold} s: a DR replay now could miss them`,
                              sourceBucket: args.bucketName,
                              destinationBucket: args.replicaBucketName,
                              thresholdSeconds: threshold,
                              topicArn: args.replicaAlarmTopicArn,
                          },
            },
            this,
            { parent: replicaScope },
        );
    }

    /** The appender (new keys only) and reader (both copies) IRSA roles. */
    private declareRoles(name: string, args: ErasureLedgerArgs, primary: LedgerCopy, replica: LedgerCopy) {
        const role = (kind: "appender" | "reader", who: ErasureLedgerIdentity, policy: pulumi.Output<string>) =>
            new IrsaRole(
                `${name}-${kind}`,
                {
                    description: kind === "appender" ? "Fortress DR: appends erasure requests to the ledger (new keys only)" : "Fortress DR: reads the erasure ledger (replay after restores)",
                    accountId: args.accountId,
                    oidcIssuer: args.oidcIssuer,
                    namespace: who.namespace,
                    serviceAccounts: who.serviceAccounts,
                    tags: { [TAG_KEYS.purpose]: `${BUCKET_PURPOSES.erasureLedger}-${kind}` },
                    policy,
                },
                { parent: this },
            );
        const appender = role("appender", args.appender, pulumi.all([primary.bucket.arn, args.kmsKeyArn]).apply(([arn, key]) => JSON.stringify(appenderPolicy(arn, key))));
        const reader = role(
            "reader",
            args.reader,
            pulumi.all([primary.bucket.arn, replica.bucket.arn, args.kmsKeyArn, args.replicaKmsKeyArn]).apply(([a, b, k1, k2]) => JSON.stringify(ledgerReaderPolicy([a, b], [k1, k2]))),
        );
        return { appender, reader };
    }
}

/** The DR-region half of the ledger: its children inherit the DR provider given here. */
class ErasureLedgerReplica extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super("fortress:compliance:ErasureLedgerReplica", name, {}, opts);
        this.registerOutputs({});
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Management calls that mean someone is weakening the backups or blinding the audit trail,
 * by the event source CloudTrail records them under. S3 names both spellings of the
 * lifecycle call: CloudTrail has logged PutBucketLifecycleConfiguration as PutBucketLifecycle,
 * and matching a name that never occurs costs nothing.
 */
export const TAMPER_CALLS = Object.freeze({
    "s3.amazonaws.com": Object.freeze([
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketLifecycle",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
        "PutBucketVersioning",
        "PutBucketReplication",
        "DeleteBucketReplication",
        "PutObjectLockConfiguration",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "DeleteBucket",
    ]),
    "kms.amazonaws.com": Object.freeze(["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"]),
    "cloudtrail.amazonaws.com": Object.freeze(["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]),
} as const);

/** GuardDuty's numeric severity bands: Medium 4.0-6.9, High 7.0-8.9, Critical 9.0+. */
export const GUARDDUTY_SEVERITY = Object.freeze({ low: 1, medium: 4, high: 7, critical: 9 });

export interface SecurityDetectionArgs {
    /** Prefix of the EventBridge rule names: unique per environment in an account and region. */
    readonly namePrefix: string;
    /** This region's alert topic; its policy must let events.amazonaws.com publish (AlertTopic does). */
    readonly alertTopicArn: pulumi.Input<string>;
    /**
     * Name prefixes of the buckets whose policy, lifecycle, versioning, replication,
     * encryption or Object Lock changes alert (`<namePrefix>-<environment>-` covers every
     * Fortress bucket, including ones added later). Plain strings, so the event pattern is
     * known at preview and a policy can read it.
     */
    readonly watchedBucketPrefixes: readonly string[];
    /** GuardDuty findings at or above this numeric severity alert. @default 7 (High) */
    readonly minimumSeverity?: number;
    /** Turn on GuardDuty EKS audit-log protection (regions without EKS clusters pay nothing). @default true */
    readonly eksProtection?: boolean;
}

/** Fails early on args that would deploy a detector that alerts on nothing. */
export function validateSecurityDetectionArgs(name: string, args: SecurityDetectionArgs): void {
    const problems: string[] = [];
    if (!/^[A-Za-z0-9._-]+$/.test(args.namePrefix)) problems.push(`namePrefix: "${args.namePrefix}" may hold only letters, digits, '.', '_' and '-' (EventBridge rule names)`);
    const severity = args.minimumSeverity ?? GUARDDUTY_SEVERITY.high;
    if (!(severity >= 1 && severity <= 10)) problems.push(`minimumSeverity: ${severity} must be 1..10 (GuardDuty's numeric severity; High is 7)`);
    if (args.watchedBucketPrefixes.length === 0) problems.push("watchedBucketPrefixes: empty; give the Fortress bucket name prefix, or tampering with the buckets goes unseen");
    for (const p of args.watchedBucketPrefixes) {
        // A prefix under 3 characters would page on most buckets of the account.
        if (!/^[a-z0-9][a-z0-9.-]{2,}$/.test(p)) problems.push(`watchedBucketPrefixes: "${p}" is not the start of an S3 bucket name of 3 or more characters`);
    }
    const dup = args.watchedBucketPrefixes.find((b, i) => args.watchedBucketPrefixes.indexOf(b) !== i);
    if (dup) problems.push(`watchedBucketPrefixes: ${dup} is listed twice; remove the duplicate`);
    if (problems.length > 0) throw new Error(`SecurityDetection ${name}: ${problems.join("; ")}`);
}

/** Event pattern: new or updated GuardDuty findings at or above the severity. */
export function findingsPattern(minimumSeverity: number): object {
    return { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", minimumSeverity] }] } };
}

/**
 * Event pattern: the TAMPER_CALLS as CloudTrail delivers them to EventBridge. S3 calls count
 * only on buckets with a watched prefix; KMS and CloudTrail calls on any key or trail of the account,
 * because the backups' keys and the trail are few and any disabled key or stopped trail in
 * the account deserves a look.
 */
export function tamperingPattern(watchedBucketPrefixes: readonly string[]): object {
    const s3 = "s3.amazonaws.com";
    const others = Object.keys(TAMPER_CALLS).filter((s) => s !== s3) as (keyof typeof TAMPER_CALLS)[];
    return {
        source: ["aws.s3", "aws.kms", "aws.cloudtrail"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
            $or: [
                { eventSource: [s3], eventName: [...TAMPER_CALLS[s3]], requestParameters: { bucketName: watchedBucketPrefixes.map((prefix) => ({ prefix })) } },
                ...others.map((source) => ({ eventSource: [source], eventName: [...TAMPER_CALLS[source]] })),
            ],
        },
    };
}

/**
 * Security detection of one region (S5): a GuardDuty detector with S3 data-event and EKS
 * protection, and two EventBridge rules into the region's alert topic, one for GuardDuty
 * findings and one for management calls that tamper with the backups or the audit trail.
 *
 * GuardDuty is regional and CloudTrail hands a management event to EventBridge in the region
 * where the call was made, so the stack declares one per region that holds Fortress data.
 * Only one detector may exist per account and region: where the account already has one
 * (an Organizations delegated administrator), import it rather than create a second.
 */
export class SecurityDetection extends pulumi.ComponentResource {
    public readonly detectorId: pulumi.Output<string>;
    public readonly findingsRuleArn: pulumi.Output<string>;
    public readonly tamperingRuleArn: pulumi.Output<string>;

    constructor(name: string, args: SecurityDetectionArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:SecurityDetection", name, {}, opts);
        validateSecurityDetectionArgs(name, args);
        const severity = args.minimumSeverity ?? GUARDDUTY_SEVERITY.high;

        // FIFTEEN_MINUTES governs updates to existing findings only; new findings go to
        // EventBridge as GuardDuty produces them, whatever this says.
        const detector = new aws.guardduty.Detector(`${name}-detector`, { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES" }, { parent: this });
        new aws.guardduty.DetectorFeature(`${name}-s3-protection`, { detectorId: detector.id, name: "S3_DATA_EVENTS", status: "ENABLED" }, { parent: this });
        if (args.eksProtection ?? true) {
            new aws.guardduty.DetectorFeature(`${name}-eks-protection`, { detectorId: detector.id, name: "EKS_AUDIT_LOGS", status: "ENABLED" }, { parent: this });
        }

        const findings = new aws.cloudwatch.EventRule(
            `${name}-findings`,
            {
                name: `${args.namePrefix}-guardduty-findings`,
                description: `GuardDuty findings of severity ${severity} or more to the alert topic (S5 detection)`,
                eventPattern: JSON.stringify(findingsPattern(severity)),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-findings-to-alerts`, { rule: findings.name, arn: args.alertTopicArn }, { parent: this });

        const tampering = new aws.cloudwatch.EventRule(
            `${name}-tampering`,
            {
                name: `${args.namePrefix}-backup-tampering`,
                description: "Changes to the Fortress buckets' protection, the keys or the audit trail (S5 detection)",
                eventPattern: JSON.stringify(tamperingPattern(args.watchedBucketPrefixes)),
            },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-tampering-to-alerts`, { rule: tampering.name, arn: args.alertTopicArn }, { parent: this });

        this.detectorId = detector.id;
        this.findingsRuleArn = findings.arn;
        this.tamperingRuleArn = tampering.arn;
        this.registerOutputs({ detectorId: this.detectorId, findingsRuleArn: this.findingsRuleArn, tamperingRuleArn: this.tamperingRuleArn });
    }
}

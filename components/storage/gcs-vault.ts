import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { doc } from "./policy-documents";

export interface GcsVaultArgs {
    readonly project: string;
    /** GCS multi-region or dual-region, e.g. "US" or "NAM4". */
    readonly location: string;
    readonly bucketName: string;
    /** Retention enforced by the bucket's policy, in days. */
    readonly retentionDays: number;
    /** Lock the retention policy: irreversible, so no one can shorten it. */
    readonly lockRetention: boolean;
    /** Move objects to ARCHIVE after this many days. @default never */
    readonly archiveAfterDays?: number;
    /** The S3 tier-3 bucket the transfer reads. */
    readonly sourceBucketName: pulumi.Input<string>;
    readonly sourceBucketArn: pulumi.Input<string>;
    /** The tier-3 region's KMS key, needed to read SSE-KMS objects. */
    readonly sourceKmsKeyArn: pulumi.Input<string>;
    /** Name of the AWS role Storage Transfer Service assumes. */
    readonly transferRoleName: string;
    /**
     * Source paths never copied. pgBackRest rewrites `backup.info` and `archive.info` on every
     * backup; the locked bucket refuses to replace an object, so copying them would fail the
     * transfer every day. Every other pgBackRest file has a unique, never-rewritten name.
     * @default []
     */
    readonly excludePrefixes?: readonly string[];
    /** Daily start time of the transfer (UTC). */
    readonly startTimeOfDay: { readonly hours: number; readonly minutes: number };
    /** @default false */
    readonly protect?: boolean;
}

/**
 * The cross-cloud copy of tier 3: a GCS multi-region bucket with a customer-managed key in
 * its location, a retention policy (locked in prod), lifecycle to ARCHIVE when tier 3 has a
 * storage-class transition, and a daily
 * Storage Transfer Service job that copies the S3 tier-3 bucket through a federated AWS role
 * (Google's service agent assumes it by web identity; no long-lived AWS keys exist).
 *
 * No Object Versioning: GCS does not allow versioning on a bucket with a retention policy.
 * The retention policy is the stronger guarantee (no object can be deleted or replaced until
 * it is old enough), and soft delete keeps deleted objects another 7 days after that.
 */
export class GcsVault extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly transferRoleArn: pulumi.Output<string>;
    public readonly transferJobName: pulumi.Output<string>;

    constructor(name: string, args: GcsVaultArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:storage:GcsVault", name, {}, opts);
        if (args.archiveAfterDays !== undefined && args.archiveAfterDays >= args.retentionDays) {
            throw new Error(`GcsVault ${name}: archiveAfterDays ${args.archiveAfterDays} must be below retentionDays ${args.retentionDays}`);
        }
        const bucket = this.declareBucket(name, args);
        const transferAgent = gcp.storage.getTransferProjectServiceAccountOutput({ project: args.project }, { parent: this });
        const role = this.declareTransferRole(name, args, transferAgent.subjectId);
        const job = this.declareTransferJob(name, args, bucket, transferAgent.email, role.arn);

        this.bucketName = bucket.name;
        this.transferRoleArn = role.arn;
        this.transferJobName = job.name;
        this.registerOutputs({ bucketName: this.bucketName, transferRoleArn: this.transferRoleArn, transferJobName: this.transferJobName });
    }

    /** The bucket under its own CMEK (rotated every 90 days), retention-locked, soft delete on, archived then deleted after the retention. */
    private declareBucket(name: string, args: GcsVaultArgs): gcp.storage.Bucket {
        const protect = args.protect ?? false;
        const archiveAfterDays = args.archiveAfterDays;
        const gcpOpts = { parent: this };
        const kmsLocation = args.location.toLowerCase();

        const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { name: `${name}-keyring`, location: kmsLocation, project: args.project }, { ...gcpOpts, protect });
        const key = new gcp.kms.CryptoKey(
            `${name}-key`,
            { name: `${name}-key`, keyRing: keyRing.id, rotationPeriod: `${90 * 86_400}s`, purpose: "ENCRYPT_DECRYPT" },
            { ...gcpOpts, protect },
        );
        const storageAgent = gcp.storage.getProjectServiceAccountOutput({ project: args.project }, { parent: this });
        const keyGrant = new gcp.kms.CryptoKeyIAMMember(
            `${name}-key-storage-agent`,
            { cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: pulumi.interpolate`serviceAccount:${storageAgent.emailAddress}` },
            gcpOpts,
        );

        return new gcp.storage.Bucket(
            `${name}-bucket`,
            {
                name: args.bucketName,
                project: args.project,
                location: args.location,
                storageClass: "STANDARD",
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                encryption: { defaultKmsKeyName: key.id },
                retentionPolicy: { retentionPeriod: String(args.retentionDays * 86_400), isLocked: args.lockRetention },
                softDeletePolicy: { retentionDurationSeconds: 7 * 86_400 },
                lifecycleRules: [
                    ...(archiveAfterDays === undefined
                        ? []
                        : [{ action: { type: "SetStorageClass", storageClass: "ARCHIVE" }, condition: { age: archiveAfterDays, matchesStorageClasses: ["STANDARD"] } }]),
                    { action: { type: "Delete" }, condition: { age: args.retentionDays + 1 } },
                ],
                forceDestroy: false,
                labels: { "fortress-tier": "tier3" },
            },
            { ...gcpOpts, protect, retainOnDelete: true, dependsOn: [keyGrant] },
        );

    }

    /** The AWS side: a role Google's transfer agent assumes by web identity (not IRSA: no Kubernetes service account); it can only read tier 3. */
    private declareTransferRole(name: string, args: GcsVaultArgs, transferAgentSubject: pulumi.Output<string>): aws.iam.Role {
        const role = new aws.iam.Role(
            `${name}-transfer-role`,
            {
                name: args.transferRoleName,
                description: "Fortress DR: Google Storage Transfer Service reads tier 3",
                assumeRolePolicy: transferAgentSubject.apply((sub) =>
                    JSON.stringify(
                        doc({
                            Sid: "GoogleStorageTransfer",
                            Effect: "Allow",
                            Principal: { Federated: "accounts.google.com" },
                            Action: "sts:AssumeRoleWithWebIdentity",
                            Condition: { StringEquals: { "accounts.google.com:sub": sub } },
                        }),
                    ),
                ),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-transfer-read`,
            {
                role: role.id,
                policy: pulumi.all([args.sourceBucketArn, args.sourceKmsKeyArn]).apply(([bucketArn, keyArn]) =>
                    JSON.stringify(
                        doc(
                            { Sid: "ListTier3", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
                            { Sid: "ReadTier3", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/*` },
                            { Sid: "DecryptTier3", Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn },
                        ),
                    ),
                ),
            },
            { parent: this },
        );

        return role;
    }

    /** The sink grants for the transfer agent and the daily transfer job, which never overwrites or deletes. */
    private declareTransferJob(name: string, args: GcsVaultArgs, bucket: gcp.storage.Bucket, transferAgentEmail: pulumi.Output<string>, roleArn: pulumi.Output<string>): gcp.storage.TransferJob {
        const gcpOpts = { parent: this };
        const sinkGrants = ["roles/storage.legacyBucketReader", "roles/storage.objectCreator", "roles/storage.objectViewer"].map(
            (role) =>
                new gcp.storage.BucketIAMMember(
                    `${name}-transfer-${role.split(".").pop()}`,
                    { bucket: bucket.name, role, member: pulumi.interpolate`serviceAccount:${transferAgentEmail}` },
                    gcpOpts,
                ),
        );

        return new gcp.storage.TransferJob(
            `${name}-transfer`,
            {
                project: args.project,
                description: "Fortress DR: daily copy of S3 tier 3 to GCS",
                transferSpec: {
                    awsS3DataSource: { bucketName: args.sourceBucketName, roleArn },
                    gcsDataSink: { bucketName: bucket.name },
                    objectConditions: { excludePrefixes: [...(args.excludePrefixes ?? [])] },
                    transferOptions: {
                        // Never replace or delete: the sink is append-only under its retention policy.
                        overwriteWhen: "NEVER",
                        deleteObjectsUniqueInSink: false,
                        deleteObjectsFromSourceAfterTransfer: false,
                    },
                },
                schedule: {
                    // A start date in the past makes the job run from its first daily slot after creation.
                    scheduleStartDate: { year: 2026, month: 1, day: 1 },
                    startTimeOfDay: { hours: args.startTimeOfDay.hours, minutes: args.startTimeOfDay.minutes, seconds: 0, nanos: 0 },
                    repeatInterval: "86400s",
                },
                status: "ENABLED",
            },
            { parent: this, dependsOn: sinkGrants },
        );
    }
}

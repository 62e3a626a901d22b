/**
 * The CronJob every backup job runs as: the job image, one script from jobs/, one tier's
 * bucket through that tier's writer role, and the encryption key from a Kubernetes secret.
 * A plain function, so the Redis, Sealed Secrets and Vault components build identical jobs
 * and the tests can validate the result against the Kubernetes schema.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { maxIntervalSeconds } from "../core/cron";
import { SLO_RUNNER_SCRIPT, backupWindowSeconds, sloRunEnv } from "../detection/slo";
import { DataClassLabel, PurposeLabel, fortressLabels } from "../core/names";
import type { TierId } from "../../config/vocabulary";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, jobPodBasics, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

/** A bucket and its region: where a job or a backup tool reads and writes. */
export interface BucketLocation {
    readonly bucketName: pulumi.Input<string>;
    readonly region: string;
}

/** Where one tier's backups go and the role that may write them. */
export interface BackupTarget extends BucketLocation {
    /** The tier's writer role, assumed through the pod's projected service-account token. */
    readonly writerRoleArn: pulumi.Input<string>;
}

export interface BackupCronJobOptions {
    readonly name: string;
    readonly namespace: string;
    readonly tier: TierId;
    /** Five-field cron from the tier config. */
    readonly schedule: string;
    readonly image: string;
    /** Script in /opt/fortress/jobs of the job image. */
    readonly script: string;
    readonly args?: string[];
    readonly target: BackupTarget;
    /** Key prefix in the bucket, `<tier>/<dataClass>/...`. */
    readonly prefix: string;
    readonly serviceAccountName: string;
    /** Secret holding the encryption passphrase under the key `passphrase`; absent for jobs that only read or report. */
    readonly keySecretName?: string;
    /** Region of the CloudWatch metric (the primary region, where the alarms are). */
    readonly metricsRegion: string;
    readonly env?: { name: string; value: pulumi.Input<string> }[];
    /** Further secrets mounted as files (e.g. the Redis password). */
    readonly secretFiles?: { readonly name: string; readonly secretName: pulumi.Input<string>; readonly mountPath: string }[];
    /** What the job protects (LABEL_KEYS.dataClass): the objectives model reads it exactly. */
    readonly dataClass: DataClassLabel;
    /** What the job does (LABEL_KEYS.purpose). @default "backup" */
    readonly purpose?: PurposeLabel;
    readonly labels?: Record<string, string>;
}

export const JOBS_DIR = "/opt/fortress/jobs";
export const KEY_MOUNT = "/var/run/fortress/backup-key";
export const KEY_SECRET_FIELD = "passphrase";

/**
 * A job may run at most until the next one is due (and never longer than an hour), so a hung
 * dump never overlaps the next snapshot; Forbid makes the overlap impossible besides.
 */
export function activeDeadlineSeconds(schedule: string): number {
    return Math.max(60, Math.min(3600, Math.floor(maxIntervalSeconds(schedule) * 0.9)));
}

export function backupCronJobSpec(o: BackupCronJobOptions): k8s.types.input.batch.v1.CronJob {
    if (!o.prefix.startsWith(`${o.tier}/`)) {
        throw new Error(`backup job ${o.name}: prefix "${o.prefix}" must start with "${o.tier}/" (the tier whose schedule writes it) so the bucket's lifecycle rule for that tier applies`);
    }
    const labels = { "app.kubernetes.io/name": o.name, "app.kubernetes.io/part-of": "fortress-dr", ...o.labels, ...fortressLabels({ dataClass: o.dataClass, tier: o.tier, purpose: o.purpose ?? "backup" }) };
    const deadline = activeDeadlineSeconds(o.schedule);
    return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: o.name, namespace: o.namespace, labels },
        spec: {
            schedule: o.schedule,
            timeZone: "Etc/UTC",
            concurrencyPolicy: "Forbid",
            // A run missed by more than this is skipped rather than run late; the age metric shows it.
            startingDeadlineSeconds: Math.min(300, deadline),
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
                metadata: { labels },
                spec: {
                    backoffLimit: 1,
                    activeDeadlineSeconds: deadline,
                    ttlSecondsAfterFinished: 86_400,
                    template: {
                        metadata: { labels },
                        spec: {
                            ...jobPodBasics(o.serviceAccountName, { fsGroup: true }),
                            containers: [
                                {
                                    name: "backup",
                                    image: o.image,
                                    // Through the SLO wrapper: every run, success or failure, is published (jobs/lib/slo-run.sh).
                                    command: [`${JOBS_DIR}/${SLO_RUNNER_SCRIPT}`, `${JOBS_DIR}/${o.script}`],
                                    args: o.args,
                                    env: [
                                        { name: "BACKUP_TIER", value: o.tier },
                                        { name: "BACKUP_BUCKET", value: o.target.bucketName },
                                        { name: "BACKUP_PREFIX", value: o.prefix.replace(/\/$/, "") },
                                        ...(o.keySecretName ? [{ name: "BACKUP_KEY_FILE", value: `${KEY_MOUNT}/${KEY_SECRET_FIELD}` }] : []),
                                        { name: "AWS_REGION", value: o.target.region },
                                        // IRSA by hand: every tier's writer role trusts this service account, and
                                        // the job picks the one for its tier (the webhook could inject only one).
                                        ...awsRoleEnv(o.target.writerRoleArn),
                                        { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
                                        { name: "CLOUDWATCH_REGION", value: o.metricsRegion },
                                        ...sloRunEnv({ dataClass: o.dataClass, tier: o.tier, purpose: o.purpose === "backup-age" ? "backup-age" : o.purpose === "verify" ? "verify" : "backup", windowSeconds: backupWindowSeconds(o.schedule, deadline) }),
                                        ...(o.env ?? []),
                                    ],
                                    resources: containerResources("100m", "256Mi", "2Gi"),
                                    securityContext: restrictedContainerSecurity(),
                                    volumeMounts: [
                                        ...(o.keySecretName ? [{ name: "backup-key", mountPath: KEY_MOUNT, readOnly: true }] : []),
                                        awsTokenMount(),
                                        scratchMount(),
                                        ...(o.secretFiles ?? []).map((f) => ({ name: f.name, mountPath: f.mountPath, readOnly: true })),
                                    ],
                                },
                            ],
                            volumes: [
                                ...(o.keySecretName ? [{ name: "backup-key", secret: { secretName: o.keySecretName, defaultMode: 0o440 } }] : []),
                                awsTokenVolume(),
                                scratchVolume(),
                                ...(o.secretFiles ?? []).map((f) => ({ name: f.name, secret: { secretName: f.secretName, defaultMode: 0o440 } })),
                            ],
                        },
                    },
                },
            },
        },
    };
}

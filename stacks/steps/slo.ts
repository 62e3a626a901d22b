/**
 * Step: the DR posture in CloudWatch and the backup SLOs of the primary stack — the DR
 * dashboard of the environment (in the DR region, the monitoring region), the metric-math SLO
 * alarms there, and the jobs that measure the SLOs: the daily rollup and the weekly backup
 * audit into the log archive. Targets and schedules: config section `slo`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_JOB_SERVICE_ACCOUNT, PG_CLUSTER_NAME } from "../../components/core/names";
import { AlarmSpec, BACKUP_SLO_NAMESPACE, DrDashboard, SloAlarms, sloAlarms, standbyLagAlarm } from "../../components/detection";
import { AUDIT_OUTPUT_PREFIX, BackupAudit } from "../../components/platform/backup-audit";
import { IrsaRole } from "../../components/core/irsa-role";
import { DESTRUCTIVE_KMS_ACTIONS, DESTRUCTIVE_S3_ACTIONS, doc } from "../../components/storage/policy-documents";
import type { FortressConfig } from "../../config";
import type { Providers } from "../providers";
import type { LogsOutputs } from "./logs";
import type { DetectionOutputs } from "./detection";
import type { StorageOutputs } from "./storage";

/** Where the `fortress` CLI writes its audit records in the tier-3 bucket (cli/audit.ts auditKey). */
export const CLI_AUDIT_PREFIX = "fortress-audit";

export interface SloOutputs {
    readonly dashboardName: string;
    readonly sloAlarmArns: Readonly<Record<string, pulumi.Output<string>>>;
}

/** The audit job's permissions: read the metrics, publish the rollup, read the CLI's audit records, write the report. */
export function auditPolicy(a: { logArchiveBucket: string; tier3BucketArn: string; tier3KeyArn: string; auditPrefix: string; outputPrefix: string; logArchiveRegion: string }) {
    const logArchiveArn = `arn:aws:s3:::${a.logArchiveBucket}`;
    return doc(
        { Sid: "ReadSloMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], Resource: "*" },
        // PutMetricData has no resource ARN; the namespace condition is how IAM scopes it.
        { Sid: "PublishRollup", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": BACKUP_SLO_NAMESPACE } } },
        { Sid: "ListAuditRecords", Effect: "Allow", Action: "s3:ListBucket", Resource: a.tier3BucketArn, Condition: { StringLike: { "s3:prefix": [`${a.auditPrefix}/*`] } } },
        { Sid: "ReadAuditRecords", Effect: "Allow", Action: "s3:GetObject", Resource: `${a.tier3BucketArn}/${a.auditPrefix}/*` },
        { Sid: "DecryptAuditRecords", Effect: "Allow", Action: "kms:Decrypt", Resource: a.tier3KeyArn },
        { Sid: "WriteAuditReports", Effect: "Allow", Action: "s3:PutObject", Resource: `${logArchiveArn}/${a.outputPrefix}/*` },
        // The archive's key is used only through S3, only for the reports' keys.
        {
            Sid: "EncryptAuditReports",
            Effect: "Allow",
            Action: "kms:GenerateDataKey",
            Resource: "*",
            Condition: { StringEquals: { "kms:ViaService": `s3.${a.logArchiveRegion}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:aws:s3:arn": `${logArchiveArn}/${a.outputPrefix}/*` } },
        },
        // The backup service account trusts this role: it must never be able to destroy a backup.
        { Sid: "NeverDestroyBackups", Effect: "Deny", Action: [...DESTRUCTIVE_S3_ACTIONS, ...DESTRUCTIVE_KMS_ACTIONS], Resource: "*" },
    );
}

export function declareSlo(
    config: FortressConfig,
    providers: Providers,
    cluster: k8s.Provider,
    storage: StorageOutputs,
    detection: DetectionOutputs,
    logArchive: LogsOutputs,
    verificationAlarms: readonly (AlarmSpec & { readonly region: string })[],
): SloOutputs {
    const dr = config.regions.dr;
    if (detection.monitoringRegion !== dr || detection.alertTopicArns[dr] === undefined) {
        throw new Error(`slo step: the dashboard and SLO alarms live in the monitoring region ${detection.monitoringRegion}, which must be the DR region (${dr}) with an alert topic`);
    }
    const s = config.slo;
    const targets = {
        backupCompletionPercent: s.backupCompletionPercent,
        windowAdherencePercent: s.windowAdherencePercent,
        recoverySuccessPercent: s.recoverySuccessPercent,
        verifySuccessPercent: s.verifySuccessPercent,
        windowDays: s.windowDays,
    };
    const slo = sloAlarms(targets);
    const alarms = new SloAlarms("slo-alarms", { alarms: slo, namePrefix: detection.alarmNamePrefix, topicArn: detection.alertTopicArns[dr] }, { provider: providers.aws.dr });

    // The standby's lag alarm belongs to the DR stack; its metric is graphed here all the same.
    const standby = { ...standbyLagAlarm(PG_CLUSTER_NAME, config.objectives.dataClasses.database.rpoSeconds), region: dr };
    const dashboardName = `${detection.alarmNamePrefix}-dr`;
    new DrDashboard(
        "dr-dashboard",
        { dashboardName, environment: config.environment, region: dr, alarms: [...detection.alarms, ...verificationAlarms, standby], slo: { alarms: slo, targets } },
        { provider: providers.aws.dr },
    );

    // The audit and rollup jobs: their own role, trusted by the backup service account.
    const ns = config.kubernetes.namespace;
    const tier3 = storage.tiers.tier3;
    const role = new IrsaRole(
        "backup-audit",
        {
            description: `Fortress DR: backup SLO rollup and weekly backup audit (metrics in ${dr}, reports to the log archive)`,
            accountId: storage.accountId,
            oidcIssuer: config.kubernetes.oidcProvider!,
            namespace: ns,
            serviceAccounts: [BACKUP_JOB_SERVICE_ACCOUNT],
            maxSessionDuration: null,
            policyName: "backup-audit",
            policy: pulumi.all([logArchive.bucketName, tier3.bucketArn, tier3.kmsKeyArn]).apply(([logArchiveBucket, tier3BucketArn, tier3KeyArn]) =>
                JSON.stringify(auditPolicy({ logArchiveBucket, tier3BucketArn, tier3KeyArn, auditPrefix: `${CLI_AUDIT_PREFIX}/${pulumi.getStack()}`, outputPrefix: AUDIT_OUTPUT_PREFIX, logArchiveRegion: config.regions.primary })),
            ),
        },
        { provider: providers.aws.primary },
    );
    new BackupAudit(
        "backup-audit",
        {
            namespace: ns,
            jobImage: config.jobImage,
            serviceAccountName: BACKUP_JOB_SERVICE_ACCOUNT,
            roleArn: role.arn,
            metricsRegion: dr,
            logArchive: { bucket: logArchive.bucketName, region: config.regions.primary },
            auditRecords: { bucket: tier3.bucketName, prefix: `${CLI_AUDIT_PREFIX}/${pulumi.getStack()}` },
            auditSchedule: s.auditSchedule,
            auditDays: s.auditDays,
            rollupSchedule: s.rollupSchedule,
            windowDays: s.windowDays,
        },
        { provider: cluster },
    );
    return { dashboardName, sloAlarmArns: alarms.alarmArns };
}

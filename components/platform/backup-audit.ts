/**
 * The jobs that measure the backup SLOs: a daily rollup (jobs/backup-slo-rollup.sh) that sums
 * the runs of the SLO window for the metric-math alarms, and the weekly backup audit
 * (jobs/backup-audit.sh) that writes every backup, verify and backup-age run of the week, with
 * the `fortress` CLI's audit records of those days, to the log archive. Schedules from the
 * stack config (`slo`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { maxIntervalSeconds } from "../core/cron";
import { BACKUP_SLO_NAMESPACE, ROLLUP_PURPOSES } from "../detection/slo";
import { JOBS_DIR } from "./backup-job";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, jobPodBasics, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

export interface BackupAuditArgs {
    readonly namespace: string;
    readonly jobImage: string;
    readonly serviceAccountName: string;
    /** The audit role (IRSA): CloudWatch GetMetricData/ListMetrics/PutMetricData, read of the audit records, write of the report. */
    readonly roleArn: pulumi.Input<string>;
    /** Where the SLO metrics are (the monitoring region). */
    readonly metricsRegion: string;
    /** The log archive bucket and its region: the reports go there. */
    readonly logArchive: { readonly bucket: pulumi.Input<string>; readonly region: string };
    /** The CLI's audit records (tier-3 bucket, `fortress-audit/<stack>/`). @default none */
    readonly auditRecords?: { readonly bucket: pulumi.Input<string>; readonly prefix: string };
    /** Cron of the weekly audit (UTC). */
    readonly auditSchedule: string;
    /** Days each audit covers. */
    readonly auditDays: number;
    /** Cron of the daily rollup (UTC). */
    readonly rollupSchedule: string;
    /** The SLO window in days. */
    readonly windowDays: number;
    /** Key prefix of the reports in the log archive. @default "backup-audit" */
    readonly outputPrefix?: string;
}

/** Key prefix of the weekly reports in the log archive. */
export const AUDIT_OUTPUT_PREFIX = "backup-audit";

export function validateBackupAuditArgs(name: string, a: BackupAuditArgs): void {
    const problems: string[] = [];
    const gap = (what: string, c: string) => {
        try {
            return maxIntervalSeconds(c);
        } catch (e) {
            problems.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        }
    };
    const audit = gap("auditSchedule", a.auditSchedule);
    if (audit !== undefined && audit > a.auditDays * 86_400) problems.push(`auditDays ${a.auditDays}: shorter than the ${audit / 86_400} days between audits; runs in between would be in no report`);
    const rollup = gap("rollupSchedule", a.rollupSchedule);
    if (rollup !== undefined && rollup > 86_400) problems.push(`rollupSchedule "${a.rollupSchedule}": run it at least daily; the SLO alarms read one datapoint a day`);
    if (problems.length) throw new Error(`BackupAudit ${name}:\n  - ${problems.join("\n  - ")}`);
}

export class BackupAudit extends pulumi.ComponentResource {
    public readonly auditCronJob: k8s.batch.v1.CronJob;
    public readonly rollupCronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: BackupAuditArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:platform:BackupAudit", name, {}, opts);
        validateBackupAuditArgs(name, args);
        const job = (id: string, schedule: string, script: string, deadline: number, env: { name: string; value: pulumi.Input<string> }[]) =>
            new k8s.batch.v1.CronJob(
                `${name}-${id}`,
                {
                    metadata: { name: `fortress-${id}`, namespace: args.namespace, labels: { "app.kubernetes.io/name": `fortress-${id}`, "app.kubernetes.io/part-of": "fortress-dr" } },
                    spec: {
                        schedule,
                        timeZone: "Etc/UTC",
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 3600,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        jobTemplate: {
                            spec: {
                                backoffLimit: 2,
                                activeDeadlineSeconds: deadline,
                                ttlSecondsAfterFinished: 7 * 86_400,
                                template: {
                                    spec: {
                                        ...jobPodBasics(args.serviceAccountName),
                                        containers: [
                                            {
                                                name: id,
                                                image: args.jobImage,
                                                command: [`${JOBS_DIR}/${script}`],
                                                env: [
                                                    { name: "CLOUDWATCH_REGION", value: args.metricsRegion },
                                                    { name: "SLO_NAMESPACE", value: BACKUP_SLO_NAMESPACE },
                                                    ...awsRoleEnv(args.roleArn),
                                                    { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
                                                    ...env,
                                                ],
                                                resources: containerResources("50m", "128Mi", "512Mi"),
                                                securityContext: restrictedContainerSecurity(),
                                                volumeMounts: [
                                                    awsTokenMount(),
                                                    scratchMount(),
                                                ],
                                            },
                                        ],
                                        volumes: [
                                            awsTokenVolume(),
                                            scratchVolume(),
                                        ],
                                    },
                                },
                            },
                        },
                    },
                },
                { parent: this },
            );
        this.rollupCronJob = job("backup-slo-rollup", args.rollupSchedule, "backup-slo-rollup.sh", 1800, [
            { name: "AWS_REGION", value: args.metricsRegion },
            { name: "SLO_WINDOW_DAYS", value: String(args.windowDays) },
            { name: "SLO_PURPOSES", value: ROLLUP_PURPOSES.join(" ") },
        ]);
        this.auditCronJob = job("backup-audit", args.auditSchedule, "backup-audit.sh", 3600, [
            { name: "AWS_REGION", value: args.logArchive.region },
            { name: "LOG_ARCHIVE_BUCKET", value: args.logArchive.bucket },
            { name: "AUDIT_OUTPUT_PREFIX", value: args.outputPrefix ?? AUDIT_OUTPUT_PREFIX },
            { name: "AUDIT_DAYS", value: String(args.auditDays) },
            ...(args.auditRecords
                ? [
                      { name: "AUDIT_RECORDS_BUCKET", value: args.auditRecords.bucket },
                      { name: "AUDIT_RECORDS_PREFIX", value: args.auditRecords.prefix },
                  ]
                : []),
        ]);
        this.registerOutputs({});
    }
}

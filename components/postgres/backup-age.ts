/**
 * The age of the newest database backup in each S3 repo, published where the detection step's
 * backup-age alarms look (`Fortress/Backups NewestBackupAgeSeconds`, DataClass=database,
 * Tier=tierN). pgBackRest writes a backup's `backup.manifest` last, when the backup is
 * complete, so the newest manifest's LastModified is the newest usable backup of any type; the
 * job image's S3 helper reads it with the verifier role (read-only) — no pgBackRest needed.
 *
 * repo1 (tier 1) is a volume on the operator's repo host, not S3: this job cannot see it
 * (docs/postgres.md, "Where the proof stops").
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { maxIntervalSeconds } from "../core/cron";
import { fortressLabels } from "../core/names";
import { BACKUP_AGE_METRIC } from "../detection/metrics";
import { JOBS_DIR } from "../platform/backup-job";
import { SLO_RUNNER_SCRIPT, backupWindowSeconds, sloRunEnv } from "../detection/slo";
import { PgBackRestSettings } from "./pgbackrest";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, jobPodBasics, restrictedContainerSecurity } from "../core/pod-spec";

/** Often enough that each alarm window sees several datapoints: a sixth of the shortest gap, at least every 5 minutes. */
export function backupAgeSchedule(settings: PgBackRestSettings): string {
    const gaps = settings.repos
        .filter((r) => r.location.kind === "s3")
        .map((r) => Math.min(...Object.values(r.schedules).map((c) => maxIntervalSeconds(c))));
    const minutes = Math.max(5, Math.min(60, Math.floor(Math.min(...gaps) / 6 / 60)));
    return minutes === 60 ? "0 * * * *" : `*/${minutes} * * * *`;
}

/**
 * One command per S3 repo: the job image's helper publishes the newest backup.manifest's age.
 * The drill runs the same commands against its S3 endpoint.
 */
export function backupAgeCommands(settings: PgBackRestSettings, stanza: string, jobsDir: string): string[] {
    return settings.repos.flatMap((r) => {
        const loc = r.location;
        if (loc.kind !== "s3") return [];
        if (loc.path === undefined) throw new Error(`backup age: ${r.name} has no path; give its location a path (s3RepoPath)`);
        const prefix = `${loc.path.replace(/^\//, "")}/backup/${stanza}/`;
        return [`AWS_REGION=${loc.region} python3 ${jobsDir}/lib/s3.py publish-object-age ${loc.bucket} ${prefix} backup.manifest ${BACKUP_AGE_METRIC.namespace} ${BACKUP_AGE_METRIC.metricName} DataClass=database Tier=${r.tier}`];
    });
}

export interface BackupAgeReporterArgs {
    readonly clusterName: string;
    readonly namespace: string;
    readonly settings: PgBackRestSettings;
    readonly stanza: string;
    readonly jobImage: string;
    readonly serviceAccountName: string;
    readonly verifierRoleArn: pulumi.Input<string>;
    readonly metricsRegion: string;
}

export class BackupAgeReporter extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: BackupAgeReporterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:BackupAgeReporter", name, {}, opts);
        const lines = backupAgeCommands(args.settings, args.stanza, JOBS_DIR).map((c) => `${c} || failed=1`);
        if (lines.length === 0) throw new Error(`BackupAgeReporter ${name}: no S3 repo in the settings; there is nothing this job can read`);
        this.cronJob = new k8s.batch.v1.CronJob(
            name,
            {
                metadata: { name: `${args.clusterName}-backup-age`, namespace: args.namespace, labels: fortressLabels({ dataClass: "database", purpose: "backup-age" }) },
                spec: {
                    schedule: backupAgeSchedule(args.settings),
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 1,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 0,
                            activeDeadlineSeconds: 240,
                            template: {
                                spec: {
                                    ...jobPodBasics(args.serviceAccountName),
                                    containers: [
                                        {
                                            name: "publish",
                                            image: args.jobImage,
                                            // Through the SLO wrapper (jobs/lib/slo-run.sh): each run is published.
                                            command: [`${JOBS_DIR}/${SLO_RUNNER_SCRIPT}`, "bash", "-c", ["failed=0", ...lines, "exit $failed"].join("\n")],
                                            env: [
                                                { name: "CLOUDWATCH_REGION", value: args.metricsRegion },
                                                ...sloRunEnv({
                                                    dataClass: "database",
                                                    tier: args.settings.repos.filter((r) => r.location.kind === "s3").map((r) => r.tier).join("+"),
                                                    purpose: "backup-age",
                                                    windowSeconds: backupWindowSeconds(backupAgeSchedule(args.settings), 240),
                                                }),
                                                ...awsRoleEnv(args.verifierRoleArn),
                                            ],
                                            resources: containerResources("50m", "128Mi", "256Mi"),
                                            securityContext: restrictedContainerSecurity(),
                                            volumeMounts: [awsTokenMount()],
                                        },
                                    ],
                                    volumes: [awsTokenVolume()],
                                },
                            },
                        },
                    },
                },
            },
            { parent: this },
        );
        this.registerOutputs({ schedule: this.cronJob.spec.schedule });
    }
}

/**
 * Daily backup verification: `pgbackrest verify` and `info` on the S3 repos and a restore
 * test, by the script the drill runs too (verify-script.ts), then one CloudWatch datapoint per
 * result and alarms on them. The job reads with the verifier role (tier 2 and 3 reader
 * policies); it never writes to a repo.
 *
 * repo1 is a volume mounted by the operator's repo host only (ReadWriteOnce), so this job
 * cannot read it; its verification runs where it lives (docs/postgres.md, "Verification").
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CronError, maxIntervalSeconds, parseCron } from "../core/cron";
import { fortressLabels } from "../core/names";
import type { PgRepoSchedule, TierId } from "../../config";
import type { AlarmSpec } from "../detection/metrics";
import { JOBS_DIR } from "../platform/backup-job";
import { SLO_RUNNER_SCRIPT, backupWindowSeconds, sloRunEnv } from "../detection/slo";
import { PgBackRestSettings, toIni } from "./pgbackrest";
import { VERIFY_METRICS, verificationScript } from "./verify-script";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, jobPodBasics, restrictedContainerSecurity } from "../core/pod-spec";

/** uid/gid of the postgres user in the Percona PostgreSQL image. */
const POSTGRES_UID = 26;

export const VERIFY_METRIC_NAMESPACE = "Fortress/Postgres";

/**
 * Daily, one hour after the last daily full backup of any tier starts: each run then checks
 * that day's fulls. A config without a daily full gets 03:00 UTC.
 */
export function verificationSchedule(schedules: Readonly<Record<TierId, PgRepoSchedule>>): string {
    let latest: number | undefined;
    for (const s of Object.values(schedules)) {
        let cron;
        try {
            cron = parseCron(s.full);
            if (maxIntervalSeconds(cron) !== 86_400) continue;
        } catch (e) {
            if (e instanceof CronError) throw new Error(`tiers.database: ${e.message}`);
            throw e;
        }
        const start = Math.max(...cron.hours) * 60 + Math.max(...cron.minutes);
        latest = Math.max(latest ?? 0, start);
    }
    const at = ((latest ?? 120) + 60) % 1440;
    return `${at % 60} ${Math.floor(at / 60)} * * *`;
}

/** The alarms on the job's results: any 0, or a day without a result, is a failure. */
export function verificationAlarms(clusterName: string, repos: readonly number[], restoreRepo: number): AlarmSpec[] {
    const alarm = (metric: string, repo: number, what: string): AlarmSpec => ({
        name: `pg-${metric.replace(/[A-Z]/g, (c, i) => (i ? "-" : "") + c.toLowerCase())}-repo${repo}`,
        // The job publishes to the monitoring region (the DR region), where the alert topic is.
        home: "dr",
        description: `PostgreSQL ${clusterName} repo${repo}: ${what} failed, or no result in a day (the verification job runs daily)`,
        namespace: VERIFY_METRIC_NAMESPACE,
        metricName: metric,
        dimensions: { Cluster: clusterName, Repo: `repo${repo}` },
        statistic: "Minimum",
        periodSeconds: 86_400,
        evaluationPeriods: 1,
        threshold: 1,
        comparison: "LessThanThreshold",
        treatMissingData: "breaching",
    });
    return [
        ...repos.flatMap((r) => [alarm(VERIFY_METRICS.verifyOk, r, "pgbackrest verify"), alarm(VERIFY_METRICS.infoOk, r, "pgbackrest info status")]),
        alarm(VERIFY_METRICS.restoreOk, restoreRepo, "the restore test"),
    ];
}

/** Where the Percona PostgreSQL images keep the server binaries of a major: /usr/pgsql-<major>/bin. */
export function perconaPgBin(postgresVersion: number): string {
    if (!Number.isInteger(postgresVersion) || postgresVersion < 10) throw new Error(`postgresVersion ${postgresVersion}: give the PostgreSQL major of the image, e.g. config postgres.postgresVersion`);
    return `/usr/pgsql-${postgresVersion}/bin`;
}

export interface BackupVerificationArgs {
    readonly clusterName: string;
    readonly namespace: string;
    readonly schedule: string;
    readonly settings: PgBackRestSettings;
    readonly stanza: string;
    /** Secret with the cipher passphrases (the cluster's conf.d file). */
    readonly cipherSecretName: string;
    /** The PostgreSQL image of the cluster (it carries pgbackrest and the server binaries). */
    readonly postgresImage: string;
    /** The PostgreSQL major of that image (the stack's config postgres.postgresVersion). */
    readonly postgresVersion: number;
    /** PostgreSQL binaries in that image. @default perconaPgBin(postgresVersion) */
    readonly pgBin?: string;
    /** The backup-job image (jobs/Dockerfile): publishes the results to CloudWatch. */
    readonly jobImage: string;
    readonly serviceAccountName: string;
    readonly verifierRoleArn: pulumi.Input<string>;
    /** Region of the CloudWatch metrics (the monitoring region, where the alarms are). */
    readonly metricsRegion: string;
    /** Volume for the restored copy: the cluster's storage class and data size. */
    readonly scratch: { readonly storageClass: string; readonly size: string };
    /** The repo restored by the test. @default 2 */
    readonly restoreRepo?: number;
}

/** Where the verify step writes its results, one `metric repo value` line each, for the publisher. */
const RESULTS_FILE = "/results/verify.txt";

export class BackupVerification extends pulumi.ComponentResource {
    public readonly cronJob: k8s.batch.v1.CronJob;

    constructor(name: string, args: BackupVerificationArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:BackupVerification", name, {}, opts);
        const restoreRepo = args.restoreRepo ?? 2;
        const s3Repos = args.settings.repos.filter((r) => r.location.kind === "s3");
        if (!s3Repos.some((r) => r.index === restoreRepo)) {
            throw new Error(`BackupVerification ${name}: restoreRepo ${restoreRepo} is not an S3 repo this job can read; use one of ${s3Repos.map((r) => r.index).join(", ")}`);
        }
        const files = new k8s.core.v1.ConfigMap(
            `${name}-files`,
            {
                metadata: { name: `${args.clusterName}-verify`, namespace: args.namespace, labels: fortressLabels({ dataClass: "database", purpose: "verify" }) },
                data: { "verify-backups.sh": verificationScript(), "pgbackrest.conf": verificationPgbackrestConf(name, args.settings, s3Repos) },
            },
            { parent: this },
        );
        this.cronJob = new k8s.batch.v1.CronJob(
            name,
            {
                metadata: { name: `${args.clusterName}-verify`, namespace: args.namespace },
                spec: {
                    schedule: args.schedule,
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 0,
                            activeDeadlineSeconds: VERIFY_DEADLINE_SECONDS,
                            template: {
                                spec: {
                                    ...jobPodBasics(args.serviceAccountName, { uid: POSTGRES_UID, fsGroup: true }),
                                    initContainers: [verifyContainer(args, s3Repos, restoreRepo)],
                                    containers: [publishContainer(args, s3Repos)],
                                    volumes: verificationVolumes(args),
                                },
                            },
                        },
                    },
                },
            },
            { parent: this, dependsOn: [files] },
        );
        this.registerOutputs({ schedule: args.schedule });
    }
}

const VERIFY_DEADLINE_SECONDS = 6 * 3600;

type S3Repo = PgBackRestSettings["repos"][number];

/**
 * The job's own pgbackrest.conf: the rendered options of the S3 repos (locations, IRSA key
 * type, cipher type), the same settings the cluster runs with; logs, locks and spool in /tmp.
 */
export function verificationPgbackrestConf(name: string, settings: PgBackRestSettings, s3Repos: readonly S3Repo[]): string {
    const global: Record<string, string> = { "log-path": "/tmp", "lock-path": "/tmp", "spool-path": "/tmp" };
    for (const [k, v] of Object.entries(settings.options)) {
        const m = /^(repo\d+)-/.exec(k);
        if (m === null || s3Repos.some((r) => r.name === m[1])) global[k] = v;
    }
    for (const r of s3Repos) {
        if (global[`${r.name}-path`] === undefined) throw new Error(`BackupVerification ${name}: ${r.name} has no path in the rendered settings; give its location a path (s3RepoPath)`);
    }
    return toIni({ global });
}

/** Publishes each result line as a metric; fails (and so the SLO run) unless every check is 1. */
function publishResultsScript(clusterName: string): string {
    return [
        "set -u",
        `failed=0`,
        `while read -r metric repo value; do`,
        `  case "$metric" in *Seconds) unit=Seconds ;; *) unit=Count ;; esac`,
        `  python3 ${JOBS_DIR}/lib/s3.py put-metric ${VERIFY_METRIC_NAMESPACE} "$metric" "$value" "$unit" Cluster=${clusterName} Repo="repo$repo" || failed=1`,
        `  [ "$unit" = Count ] && [ "$value" != 1 ] && failed=1`,
        `done < ${RESULTS_FILE}`,
        `[ -s ${RESULTS_FILE} ] || { echo "no verification results: the verify step did not run" >&2; exit 1; }`,
        `exit $failed`,
    ].join("\n");
}

/** `pgbackrest verify` of every S3 repo and a restore test from `restoreRepo`, in the PostgreSQL image. */
function verifyContainer(args: BackupVerificationArgs, s3Repos: readonly S3Repo[], restoreRepo: number) {
    return {
        name: "verify",
        image: args.postgresImage,
        // Always exits 0 so the results are published; the publisher fails the job.
        command: ["bash", "-c", "bash /fortress/verify-backups.sh || true"],
        env: [
            { name: "STANZA", value: args.stanza },
            { name: "REPOS", value: s3Repos.map((r) => r.index).join(" ") },
            { name: "RESTORE_REPO", value: String(restoreRepo) },
            { name: "RESULTS", value: RESULTS_FILE },
            { name: "SCRATCH", value: "/scratch" },
            { name: "PG_BIN", value: args.pgBin ?? perconaPgBin(args.postgresVersion) },
            { name: "PGBR_ARGS", value: "--config=/fortress/pgbackrest.conf --config-include-path=/etc/pgbackrest/conf.d" },
            ...awsRoleEnv(args.verifierRoleArn),
        ],
        resources: containerResources("500m", "1Gi", "4Gi"),
        securityContext: restrictedContainerSecurity({ readOnlyRootFilesystem: false }),
        volumeMounts: [
            { name: "files", mountPath: "/fortress", readOnly: true },
            { name: "cipher", mountPath: "/etc/pgbackrest/conf.d", readOnly: true },
            awsTokenMount(),
            { name: "scratch", mountPath: "/scratch" },
            { name: "results", mountPath: "/results" },
        ],
    };
}

/** Publishes the results through the SLO wrapper: the run counts as passed only if every result is 1. */
function publishContainer(args: BackupVerificationArgs, s3Repos: readonly S3Repo[]) {
    return {
        name: "publish",
        image: args.jobImage,
        command: [`${JOBS_DIR}/${SLO_RUNNER_SCRIPT}`, "bash", "-c", publishResultsScript(args.clusterName)],
        env: [
            { name: "AWS_REGION", value: args.metricsRegion },
            { name: "CLOUDWATCH_REGION", value: args.metricsRegion },
            ...sloRunEnv({ dataClass: "database", tier: s3Repos.map((r) => r.tier).join("+"), purpose: "verify", windowSeconds: backupWindowSeconds(args.schedule, VERIFY_DEADLINE_SECONDS) }),
            ...awsRoleEnv(args.verifierRoleArn),
        ],
        resources: containerResources("50m", "128Mi", "256Mi"),
        securityContext: restrictedContainerSecurity(),
        volumeMounts: [awsTokenMount(), { name: "results", mountPath: "/results", readOnly: true }],
    };
}

function verificationVolumes(args: BackupVerificationArgs) {
    return [
        { name: "files", configMap: { name: `${args.clusterName}-verify`, defaultMode: 0o555 } },
        { name: "cipher", secret: { secretName: args.cipherSecretName, defaultMode: 0o440 } },
        awsTokenVolume(),
        // The restore test needs room for the database: a volume of its size, gone with the pod.
        {
            name: "scratch",
            ephemeral: {
                volumeClaimTemplate: {
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.scratch.storageClass, resources: { requests: { storage: args.scratch.size } } },
                },
            },
        },
        { name: "results", emptyDir: {} },
    ];
}

/**
 * The DR standby's replay-lag publisher: a Deployment in the DR region's cluster running
 * jobs/pg-standby-lag-publisher.sh, which reads the lag on the standby every 20 s and publishes
 * Fortress/Database StandbyReplayLagSeconds and StandbyReplayLagBytes {Cluster} — the metric the
 * DR stack's standby-lag alarm and the DR dashboard read (the names are rendered into its env
 * from components/detection/metrics.ts, the constants the alarm is built from).
 *
 * Why a Deployment and not a CronJob every minute: the alarm reads 60 s periods, two of them,
 * and treats a missing value as breaching. A CronJob fires at most once a minute and each run
 * waits for a pod to be scheduled and started, so one late start leaves a period empty and
 * pages; the loop publishes three times a period. Two replicas (the alarm takes the maximum)
 * and a PodDisruptionBudget keep one publishing through a drain or a crash — the Redis lag
 * publisher's reasons, the same pattern.
 *
 * How it reads the standby without a password: as the operator's replication user
 * (`_crunchyrepl`) with the replication client certificate both regions share (the
 * `<cluster>-replication-cert` Secret the DR stack writes), verify-full against the server
 * certificate, whose names include `<cluster>-primary.<namespace>.svc` — in a standby cluster
 * that Service points at the standby leader. The operator's mandatory pg_hba rules let that
 * user into the `postgres` database by certificate (`hostssl postgres _crunchyrepl all cert`,
 * kept for pg_rewind); the functions read need no privilege. The operator's pguser Secrets
 * cannot be used: a standby replays the primary's roles, so a password the DR operator generated
 * does not match. (Not proven on a cluster here: no Kubernetes API server; the script itself is
 * tested against a real primary/standby pair, test/jobs/pg-standby-lag.test.ts.)
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { fortressLabels } from "../core/names";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { STANDBY_LAG_BYTES_METRIC, STANDBY_LAG_METRIC } from "../detection/metrics";
import { JOBS_DIR } from "../platform/backup-job";
import { IrsaRole } from "../core/irsa-role";
import { containerResources, heartbeatProbe, JOB_UID, nonRootPodSecurity, restrictedContainerSecurity } from "../core/pod-spec";
import { REPLICATION_USER, tlsSecretNames } from "./replication-tls";

/** The publisher's script in the job image (jobs/ is copied to JOBS_DIR). */
export const STANDBY_LAG_SCRIPT = "pg-standby-lag-publisher.sh";
/** Seconds between publishes: three per 60 s alarm period. */
export const STANDBY_LAG_INTERVAL_SECONDS = 20;

export interface StandbyLagEnvInput {
    readonly clusterName: string;
    readonly namespace: string;
    /** The monitoring (DR) region: where the alarm reads the metric. */
    readonly metricsRegion: string;
    /** Where the replication certificate is mounted. */
    readonly certDir: string;
}

/** The script's environment: the standby to read and the metric names the alarm and dashboard read. */
export function standbyLagPublisherEnv(e: StandbyLagEnvInput): { name: string; value: string }[] {
    return [
        // In a standby cluster the operator's -primary Service points at the standby leader.
        { name: "PGHOST", value: `${e.clusterName}-primary.${e.namespace}.svc` },
        { name: "PGPORT", value: "5432" },
        { name: "PGUSER", value: REPLICATION_USER },
        { name: "PGDATABASE", value: "postgres" },
        { name: "PGSSLMODE", value: "verify-full" },
        { name: "PGSSLROOTCERT", value: `${e.certDir}/ca.crt` },
        { name: "PGSSLCERT", value: `${e.certDir}/tls.crt` },
        { name: "PGSSLKEY", value: `${e.certDir}/tls.key` },
        { name: "CLUSTER_NAME", value: e.clusterName },
        { name: "METRIC_NAMESPACE", value: STANDBY_LAG_METRIC.namespace },
        { name: "LAG_SECONDS_METRIC", value: STANDBY_LAG_METRIC.metricName },
        { name: "LAG_BYTES_METRIC", value: STANDBY_LAG_BYTES_METRIC.metricName },
        { name: "AWS_REGION", value: e.metricsRegion },
        { name: "CLOUDWATCH_REGION", value: e.metricsRegion },
        { name: "PUBLISH_INTERVAL_SECONDS", value: String(STANDBY_LAG_INTERVAL_SECONDS) },
        { name: "HEARTBEAT_FILE", value: "/tmp/heartbeat" },
    ];
}

/** The role's one permission: metrics in the lag's namespace. */
export function standbyLagPolicy(): object {
    return {
        Version: "2012-10-17",
        // PutMetricData has no resource ARN; the namespace condition is how IAM scopes it.
        Statement: [{ Sid: "StandbyLagMetrics", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": STANDBY_LAG_METRIC.namespace } } }],
    };
}

export interface StandbyLagPublisherArgs {
    readonly clusterName: string;
    readonly namespace: string;
    /** The backup-job image (jobs/Dockerfile): the script, psql and the AWS client. */
    readonly jobImage: string;
    readonly metricsRegion: string;
    readonly accountId: pulumi.Input<string>;
    /** The DR cluster's OIDC issuer without https:// (IRSA). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** The repo tier the standby falls back to (its fortress/tier label). */
    readonly tier: "tier1" | "tier2" | "tier3";
}

/** opts.providers must carry `aws` (IAM) and `kubernetes` (the DR cluster). */
export class StandbyLagPublisher extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: StandbyLagPublisherArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:StandbyLagPublisher", name, {}, opts);
        const appName = `${args.clusterName}-standby-lag`;
        const role = new IrsaRole(
            `${name}-role`,
            {
                description: `Fortress DR: ${appName} publishes the DR standby's replay lag (CloudWatch ${STANDBY_LAG_METRIC.namespace})`,
                accountId: args.accountId,
                oidcIssuer: args.oidcIssuer,
                namespace: args.namespace,
                serviceAccounts: [appName],
                policyName: `${name}-policy`,
                policy: JSON.stringify(standbyLagPolicy()),
            },
            { parent: this },
        );
        this.roleArn = role.arn;

        const labels = { "app.kubernetes.io/name": appName, "app.kubernetes.io/part-of": "fortress-dr", ...fortressLabels({ dataClass: "database", tier: args.tier, purpose: "lag-publisher" }) };
        const sa = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: appName, namespace: args.namespace, labels, annotations: { "eks.amazonaws.com/role-arn": role.arn } } }, { parent: this });
        const certDir = "/var/run/fortress/replication";
        // Six rounds without a heartbeat (two minutes) means the loop is hung.
        const heartbeat = heartbeatProbe(120, STANDBY_LAG_INTERVAL_SECONDS);
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name: appName, namespace: args.namespace, labels },
                spec: {
                    // Two publishers: a drain or a crash leaves the other one reporting (the alarm takes the maximum).
                    replicas: 2,
                    selector: { matchLabels: { "app.kubernetes.io/name": appName } },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: appName,
                            securityContext: nonRootPodSecurity(JOB_UID, { fsGroup: true }),
                            containers: [
                                {
                                    name: "publisher",
                                    image: args.jobImage,
                                    command: ["bash", `${JOBS_DIR}/${STANDBY_LAG_SCRIPT}`],
                                    env: [...standbyLagPublisherEnv({ clusterName: args.clusterName, namespace: args.namespace, metricsRegion: args.metricsRegion, certDir }), ...awsRoleEnv(role.arn)],
                                    startupProbe: { ...heartbeat, failureThreshold: 12 },
                                    readinessProbe: heartbeat,
                                    livenessProbe: heartbeat,
                                    resources: containerResources("10m", "64Mi", "128Mi"),
                                    securityContext: restrictedContainerSecurity(),
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, { name: "replication-cert", mountPath: certDir, readOnly: true }, awsTokenMount()],
                                },
                            ],
                            volumes: [
                                { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                                // libpq takes a root-owned key readable by the group (0440, group = fsGroup).
                                { name: "replication-cert", secret: { secretName: tlsSecretNames(args.clusterName).replicationSecretName, defaultMode: 0o440 } },
                                awsTokenVolume(),
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [sa] },
        );
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: { name: appName, namespace: args.namespace, labels }, spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": appName } } } }, { parent: this });
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

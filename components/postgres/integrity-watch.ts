/**
 * S2 detection: a one-replica Deployment running jobs/pg-integrity-watch.sh, which reads
 * pg_stat_database.checksum_failures every `intervalSeconds` and publishes an alert straight to
 * the alert topic when the count rises (plus the count as Fortress/Database ChecksumFailures).
 *
 * It needs data checksums on the cluster. The Percona operator (Crunchy PGO underneath) always
 * bootstraps new clusters with `initdb --data-checksums` (internal/patroni/config.go,
 * instanceYAML, bootstrap.initdb) — there is no CR field for it — and a pgBackRest restore
 * keeps the source's setting. The script refuses to run when `data_checksums` is off.
 *
 * It connects as the operator's default user with the Secret the operator writes for it,
 * `<cluster>-pguser-<cluster>` (keys host, port, user, password, dbname; host is the primary's
 * Service): pg_stat_database is readable by every role, so no privileged user is needed. (The
 * daily verify CronJob never connects to the server: it reads the repos with pgBackRest.)
 *
 * What it bounds: the time from the first read of a corrupted page to the alert. A page that
 * nothing reads is found by the daily `pgbackrest verify` (verification.ts), the backstop.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { fortressLabels } from "../core/names";
import { JOBS_DIR } from "../platform/backup-job";
import { IrsaRole } from "../core/irsa-role";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, heartbeatProbe, JOB_UID, nonRootPodSecurity, restrictedContainerSecurity } from "../core/pod-spec";

export const CHECKSUM_METRIC_NAMESPACE = "Fortress/Database";

export interface PgIntegrityWatchArgs {
    readonly clusterName: string;
    readonly namespace: string;
    /** The backup-job image (jobs/Dockerfile): carries the script, psql and the AWS client. */
    readonly jobImage: string;
    /** The SNS alert topic the script publishes to (detection step output, monitoring region). */
    readonly alertTopicArn: pulumi.Input<string>;
    /** Region of the CloudWatch metric (the monitoring region). */
    readonly metricsRegion: string;
    readonly accountId: pulumi.Input<string>;
    /** The cluster's OIDC issuer without https:// (IRSA). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Seconds between reads of the counters; the detection bound after the first bad read. @default 30 */
    readonly intervalSeconds?: number;
    /** Longest a round's connect and query may take. @default 10 */
    readonly queryTimeoutSeconds?: number;
    /** The operator's Secret for the connecting user. @default `${clusterName}-pguser-${clusterName}` */
    readonly pguserSecretName?: string;
}

/** The role's permissions: publish to this one topic, and metrics only in the watch's namespace. */
export function integrityWatchPolicy(topicArn: string): object {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "AlertTopic", Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
            // PutMetricData has no resource ARN; the namespace condition is how IAM scopes it.
            { Sid: "ChecksumMetric", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": CHECKSUM_METRIC_NAMESPACE } } },
        ],
    };
}

export class PgIntegrityWatch extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly roleArn: pulumi.Output<string>;

    /** opts.providers must carry `aws` (IAM) and `kubernetes` (the cluster). */
    constructor(name: string, args: PgIntegrityWatchArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:postgres:PgIntegrityWatch", name, {}, opts);
        const { interval, queryTimeout } = validateIntegrityWatchArgs(name, args);
        const appName = `${args.clusterName}-integrity-watch`;

        const role = new IrsaRole(
            `${name}-role`,
            {
                description: `Fortress DR: ${appName} publishes checksum failures (SNS alert topic, CloudWatch)`,
                accountId: args.accountId,
                oidcIssuer: args.oidcIssuer,
                namespace: args.namespace,
                serviceAccounts: [appName],
                policyName: `${name}-policy`,
                policy: pulumi.output(args.alertTopicArn).apply((t) => JSON.stringify(integrityWatchPolicy(t))),
            },
            { parent: this },
        );
        this.roleArn = role.arn;

        const labels = { "app.kubernetes.io/name": appName, "app.kubernetes.io/part-of": "fortress-dr", ...fortressLabels({ dataClass: "database", purpose: "integrity-watch" }) };
        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: appName, namespace: args.namespace, labels, annotations: { "eks.amazonaws.com/role-arn": role.arn } } },
            { parent: this },
        );
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name: appName, namespace: args.namespace, labels },
                spec: {
                    replicas: 1,
                    // Never two watches at once: each would alert the same increase.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: { "app.kubernetes.io/name": appName } },
                    template: {
                        metadata: { labels },
                        spec: {
                            serviceAccountName: appName,
                            securityContext: nonRootPodSecurity(JOB_UID),
                            containers: [watchContainer(args, role.arn, interval, queryTimeout)],
                            volumes: [
                                { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
                                awsTokenVolume(),
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [sa] },
        );
        // As for the Redis lag publisher: a drain waits for the one watch rather than leaving the
        // database unwatched unnoticed; whoever drains deletes the pod deliberately.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: { name: appName, namespace: args.namespace, labels }, spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": appName } } } },
            { parent: this },
        );
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

/** Whole seconds; a query timeout well under the interval plus a minute. */
export function validateIntegrityWatchArgs(name: string, args: PgIntegrityWatchArgs): { interval: number; queryTimeout: number } {
    const interval = args.intervalSeconds ?? 30;
    const queryTimeout = args.queryTimeoutSeconds ?? 10;
    if (!Number.isInteger(interval) || interval < 1) throw new Error(`PgIntegrityWatch ${name}: intervalSeconds ${interval}: use a whole number of seconds >= 1`);
    if (!Number.isInteger(queryTimeout) || queryTimeout < 1 || queryTimeout >= interval + 60) {
        throw new Error(`PgIntegrityWatch ${name}: queryTimeoutSeconds ${queryTimeout}: use a whole number of seconds >= 1 (and well under the interval plus a minute)`);
    }
    return { interval, queryTimeout };
}

/** The watch loop (jobs/pg-integrity-watch.sh): connects as the cluster's user, alerts on a checksum-failure increase. */
function watchContainer(args: PgIntegrityWatchArgs, roleArn: pulumi.Output<string>, interval: number, queryTimeout: number) {
    const secret = args.pguserSecretName ?? `${args.clusterName}-pguser-${args.clusterName}`;
    const fromSecret = (env: string, key: string) => ({ name: env, valueFrom: { secretKeyRef: { name: secret, key } } });
    // The loop touches the heartbeat every round; six rounds (at least two minutes) without it means it is hung.
    const heartbeat = heartbeatProbe(Math.max(120, 6 * interval), Math.min(60, interval));
    return {
        name: "watch",
        image: args.jobImage,
        command: ["bash", `${JOBS_DIR}/pg-integrity-watch.sh`],
        env: [
            fromSecret("PGHOST", "host"),
            fromSecret("PGPORT", "port"),
            fromSecret("PGUSER", "user"),
            fromSecret("PGPASSWORD", "password"),
            fromSecret("PGDATABASE", "dbname"),
            // The operator's Services present its own CA; encrypt, as every client of the cluster does.
            { name: "PGSSLMODE", value: "require" },
            { name: "CLUSTER_NAME", value: args.clusterName },
            { name: "ALERT_TOPIC_ARN", value: args.alertTopicArn },
            { name: "AWS_REGION", value: args.metricsRegion },
            { name: "CLOUDWATCH_REGION", value: args.metricsRegion },
            { name: "WATCH_INTERVAL_SECONDS", value: String(interval) },
            { name: "QUERY_TIMEOUT_SECONDS", value: String(queryTimeout) },
            { name: "HEARTBEAT_FILE", value: "/tmp/heartbeat" },
            // Explicit, as the other jobs do, so the role works without EKS's pod identity webhook.
            ...awsRoleEnv(roleArn),
        ],
        startupProbe: { ...heartbeat, failureThreshold: 12 },
        readinessProbe: heartbeat,
        livenessProbe: heartbeat,
        resources: containerResources("10m", "64Mi", "128Mi"),
        securityContext: restrictedContainerSecurity(),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, awsTokenMount()],
    };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DEFAULT_DOWN_AFTER_MILLISECONDS, redisServerConfig, sentinelConfig } from "./config";
import { ScriptNames, startRedisScript, startSentinelScript } from "./scripts";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { fnv1aHex } from "../core/hash";
import { containerResources, JOB_UID, nonRootPodSecurity, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

export interface RedisArgs {
    readonly namespace: string;
    /** Official Valkey (or Redis) image, used for the data members and the Sentinels. */
    readonly image: string;
    /** Prometheus exporter sidecar image (oliver006/redis_exporter). */
    readonly exporterImage: string;
    readonly storageClass: string;
    /** Size of each member's volume, e.g. "10Gi". */
    readonly storageSize: string;
    /** Replica-lag threshold the alert rule uses (DR plan: < 1 s). */
    readonly maxReplicaLagSeconds: number;
    /** Probe period; the DR plan's health checks run every 10 s. @default 10 */
    readonly probePeriodSeconds?: number;
    /**
     * Publishes the replicas' worst lag to CloudWatch (Fortress/Redis ReplicaLagSeconds) from
     * the job image, for the lag alarm. @default none
     */
    readonly lagPublisher?: {
        readonly jobImage: string;
        readonly clusterName: string;
        readonly metricsRegion: string;
        readonly serviceAccountName: string;
        /** A role the publisher assumes for cloudwatch:PutMetricData. */
        readonly roleArn: pulumi.Input<string>;
    };
    /**
     * Restore the first member's empty volume from the newest snapshot before it starts (the
     * DR region's rebuild). Members 1 and 2 then replicate from it; a volume that already holds
     * data is never restored over. @default none
     */
    readonly restore?: {
        readonly jobImage: string;
        readonly bucketName: pulumi.Input<string>;
        readonly region: string;
        /** Searched together; the newest snapshot under any of them is restored. */
        readonly prefixes: readonly string[];
        /** A reader role of the tier, trusted for `serviceAccountName`. */
        readonly readerRoleArn: pulumi.Input<string>;
        /** The snapshots' passphrase (the primary stack's export). */
        readonly passphrase: pulumi.Input<string>;
        /** Service account the Redis pods run under while restoring is possible. */
        readonly serviceAccountName: string;
        /** A specific snapshot instead of the newest. @default newest */
        readonly manifestKey?: string;
    };
    /** Protect the StatefulSet (its volumes hold the data) from a destroy or replacement. @default false */
    readonly protect?: boolean;
    /** Primary's name in Sentinel. @default "fortress" */
    readonly masterName?: string;
    /** Sentinel marks the primary down after this long unreachable. @default 5000 */
    readonly downAfterMilliseconds?: number;
}

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const EXPORTER_PORT = 9121;
/** One primary and two replicas; three Sentinels with a quorum of two. */
export const REDIS_MEMBERS = 3;
export const SENTINELS = 3;
export const SENTINEL_QUORUM = 2;
/** uid of the valkey user in the official image. */
const VALKEY_UID = 999;

/**
 * Redis (Valkey) as a StatefulSet of one primary and two replicas with persistent volumes,
 * AOF persistence (`appendonly yes`, `appendfsync everysec`, automatic rewrite), probes, a
 * PodDisruptionBudget, an exporter sidecar for replica lag, and a three-member Sentinel
 * StatefulSet for automatic failover.
 *
 * Clients discover the primary through the Sentinel service; the plain `<name>` service
 * reaches any member (the snapshot jobs use it: every member holds the whole data set).
 */
export class Redis extends pulumi.ComponentResource {
    /** Service reaching any member (reads, snapshots). */
    public readonly serviceName: string;
    /** Service of the Sentinels, which name the current primary. */
    public readonly sentinelServiceName: string;
    /** Secret holding the server password under `password`. */
    public readonly passwordSecretName: string;
    public readonly masterName: string;
    public readonly statefulSet: k8s.apps.v1.StatefulSet;

    constructor(name: string, args: RedisArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:redis:Redis", name, {}, opts);
        validateRedisArgs(name, args);
        const ns = args.namespace;
        const period = args.probePeriodSeconds ?? 10;
        const masterName = args.masterName ?? "fortress";
        const names: ScriptNames = {
            redisSet: name,
            redisHeadless: `${name}-headless`,
            sentinelSet: `${name}-sentinel`,
            sentinelHeadless: `${name}-sentinel-headless`,
            namespace: ns,
            masterName,
            redisPort: REDIS_PORT,
            sentinelPort: SENTINEL_PORT,
            sentinels: SENTINELS,
        };
        const redisLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "redis", "app.kubernetes.io/part-of": "fortress-dr" };
        const sentinelLabels = { ...redisLabels, "app.kubernetes.io/name": `${name}-sentinel`, "app.kubernetes.io/component": "sentinel" };
        const child = { parent: this };

        const password = new random.RandomPassword(`${name}-password`, { length: 48, special: false }, child);
        const secret = new k8s.core.v1.Secret(
            `${name}-password`,
            { metadata: { name: `${name}-password`, namespace: ns, labels: redisLabels }, stringData: { password: password.result } },
            child,
        );

        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: `${name}-config`, namespace: ns, labels: redisLabels },
                data: {
                    "redis.conf": redisServerConfig({ port: REDIS_PORT, dir: "/data" }).join("\n") + "\n",
                    "sentinel.conf":
                        sentinelConfig({
                            port: SENTINEL_PORT,
                            masterName,
                            initialPrimaryHost: `${name}-0.${names.redisHeadless}.${ns}.svc.cluster.local`,
                            redisPort: REDIS_PORT,
                            quorum: SENTINEL_QUORUM,
                            downAfterMilliseconds: args.downAfterMilliseconds ?? DEFAULT_DOWN_AFTER_MILLISECONDS,
                            failoverTimeoutMilliseconds: 60_000,
                        }).join("\n") + "\n",
                    "start-redis.sh": startRedisScript(names),
                    "start-sentinel.sh": startSentinelScript(names),
                },
            },
            child,
        );

        for (const [svc, labels, port, headless] of [
            [names.redisHeadless, redisLabels, REDIS_PORT, true],
            [name, redisLabels, REDIS_PORT, false],
            [names.sentinelHeadless, sentinelLabels, SENTINEL_PORT, true],
            [`${name}-sentinel`, sentinelLabels, SENTINEL_PORT, false],
        ] as const) {
            new k8s.core.v1.Service(
                svc,
                {
                    metadata: { name: svc, namespace: ns, labels },
                    spec: {
                        ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
                        selector: labels,
                        ports: [{ name: port === REDIS_PORT ? "redis" : "sentinel", port, targetPort: port }],
                    },
                },
                child,
            );
        }

        const passwordEnv = { name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: `${name}-password`, key: "password" } } };
        const cliAuthEnv = { name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: `${name}-password`, key: "password" } } };
        const ping = (port: number) => ({ exec: { command: ["sh", "-c", `valkey-cli -p ${port} --no-auth-warning ping | grep -q PONG`] } });
        // The architecture's probe settings: every 10 s, 5 s timeout, 3 failures.
        const probe = (port: number) => ({ ...ping(port), periodSeconds: period, timeoutSeconds: 5, failureThreshold: 3 });
        const podSecurity = nonRootPodSecurity(VALKEY_UID, { fsGroup: true });
        const containerSecurity = restrictedContainerSecurity({ readOnlyRootFilesystem: false });
        const spread = (labels: Record<string, string>) => ({
            podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } } }],
            },
        });
        const configVolume = { name: "config", configMap: { name: `${name}-config`, defaultMode: 0o555 } };

        const restore = args.restore;
        let restoreSecret: k8s.core.v1.Secret | undefined;
        if (restore) {
            if (restore.prefixes.length === 0) throw new Error(`Redis ${name}: restore.prefixes is empty; give the snapshot prefixes to search (e.g. tier2/redis, tier1/redis)`);
            restoreSecret = new k8s.core.v1.Secret(
                `${name}-restore-key`,
                { metadata: { name: `${name}-restore-key`, namespace: ns, labels: redisLabels }, stringData: { passphrase: restore.passphrase } },
                child,
            );
        }
        const restoreInit = restore && {
            name: "restore",
            image: restore.jobImage,
            command: ["sh", "-c", RESTORE_ENTRYPOINT],
            env: [
                { name: "BACKUP_BUCKET", value: restore.bucketName },
                { name: "BACKUP_PREFIX", value: restore.prefixes.map((p) => p.replace(/\/$/, "")).join(" ") },
                { name: "BACKUP_KEY_FILE", value: "/var/run/fortress/restore-key/passphrase" },
                { name: "AWS_REGION", value: restore.region },
                ...awsRoleEnv(restore.readerRoleArn),
                { name: "REDIS_DATA_DIR", value: "/data" },
                { name: "RESTORE_PORT", value: "6390" },
                ...(restore.manifestKey ? [{ name: "MANIFEST_KEY", value: restore.manifestKey }] : []),
            ],
            resources: containerResources("250m", "1Gi", "2Gi"),
            securityContext: restrictedContainerSecurity(),
            volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "restore-key", mountPath: "/var/run/fortress/restore-key", readOnly: true },
                awsTokenMount(),
                scratchMount(),
            ],
        };
        const restoreVolumes = restore
            ? [
                  { name: "restore-key", secret: { secretName: `${name}-restore-key`, defaultMode: 0o440 } },
                  awsTokenVolume(),
                  scratchVolume(),
              ]
            : [];

        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: { name, namespace: ns, labels: redisLabels },
                spec: {
                    serviceName: names.redisHeadless,
                    replicas: REDIS_MEMBERS,
                    selector: { matchLabels: redisLabels },
                    podManagementPolicy: "OrderedReady",
                    updateStrategy: { type: "RollingUpdate" },
                    template: {
                        metadata: {
                            labels: redisLabels,
                            annotations: {
                                "prometheus.io/scrape": "true",
                                "prometheus.io/port": String(EXPORTER_PORT),
                                // A rollout whenever the configuration changes.
                                "fortress/config-hash": fnv1aHex(redisServerConfig({ port: REDIS_PORT, dir: "/data" }).join("\n") + startRedisScript(names)),
                            },
                        },
                        spec: {
                            securityContext: podSecurity,
                            affinity: spread(redisLabels),
                            terminationGracePeriodSeconds: 60,
                            ...(restore ? { serviceAccountName: restore.serviceAccountName, initContainers: [restoreInit!] } : {}),
                            containers: [
                                {
                                    name: "redis",
                                    image: args.image,
                                    command: ["sh", "/etc/fortress-redis/start-redis.sh"],
                                    ports: [{ name: "redis", containerPort: REDIS_PORT }],
                                    env: [passwordEnv, cliAuthEnv],
                                    // A large AOF takes a while to load; the startup probe allows 10 minutes.
                                    startupProbe: { ...ping(REDIS_PORT), periodSeconds: period, timeoutSeconds: 5, failureThreshold: 60 },
                                    readinessProbe: probe(REDIS_PORT),
                                    livenessProbe: probe(REDIS_PORT),
                                    resources: containerResources("250m", "1Gi", "2Gi"),
                                    securityContext: containerSecurity,
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "config", mountPath: "/etc/fortress-redis" },
                                        { name: "run", mountPath: "/run/fortress" },
                                    ],
                                },
                                {
                                    name: "exporter",
                                    image: args.exporterImage,
                                    ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
                                    env: [
                                        { name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` },
                                        passwordEnv,
                                    ],
                                    readinessProbe: { httpGet: { path: "/health", port: EXPORTER_PORT }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: 3 },
                                    livenessProbe: { httpGet: { path: "/health", port: EXPORTER_PORT }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: 3 },
                                    resources: containerResources("20m", "32Mi", "128Mi"),
                                    securityContext: containerSecurity,
                                },
                            ],
                            volumes: [configVolume, { name: "run", emptyDir: {} }, ...restoreVolumes],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels: redisLabels },
                            spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClass, resources: { requests: { storage: args.storageSize } } },
                        },
                    ],
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                },
            },
            { parent: this, dependsOn: [config, secret, ...(restoreSecret ? [restoreSecret] : [])], protect: args.protect ?? false },
        );

        new k8s.apps.v1.StatefulSet(
            `${name}-sentinel`,
            {
                metadata: { name: `${name}-sentinel`, namespace: ns, labels: sentinelLabels },
                spec: {
                    serviceName: names.sentinelHeadless,
                    replicas: SENTINELS,
                    selector: { matchLabels: sentinelLabels },
                    podManagementPolicy: "Parallel",
                    template: {
                        metadata: { labels: sentinelLabels },
                        spec: {
                            securityContext: podSecurity,
                            affinity: spread(sentinelLabels),
                            containers: [
                                {
                                    name: "sentinel",
                                    image: args.image,
                                    command: ["sh", "/etc/fortress-redis/start-sentinel.sh"],
                                    ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
                                    env: [passwordEnv],
                                    readinessProbe: probe(SENTINEL_PORT),
                                    livenessProbe: probe(SENTINEL_PORT),
                                    resources: containerResources("50m", "64Mi", "128Mi"),
                                    securityContext: containerSecurity,
                                    volumeMounts: [
                                        { name: "data", mountPath: "/data" },
                                        { name: "config", mountPath: "/etc/fortress-redis" },
                                    ],
                                },
                            ],
                            volumes: [configVolume, { name: "data", emptyDir: {} }],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [config, secret, this.statefulSet] },
        );

        // The alert rules as a Prometheus rule file, for whichever Prometheus scrapes the exporters.
        new k8s.core.v1.ConfigMap(
            `${name}-alert-rules`,
            {
                metadata: { name: `${name}-alert-rules`, namespace: ns, labels: { ...redisLabels, "prometheus-rules": "true" } },
                data: { "redis-replication.rules.json": JSON.stringify({ groups: [{ name: `${name}-replication`, rules: replicaLagRules(name, args.maxReplicaLagSeconds) }] }, null, 2) },
            },
            child,
        );

        if (args.lagPublisher) {
            const lp = args.lagPublisher;
            const labels = { ...redisLabels, "app.kubernetes.io/name": `${name}-lag`, "app.kubernetes.io/component": "lag-publisher" };
            // The loop touches a heartbeat every round; older than six rounds means it is hung.
            const heartbeat = { exec: { command: ["sh", "-c", 'test $(( $(date +%s) - $(stat -c %Y /tmp/heartbeat) )) -lt 60'] }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: 3 };
            // Two publishers: a drain or a crash leaves the other one reporting (the alarm takes the maximum).
            new k8s.policy.v1.PodDisruptionBudget(`${name}-lag`, { metadata: { name: `${name}-lag`, namespace: ns, labels }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }, child);
            new k8s.apps.v1.Deployment(
                `${name}-lag`,
                {
                    metadata: { name: `${name}-lag`, namespace: ns, labels },
                    spec: {
                        replicas: 2,
                        selector: { matchLabels: labels },
                        template: {
                            metadata: { labels },
                            spec: {
                                serviceAccountName: lp.serviceAccountName,
                                securityContext: nonRootPodSecurity(JOB_UID, { fsGroup: true }),
                                containers: [
                                    {
                                        name: "publisher",
                                        image: lp.jobImage,
                                        command: ["/opt/fortress/jobs/redis-lag-publisher.sh"],
                                        // The first heartbeat is written before the first publish.
                                        startupProbe: { ...heartbeat, failureThreshold: 12 },
                                        readinessProbe: heartbeat,
                                        livenessProbe: heartbeat,
                                        env: [
                                            { name: "SENTINEL_HOST", value: `${name}-sentinel.${ns}.svc` },
                                            { name: "SENTINEL_PORT", value: String(SENTINEL_PORT) },
                                            { name: "REDIS_MASTER_NAME", value: masterName },
                                            { name: "REDIS_PASSWORD_FILE", value: "/var/run/fortress/redis/password" },
                                            { name: "CLUSTER_NAME", value: lp.clusterName },
                                            { name: "EXPECTED_REPLICAS", value: String(REDIS_MEMBERS - 1) },
                                            { name: "AWS_REGION", value: lp.metricsRegion },
                                            ...awsRoleEnv(lp.roleArn),
                                        ],
                                        resources: containerResources("20m", "64Mi", "256Mi"),
                                        securityContext: restrictedContainerSecurity(),
                                        volumeMounts: [
                                            { name: "password", mountPath: "/var/run/fortress/redis", readOnly: true },
                                            awsTokenMount(),
                                            scratchMount(),
                                        ],
                                    },
                                ],
                                volumes: [
                                    { name: "password", secret: { secretName: `${name}-password`, defaultMode: 0o440 } },
                                    awsTokenVolume(),
                                    scratchVolume(),
                                ],
                            },
                        },
                    },
                },
                { parent: this, dependsOn: [secret] },
            );
        }

        // Voluntary disruptions (node drains) keep a primary and a replica, and a Sentinel quorum.
        for (const [pdb, labels, minAvailable] of [
            [name, redisLabels, REDIS_MEMBERS - 1],
            [`${name}-sentinel`, sentinelLabels, SENTINEL_QUORUM],
        ] as const) {
            new k8s.policy.v1.PodDisruptionBudget(
                pdb,
                { metadata: { name: pdb, namespace: ns, labels }, spec: { minAvailable, selector: { matchLabels: labels } } },
                child,
            );
        }

        this.serviceName = name;
        this.sentinelServiceName = `${name}-sentinel`;
        this.passwordSecretName = `${name}-password`;
        this.masterName = masterName;
        this.registerOutputs({ serviceName: this.serviceName, sentinelServiceName: this.sentinelServiceName });
    }
}

/**
 * The restore init container's entrypoint: only the first member restores, and only onto an
 * empty volume, so a restarted pod never has its data replaced and members 1 and 2 take a
 * full sync from member 0 as ordinary replicas.
 */
export const RESTORE_ENTRYPOINT = [
    'ordinal="${HOSTNAME##*-}"',
    'if [ "$ordinal" != 0 ]; then echo "member $ordinal replicates from member 0; nothing to restore"; exit 0; fi',
    'if [ -e /data/appendonlydir ] || [ -e /data/dump.rdb ]; then echo "the volume holds data; not restoring over it"; exit 0; fi',
    "exec /opt/fortress/jobs/redis-restore.sh",
].join("\n");

/**
 * The replica-lag alert for the < 1 s objective, in PromQL over the exporter's metrics.
 * Redis reports a replica's lag in whole seconds (time since its last REPLCONF ACK, sent
 * every second), so the byte offset gap is the finer signal; both are given.
 */
export function replicaLagRules(name: string, maxLagSeconds: number): { alert: string; expr: string; for: string }[] {
    return [
        { alert: `${name}ReplicaLagSeconds`, expr: `max(redis_connected_slave_lag_seconds{pod=~"${name}-[0-9]+"}) > ${maxLagSeconds}`, for: "30s" },
        {
            alert: `${name}ReplicaOffsetGap`,
            expr: `max(redis_master_repl_offset{pod=~"${name}-[0-9]+"}) - min(redis_connected_slave_offset_bytes{pod=~"${name}-[0-9]+"}) > 1048576`,
            for: "30s",
        },
    ];
}

export function validateRedisArgs(name: string, args: RedisArgs): void {
    if (!/^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/.test(args.storageSize)) {
        throw new Error(`Redis ${name}: storageSize "${args.storageSize}" is not a Kubernetes quantity; use e.g. "10Gi"`);
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 40) {
        throw new Error(`Redis ${name}: the name must be a DNS-1123 label of at most 40 characters (it prefixes pod and service names)`);
    }
    if (!(args.maxReplicaLagSeconds > 0)) {
        throw new Error(`Redis ${name}: maxReplicaLagSeconds ${args.maxReplicaLagSeconds} must be positive`);
    }
    if (!args.image.includes(":")) {
        throw new Error(`Redis ${name}: image "${args.image}" has no tag; pin a version (e.g. valkey/valkey:8.1.3)`);
    }
}

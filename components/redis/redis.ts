import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DEFAULT_DOWN_AFTER_MILLISECONDS, redisServerConfig, sentinelConfig } from "./config";
import { declareLagPublisher } from "./lag-publisher";
import { REDIS_MEMBERS, REDIS_PORT, RedisLayout, redisLayout, SENTINEL_PORT, SENTINEL_QUORUM } from "./layout";
import { startRedisScript, startSentinelScript } from "./scripts";
import { declareSentinels } from "./sentinels";
import { declareRedisServers, RedisRestore, restoreKeySecretName } from "./servers";

export { EXPORTER_PORT, REDIS_MEMBERS, REDIS_PORT, SENTINEL_PORT, SENTINEL_QUORUM, SENTINELS } from "./layout";
export { RESTORE_ENTRYPOINT } from "./servers";

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
        const layout = redisLayout(name, args);

        const { password, config } = this.declareSettings(layout, args);
        const restoreKey = args.restore && this.declareRestoreKey(layout, args.restore);
        this.declareServices(layout);
        this.statefulSet = declareRedisServers(layout, args, { parent: this, dependsOn: [config, password, ...(restoreKey ? [restoreKey] : [])], protect: args.protect ?? false });
        declareSentinels(layout, args.image, { parent: this, dependsOn: [config, password, this.statefulSet] });
        this.declareAlertRules(layout, args.maxReplicaLagSeconds);
        if (args.lagPublisher) declareLagPublisher(layout, args.lagPublisher, { parent: this, dependsOn: [password] });
        this.declareDisruptionBudgets(layout);

        this.serviceName = name;
        this.sentinelServiceName = layout.scripts.sentinelSet;
        this.passwordSecretName = layout.passwordSecretName;
        this.masterName = layout.masterName;
        this.registerOutputs({ serviceName: this.serviceName, sentinelServiceName: this.sentinelServiceName });
    }

    /** The generated password (as a Secret) and the ConfigMap with both configs and start scripts. */
    private declareSettings(layout: RedisLayout, args: RedisArgs) {
        const { name, namespace, redisLabels } = layout;
        const child = { parent: this };
        const generated = new random.RandomPassword(`${name}-password`, { length: 48, special: false }, child);
        const password = new k8s.core.v1.Secret(
            layout.passwordSecretName,
            { metadata: { name: layout.passwordSecretName, namespace, labels: redisLabels }, stringData: { password: generated.result } },
            child,
        );
        const config = new k8s.core.v1.ConfigMap(
            layout.configMapName,
            {
                metadata: { name: layout.configMapName, namespace, labels: redisLabels },
                data: {
                    "redis.conf": redisServerConfig({ port: REDIS_PORT, dir: "/data" }).join("\n") + "\n",
                    "sentinel.conf":
                        sentinelConfig({
                            port: SENTINEL_PORT,
                            masterName: layout.masterName,
                            initialPrimaryHost: `${name}-0.${layout.scripts.redisHeadless}.${namespace}.svc.cluster.local`,
                            redisPort: REDIS_PORT,
                            quorum: SENTINEL_QUORUM,
                            downAfterMilliseconds: args.downAfterMilliseconds ?? DEFAULT_DOWN_AFTER_MILLISECONDS,
                            failoverTimeoutMilliseconds: 60_000,
                        }).join("\n") + "\n",
                    "start-redis.sh": startRedisScript(layout.scripts),
                    "start-sentinel.sh": startSentinelScript(layout.scripts),
                },
            },
            child,
        );
        return { password, config };
    }

    /** The snapshots' passphrase, for the restore init container. */
    private declareRestoreKey(layout: RedisLayout, restore: RedisRestore) {
        if (restore.prefixes.length === 0) throw new Error(`Redis ${layout.name}: restore.prefixes is empty; give the snapshot prefixes to search (e.g. tier2/redis, tier1/redis)`);
        const secretName = restoreKeySecretName(layout);
        return new k8s.core.v1.Secret(
            secretName,
            { metadata: { name: secretName, namespace: layout.namespace, labels: layout.redisLabels }, stringData: { passphrase: restore.passphrase } },
            { parent: this },
        );
    }

    /** A headless service per StatefulSet (stable member names) and one that load-balances over its members. */
    private declareServices(layout: RedisLayout) {
        const { scripts, redisLabels, sentinelLabels } = layout;
        for (const [svc, labels, port, headless] of [
            [scripts.redisHeadless, redisLabels, REDIS_PORT, true],
            [scripts.redisSet, redisLabels, REDIS_PORT, false],
            [scripts.sentinelHeadless, sentinelLabels, SENTINEL_PORT, true],
            [scripts.sentinelSet, sentinelLabels, SENTINEL_PORT, false],
        ] as const) {
            new k8s.core.v1.Service(
                svc,
                {
                    metadata: { name: svc, namespace: layout.namespace, labels },
                    spec: {
                        ...(headless ? { clusterIP: "None", publishNotReadyAddresses: true } : {}),
                        selector: labels,
                        ports: [{ name: port === REDIS_PORT ? "redis" : "sentinel", port, targetPort: port }],
                    },
                },
                { parent: this },
            );
        }
    }

    /** The alert rules as a Prometheus rule file, for whichever Prometheus scrapes the exporters. */
    private declareAlertRules(layout: RedisLayout, maxReplicaLagSeconds: number) {
        const { name } = layout;
        new k8s.core.v1.ConfigMap(
            `${name}-alert-rules`,
            {
                metadata: { name: `${name}-alert-rules`, namespace: layout.namespace, labels: { ...layout.redisLabels, "prometheus-rules": "true" } },
                data: { "redis-replication.rules.json": JSON.stringify({ groups: [{ name: `${name}-replication`, rules: replicaLagRules(name, maxReplicaLagSeconds) }] }, null, 2) },
            },
            { parent: this },
        );
    }

    /** Voluntary disruptions (node drains) keep a primary and a replica, and a Sentinel quorum. */
    private declareDisruptionBudgets(layout: RedisLayout) {
        for (const [pdb, labels, minAvailable] of [
            [layout.scripts.redisSet, layout.redisLabels, REDIS_MEMBERS - 1],
            [layout.scripts.sentinelSet, layout.sentinelLabels, SENTINEL_QUORUM],
        ] as const) {
            new k8s.policy.v1.PodDisruptionBudget(pdb, { metadata: { name: pdb, namespace: layout.namespace, labels }, spec: { minAvailable, selector: { matchLabels: labels } } }, { parent: this });
        }
    }
}

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

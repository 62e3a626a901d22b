/**
 * The Redis (Valkey) servers: a StatefulSet of one primary and two replicas with persistent
 * volumes, AOF persistence, probes and an exporter sidecar; in the DR region's rebuild, an
 * init container that restores the first member's empty volume from the newest snapshot.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { redisServerConfig } from "./config";
import { startRedisScript } from "./scripts";
import type { RedisArgs } from "./redis";
import { configVolume, EXPORTER_PORT, memberContainerBasics, memberMounts, passwordEnv, pingProbe, REDIS_MEMBERS, REDIS_PORT, RedisLayout, spreadOverNodes, valkeyContainerSecurity, valkeyPodSecurity } from "./layout";
import { fnv1aHex } from "../core/hash";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

export type RedisRestore = NonNullable<RedisArgs["restore"]>;

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

/** The Secret name of the snapshots' passphrase the restore reads. */
export const restoreKeySecretName = (layout: RedisLayout) => `${layout.name}-restore-key`;

/** The init container that fetches, checks and loads the newest snapshot (jobs/redis-restore.sh). */
export function restoreInitContainer(layout: RedisLayout, restore: RedisRestore) {
    return {
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
}

/** The volumes the restore init container needs besides the member's data volume. */
export function restoreVolumes(layout: RedisLayout) {
    return [{ name: "restore-key", secret: { secretName: restoreKeySecretName(layout), defaultMode: 0o440 } }, awsTokenVolume(), scratchVolume()];
}

/** The valkey container: AOF config from the ConfigMap, a 10-minute startup allowance for a large AOF. */
function serverContainer(layout: RedisLayout, image: string) {
    return {
        name: "redis",
        image,
        command: ["sh", "/etc/fortress-redis/start-redis.sh"],
        ports: [{ name: "redis", containerPort: REDIS_PORT }],
        env: [passwordEnv(layout), passwordEnv(layout, "REDISCLI_AUTH")],
        // A large AOF takes a while to load; the startup probe allows 10 minutes.
        startupProbe: { ...pingProbe(REDIS_PORT), periodSeconds: layout.probePeriodSeconds, timeoutSeconds: 5, failureThreshold: 60 },
        ...memberContainerBasics(layout, REDIS_PORT),
        resources: containerResources("250m", "1Gi", "2Gi"),
        volumeMounts: [...memberMounts(), { name: "run", mountPath: "/run/fortress" }],
    };
}

/** The Prometheus exporter sidecar: replica lag and offsets for the alert rules. */
function exporterContainer(layout: RedisLayout, image: string) {
    const health = { httpGet: { path: "/health", port: EXPORTER_PORT }, periodSeconds: layout.probePeriodSeconds, timeoutSeconds: 5, failureThreshold: 3 };
    return {
        name: "exporter",
        image,
        ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
        env: [{ name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` }, passwordEnv(layout)],
        readinessProbe: health,
        livenessProbe: health,
        resources: containerResources("20m", "32Mi", "128Mi"),
        securityContext: valkeyContainerSecurity(),
    };
}

/** The servers' StatefulSet; its pods roll whenever the server config or start script changes. */
export function declareRedisServers(layout: RedisLayout, args: RedisArgs, opts: pulumi.CustomResourceOptions): k8s.apps.v1.StatefulSet {
    const { name, redisLabels } = layout;
    const restore = args.restore;
    return new k8s.apps.v1.StatefulSet(
        name,
        {
            metadata: { name, namespace: layout.namespace, labels: redisLabels },
            spec: {
                serviceName: layout.scripts.redisHeadless,
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
                            "fortress/config-hash": fnv1aHex(redisServerConfig({ port: REDIS_PORT, dir: "/data" }).join("\n") + startRedisScript(layout.scripts)),
                        },
                    },
                    spec: {
                        securityContext: valkeyPodSecurity(),
                        affinity: spreadOverNodes(redisLabels),
                        terminationGracePeriodSeconds: 60,
                        ...(restore ? { serviceAccountName: restore.serviceAccountName, initContainers: [restoreInitContainer(layout, restore)] } : {}),
                        containers: [serverContainer(layout, args.image), exporterContainer(layout, args.exporterImage)],
                        volumes: [configVolume(layout), { name: "run", emptyDir: {} }, ...(restore ? restoreVolumes(layout) : [])],
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
        opts,
    );
}

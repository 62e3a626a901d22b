/**
 * What the Redis servers, the Sentinels and the lag publisher share: ports and member counts,
 * object names, labels, and the pod-spec pieces each of them repeats (password env, probes,
 * anti-affinity, the config volume, security contexts).
 */
import type { RedisArgs } from "./redis";
import type { ScriptNames } from "./scripts";
import { nonRootPodSecurity, restrictedContainerSecurity } from "../core/pod-spec";

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const EXPORTER_PORT = 9121;
/** One primary and two replicas; three Sentinels with a quorum of two. */
export const REDIS_MEMBERS = 3;
export const SENTINELS = 3;
export const SENTINEL_QUORUM = 2;
/** uid of the valkey user in the official image. */
export const VALKEY_UID = 999;

export type Labels = Readonly<Record<string, string>>;

/** The names and labels of one Redis deployment, derived from the component's name once. */
export interface RedisLayout {
    readonly name: string;
    readonly namespace: string;
    readonly masterName: string;
    /** Probe period (the DR plan's health checks run every 10 s). */
    readonly probePeriodSeconds: number;
    /** The names the start scripts use (StatefulSets, headless services, ports). */
    readonly scripts: ScriptNames;
    readonly redisLabels: Labels;
    readonly sentinelLabels: Labels;
    readonly passwordSecretName: string;
    readonly configMapName: string;
}

export function redisLayout(name: string, args: RedisArgs): RedisLayout {
    const namespace = args.namespace;
    const masterName = args.masterName ?? "fortress";
    const redisLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "redis", "app.kubernetes.io/part-of": "fortress-dr" };
    return {
        name,
        namespace,
        masterName,
        probePeriodSeconds: args.probePeriodSeconds ?? 10,
        scripts: {
            redisSet: name,
            redisHeadless: `${name}-headless`,
            sentinelSet: `${name}-sentinel`,
            sentinelHeadless: `${name}-sentinel-headless`,
            namespace,
            masterName,
            redisPort: REDIS_PORT,
            sentinelPort: SENTINEL_PORT,
            sentinels: SENTINELS,
        },
        redisLabels,
        sentinelLabels: { ...redisLabels, "app.kubernetes.io/name": `${name}-sentinel`, "app.kubernetes.io/component": "sentinel" },
        passwordSecretName: `${name}-password`,
        configMapName: `${name}-config`,
    };
}

/** `env` entry `variable` = the server password from its Secret. */
export function passwordEnv(layout: RedisLayout, variable = "REDIS_PASSWORD") {
    return { name: variable, valueFrom: { secretKeyRef: { name: layout.passwordSecretName, key: "password" } } };
}

/** An exec probe: `valkey-cli ping` on `port` answers PONG. */
export function pingProbe(port: number) {
    return { exec: { command: ["sh", "-c", `valkey-cli -p ${port} --no-auth-warning ping | grep -q PONG`] } };
}

/** The architecture's probe settings: every period (10 s), 5 s timeout, 3 failures. */
export function memberProbe(layout: RedisLayout, port: number) {
    return { ...pingProbe(port), periodSeconds: layout.probePeriodSeconds, timeoutSeconds: 5, failureThreshold: 3 };
}

/**
 * What a server's and a Sentinel's containers share, for spreading: readiness and liveness by
 * `valkey-cli ping` on the member's port, the Valkey security context.
 */
export function memberContainerBasics(layout: RedisLayout, port: number) {
    return { readinessProbe: memberProbe(layout, port), livenessProbe: memberProbe(layout, port), securityContext: valkeyContainerSecurity() };
}

/** The mounts every member has: its data volume at /data and the ConfigMap's files. */
export function memberMounts() {
    return [
        { name: "data", mountPath: "/data" },
        { name: "config", mountPath: "/etc/fortress-redis" },
    ];
}

/** Prefer one pod per node, so losing a node loses one member. */
export function spreadOverNodes(labels: Labels) {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } } }],
        },
    };
}

/** The ConfigMap with redis.conf, sentinel.conf and the start scripts, executable. */
export function configVolume(layout: RedisLayout) {
    return { name: "config", configMap: { name: layout.configMapName, defaultMode: 0o555 } };
}

/** The Valkey containers run as the image's valkey user; the volumes are writable to it. */
export const valkeyPodSecurity = () => nonRootPodSecurity(VALKEY_UID, { fsGroup: true });
/** Valkey writes under /data and /run only, but its image needs a writable root. */
export const valkeyContainerSecurity = () => restrictedContainerSecurity({ readOnlyRootFilesystem: false });

/**
 * Reading recovery mechanisms out of declared resources: health checks, failover records,
 * probes, the PostgreSQL cluster's Patroni and WAL settings, Sentinel, backup CronJobs,
 * replication. Pure functions over plain records, so the same code reads the plan's mock
 * records and the engine's resources in a policy.
 *
 * Under a real `pulumi preview` some inputs are unknown until the resource exists; the
 * policy SDK throws when one is read. `readKnown` turns that into a value the model can
 * report ("unknown until deployed") instead of aborting the whole table.
 */
import { maxIntervalSeconds } from "../core/cron";
import { LABEL_KEYS } from "../core/names";
import { K8S_PROBE_DEFAULTS, PATRONI_DEFAULTS, ROUTE53_DEFAULT_FAILURE_THRESHOLD } from "./constants";

/** One declared resource: its type token, name and inputs (props). */
export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    readonly urn?: string;
    readonly props: Record<string, any>;
    /** AWS region or cloud location, from the resource's own input or its provider. */
    readonly region?: string;
}

export const T = Object.freeze({
    bucket: "aws:s3/bucket:Bucket",
    bucketObject: "aws:s3/bucketObjectv2:BucketObjectv2",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    healthCheck: "aws:route53/healthCheck:HealthCheck",
    record: "aws:route53/record:Record",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    eksCluster: "aws:eks/cluster:Cluster",
    guardDuty: "aws:guardduty/detector:Detector",
    eventRule: "aws:cloudwatch/eventRule:EventRule",
    eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
    trail: "aws:cloudtrail/trail:Trail",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    cronJob: "kubernetes:batch/v1:CronJob",
    configMap: "kubernetes:core/v1:ConfigMap",
    pgCluster: "kubernetes:pgv2.percona.com/v2:PerconaPGCluster",
    veleroSchedule: "kubernetes:velero.io/v1:Schedule",
    helmRelease: "kubernetes:helm.sh/v3:Release",
});

/** True for the error the policy SDK throws when a preview-time unknown is read. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof Error && (e.constructor?.name === "UnknownValueError" || /can't be known during preview/.test(e.message));
}

export type Known<V> = { readonly known: true; readonly value: V } | { readonly known: false; readonly why: string };

/** Runs a read that may touch a preview-time unknown. */
export function readKnown<V>(read: () => V): Known<V> {
    try {
        return { known: true, value: read() };
    } catch (e) {
        if (isUnknownValueError(e)) return { known: false, why: (e as Error).message };
        throw e;
    }
}

const ofType = (rs: readonly DeclaredResource[], type: string) => rs.filter((r) => r.type === type);

/** Reads each resource of a type; resources with unknowns are reported apart. */
function extract<V>(rs: readonly DeclaredResource[], type: string, read: (r: DeclaredResource) => V | undefined): { found: V[]; unknown: string[] } {
    const found: V[] = [];
    const unknown: string[] = [];
    for (const r of ofType(rs, type)) {
        const k = readKnown(() => read(r));
        if (!k.known) unknown.push(`${r.type} ${r.name}: ${k.why}`);
        else if (k.value !== undefined) found.push(k.value);
    }
    return { found, unknown };
}

// ---------------------------------------------------------------------------------------------
// DNS failover

export interface HealthCheckMech {
    readonly name: string;
    readonly type: string;
    readonly intervalSeconds: number;
    readonly failureThreshold: number;
    readonly regions: readonly string[] | undefined;
    readonly fqdn?: string;
}

/** Endpoint health checks (HTTP, HTTPS, TCP and their string-match forms). */
export function healthChecks(rs: readonly DeclaredResource[]) {
    return extract<HealthCheckMech>(rs, T.healthCheck, (r) => {
        const p = r.props;
        const type = String(p.type ?? "");
        if (!/^(HTTP|HTTPS|TCP|HTTP_STR_MATCH|HTTPS_STR_MATCH)$/.test(type)) return undefined;
        return {
            name: r.name,
            type,
            intervalSeconds: typeof p.requestInterval === "number" ? p.requestInterval : 30,
            failureThreshold: typeof p.failureThreshold === "number" ? p.failureThreshold : ROUTE53_DEFAULT_FAILURE_THRESHOLD,
            regions: Array.isArray(p.regions) ? [...p.regions] : undefined,
            fqdn: typeof p.fqdn === "string" ? p.fqdn : undefined,
        };
    });
}

export interface FailoverRecordMech {
    readonly name: string;
    readonly recordName?: string;
    readonly role: "PRIMARY" | "SECONDARY";
    readonly ttlSeconds?: number;
    readonly alias: boolean;
    readonly evaluateTargetHealth: boolean;
    readonly hasHealthCheck: boolean;
}

export function failoverRecords(rs: readonly DeclaredResource[]) {
    return extract<FailoverRecordMech>(rs, T.record, (r) => {
        const p = r.props;
        const policies = Array.isArray(p.failoverRoutingPolicies) ? p.failoverRoutingPolicies : [];
        const role = policies[0]?.type;
        if (role !== "PRIMARY" && role !== "SECONDARY") return undefined;
        const aliases = Array.isArray(p.aliases) ? p.aliases : [];
        // The ID of a health check declared in the same stack is unknown during a first
        // preview: an unknown ID still means one is attached.
        const healthCheckId = readKnown(() => p.healthCheckId);
        return {
            name: r.name,
            recordName: typeof p.name === "string" ? p.name : undefined,
            role,
            ttlSeconds: typeof p.ttl === "number" ? p.ttl : undefined,
            alias: aliases.length > 0,
            evaluateTargetHealth: aliases.some((a: any) => a?.evaluateTargetHealth === true),
            hasHealthCheck: healthCheckId.known ? typeof healthCheckId.value === "string" && healthCheckId.value !== "" : true,
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Kubernetes workloads

export interface ProbeMech {
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly failureThreshold: number;
}

export interface WorkloadMech {
    readonly kind: "Deployment" | "StatefulSet";
    readonly name: string;
    readonly namespace?: string;
    readonly replicas: number;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly containers: readonly { readonly name: string; readonly readiness?: ProbeMech; readonly liveness?: ProbeMech }[];
    readonly hasVolumeClaims: boolean;
}

export function probeOf(raw: any): ProbeMech | undefined {
    if (!raw || typeof raw !== "object") return undefined;
    return {
        periodSeconds: typeof raw.periodSeconds === "number" ? raw.periodSeconds : K8S_PROBE_DEFAULTS.periodSeconds,
        timeoutSeconds: typeof raw.timeoutSeconds === "number" ? raw.timeoutSeconds : K8S_PROBE_DEFAULTS.timeoutSeconds,
        failureThreshold: typeof raw.failureThreshold === "number" ? raw.failureThreshold : K8S_PROBE_DEFAULTS.failureThreshold,
    };
}

/** Worst-case time from a failure to the probe declaring it: the failure can come just after a passing probe, and a hung endpoint makes each probe wait its timeout. */
export function probeDetectionSeconds(p: ProbeMech): number {
    return p.periodSeconds * p.failureThreshold + p.timeoutSeconds;
}

export function workloads(rs: readonly DeclaredResource[]) {
    const read = (kind: WorkloadMech["kind"]) => (r: DeclaredResource): WorkloadMech => {
        const p = r.props;
        const template = p.spec?.template ?? {};
        const containers = Array.isArray(template.spec?.containers) ? template.spec.containers : [];
        return {
            kind,
            name: String(p.metadata?.name ?? r.name),
            namespace: typeof p.metadata?.namespace === "string" ? p.metadata.namespace : undefined,
            replicas: typeof p.spec?.replicas === "number" ? p.spec.replicas : 1,
            podLabels: { ...(template.metadata?.labels ?? {}) },
            containers: containers.map((c: any) => ({ name: String(c?.name ?? "?"), readiness: probeOf(c?.readinessProbe), liveness: probeOf(c?.livenessProbe) })),
            hasVolumeClaims: Array.isArray(p.spec?.volumeClaimTemplates) && p.spec.volumeClaimTemplates.length > 0,
        };
    };
    const d = extract(rs, T.deployment, read("Deployment"));
    const s = extract(rs, T.statefulSet, read("StatefulSet"));
    return { found: [...d.found, ...s.found], unknown: [...d.unknown, ...s.unknown] };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (PerconaPGCluster)

export interface PgRepoMech {
    readonly name: string;
    readonly kind: "volume" | "s3" | "gcs" | "azure" | "unknown";
    readonly bucket?: string;
    readonly region?: string;
    readonly schedules: { readonly full?: string; readonly differential?: string; readonly incremental?: string };
}

export interface PgClusterMech {
    readonly name: string;
    readonly instances: number;
    readonly leaderLeaseSeconds: number;
    readonly syncPeriodSeconds: number;
    readonly synchronousMode: boolean;
    /** archive_timeout in seconds; undefined when not set (PostgreSQL default 0: never forced). */
    readonly archiveTimeoutSeconds?: number;
    readonly archiveTimeoutText?: string;
    readonly repos: readonly PgRepoMech[];
    readonly global: Readonly<Record<string, string>>;
    readonly standby: boolean;
}

const PG_TIME = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/;
const PG_TIME_UNIT: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600, d: 86_400 };

/** PostgreSQL time setting ("30s", "1min", 30) in seconds; the unit of archive_timeout is seconds. */
export function pgSeconds(value: unknown): number | undefined {
    if (typeof value === "number") return value;
    if (typeof value !== "string") return undefined;
    const m = PG_TIME.exec(value);
    return m ? Number(m[1]) * PG_TIME_UNIT[m[2] ?? "s"] : undefined;
}

export function pgClusters(rs: readonly DeclaredResource[]) {
    return extract<PgClusterMech>(rs, T.pgCluster, (r) => {
        const spec = r.props.spec ?? {};
        const patroni = spec.patroni ?? {};
        const dyn = patroni.dynamicConfiguration ?? {};
        const params = dyn.postgresql?.parameters ?? {};
        const instances = Array.isArray(spec.instances) ? spec.instances.reduce((n: number, i: any) => n + (typeof i?.replicas === "number" ? i.replicas : 1), 0) : 0;
        const pgb = spec.backups?.pgbackrest ?? {};
        const repos: PgRepoMech[] = (Array.isArray(pgb.repos) ? pgb.repos : []).map((repo: any) => ({
            name: String(repo?.name ?? "?"),
            kind: repo?.volume ? "volume" : repo?.s3 ? "s3" : repo?.gcs ? "gcs" : repo?.azure ? "azure" : "unknown",
            bucket: repo?.s3?.bucket ?? repo?.gcs?.bucket,
            region: repo?.s3?.region,
            schedules: { ...(repo?.schedules ?? {}) },
        }));
        const sync = dyn.synchronous_mode;
        return {
            name: String(r.props.metadata?.name ?? r.name),
            instances,
            leaderLeaseSeconds: typeof patroni.leaderLeaseDurationSeconds === "number" ? patroni.leaderLeaseDurationSeconds : PATRONI_DEFAULTS.leaderLeaseDurationSeconds,
            syncPeriodSeconds: typeof patroni.syncPeriodSeconds === "number" ? patroni.syncPeriodSeconds : PATRONI_DEFAULTS.syncPeriodSeconds,
            synchronousMode: sync === true || sync === "on" || sync === "true" || sync === "quorum",
            archiveTimeoutSeconds: pgSeconds(params.archive_timeout),
            archiveTimeoutText: params.archive_timeout === undefined ? undefined : String(params.archive_timeout),
            repos,
            global: Object.fromEntries(Object.entries(pgb.global ?? {}).map(([k, v]) => [k, String(v)])),
            standby: spec.standby?.enabled === true,
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Redis / Sentinel (their config files are rendered into ConfigMaps)

export interface RedisConfigMech {
    readonly configMap: string;
    readonly appendonly?: boolean;
    readonly appendfsync?: string;
    readonly downAfterMilliseconds?: number;
}

export function redisConfigs(rs: readonly DeclaredResource[]) {
    return extract<RedisConfigMech>(rs, T.configMap, (r) => {
        const data = r.props.data ?? {};
        const text = Object.values(data).filter((v): v is string => typeof v === "string").join("\n");
        const line = (re: RegExp) => re.exec(text)?.[1];
        const appendonly = line(/^\s*appendonly\s+(yes|no)\s*$/m);
        const appendfsync = line(/^\s*appendfsync\s+(\S+)\s*$/m);
        const downAfter = line(/^\s*sentinel\s+down-after-milliseconds\s+\S+\s+(\d+)\s*$/m);
        if (appendonly === undefined && appendfsync === undefined && downAfter === undefined) return undefined;
        return {
            configMap: String(r.props.metadata?.name ?? r.name),
            appendonly: appendonly === undefined ? undefined : appendonly === "yes",
            appendfsync,
            downAfterMilliseconds: downAfter === undefined ? undefined : Number(downAfter),
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Scheduled backup and verification jobs

/** Names of the tier definitions (stacks/schema.ts `tiers`). */
export const TIER_DATA_CLASSES = ["database", "redis", "configuration", "secrets"] as const;
export type TierDataClass = (typeof TIER_DATA_CLASSES)[number];

export interface ScheduledJobMech {
    readonly kind: "CronJob" | "VeleroSchedule";
    readonly name: string;
    readonly schedule: string;
    readonly worstGapSeconds?: number;
    readonly tier?: "tier1" | "tier2" | "tier3";
    readonly dataClass?: TierDataClass;
    readonly purpose: "backup" | "verify";
}

const DATA_CLASS_WORDS: readonly [RegExp, TierDataClass][] = [
    [/\b(redis|valkey)\b/i, "redis"],
    [/\b(postgres|postgresql|pg|pgbackrest|database)\b/i, "database"],
    [/\b(velero|configuration|config)\b/i, "configuration"],
    [/\b(secrets?|sealed-secrets|vault)\b/i, "secrets"],
];

/** Words are split on the separators names use, so "redis-snapshot-tier1" reads as words. */
function words(text: string): string {
    return text.replace(/[-_/.:]+/g, " ");
}

function classify(texts: readonly string[], env: Readonly<Record<string, string>>): Pick<ScheduledJobMech, "tier" | "dataClass" | "purpose"> {
    const all = words([...texts, env.BACKUP_PREFIX ?? "", env.DATA_CLASS ?? ""].join(" "));
    const tierText = env.BACKUP_TIER ?? /\btier([123])\b/.exec(all)?.[0]?.replace(" ", "");
    const tier = tierText === "tier1" || tierText === "tier2" || tierText === "tier3" ? tierText : undefined;
    const dataClass = DATA_CLASS_WORDS.find(([re]) => re.test(all))?.[1];
    const purpose = /\b(verify|amcheck|integrity|check)\b/i.test(all) ? "verify" : "backup";
    return { tier, dataClass, purpose };
}

function gap(schedule: string): number | undefined {
    try {
        return maxIntervalSeconds(schedule);
    } catch {
        return undefined;
    }
}

export function scheduledJobs(rs: readonly DeclaredResource[]) {
    const cron = extract<ScheduledJobMech>(rs, T.cronJob, (r) => {
        const p = r.props;
        const schedule = p.spec?.schedule;
        if (typeof schedule !== "string") return undefined;
        const pod = p.spec?.jobTemplate?.spec?.template?.spec ?? {};
        const containers: any[] = [...(Array.isArray(pod.containers) ? pod.containers : [])];
        const env: Record<string, string> = {};
        const texts: string[] = [String(p.metadata?.name ?? r.name), ...Object.values(p.metadata?.labels ?? {}).map(String)];
        for (const c of containers) {
            for (const e of Array.isArray(c?.env) ? c.env : []) if (typeof e?.value === "string") env[String(e.name)] = e.value;
            texts.push(...[c?.name, ...(c?.command ?? []), ...(c?.args ?? [])].filter((x): x is string => typeof x === "string"));
        }
        return { kind: "CronJob", name: String(p.metadata?.name ?? r.name), schedule, worstGapSeconds: gap(schedule), ...classify(texts, env) };
    });
    const velero = extract<ScheduledJobMech>(rs, T.veleroSchedule, (r) => {
        const p = r.props;
        const schedule = p.spec?.schedule;
        if (typeof schedule !== "string") return undefined;
        const texts = [String(p.metadata?.name ?? r.name), String(p.spec?.template?.storageLocation ?? ""), ...Object.values(p.metadata?.labels ?? {}).map(String)];
        const c = classify(texts, {});
        return { kind: "VeleroSchedule", name: String(p.metadata?.name ?? r.name), schedule, worstGapSeconds: gap(schedule), ...c, dataClass: "configuration", purpose: "backup" };
    });
    return { found: [...cron.found, ...velero.found], unknown: [...cron.unknown, ...velero.unknown] };
}

// ---------------------------------------------------------------------------------------------
// S3 replication

export interface ReplicationRuleMech {
    readonly config: string;
    readonly id: string;
    readonly prefix: string;
    readonly enabled: boolean;
    readonly rtcMinutes?: number;
}

export function replicationRules(rs: readonly DeclaredResource[]) {
    const out = extract<ReplicationRuleMech[]>(rs, T.replication, (r) =>
        (Array.isArray(r.props.rules) ? r.props.rules : []).map((rule: any) => ({
            config: r.name,
            id: String(rule?.id ?? "?"),
            prefix: String(rule?.filter?.prefix ?? rule?.prefix ?? ""),
            enabled: rule?.status === "Enabled",
            rtcMinutes: rule?.destination?.replicationTime?.status === "Enabled" ? Number(rule.destination.replicationTime.time?.minutes ?? 15) : undefined,
        })),
    );
    return { found: out.found.flat(), unknown: out.unknown };
}

export function count(rs: readonly DeclaredResource[], type: string): number {
    return ofType(rs, type).length;
}

// ---------------------------------------------------------------------------------------------
// Database integrity watch (data-checksum failures)

/**
 * The pod label that marks a Deployment as the database's checksum watch
 * (jobs/pg-integrity-watch.sh); components/postgres/integrity-watch.ts sets it.
 */
export const INTEGRITY_WATCH_LABEL = Object.freeze({ key: LABEL_KEYS.purpose, value: "integrity-watch" });

export interface IntegrityWatchMech {
    readonly name: string;
    readonly replicas: number;
    /** WATCH_INTERVAL_SECONDS of the container (the script's default 30 when unset). */
    readonly intervalSeconds: number;
    /** QUERY_TIMEOUT_SECONDS (default 10): the longest one round's query may take. */
    readonly queryTimeoutSeconds: number;
    /** True when the container publishes straight to a topic (ALERT_TOPIC_ARN set). */
    readonly alertsTopic: boolean;
}

/** Deployments carrying INTEGRITY_WATCH_LABEL on their pods, with the watch's settings from the container env. */
export function integrityWatches(rs: readonly DeclaredResource[]) {
    return extract<IntegrityWatchMech>(rs, T.deployment, (r) => {
        const p = r.props;
        const template = p.spec?.template ?? {};
        if (template.metadata?.labels?.[INTEGRITY_WATCH_LABEL.key] !== INTEGRITY_WATCH_LABEL.value) return undefined;
        const containers: any[] = Array.isArray(template.spec?.containers) ? template.spec.containers : [];
        // The topic ARN is another resource's output, unknown in a first preview: unknown still means set.
        const env = new Map<string, Known<unknown>>();
        for (const c of containers) for (const e of Array.isArray(c?.env) ? c.env : []) env.set(String(e?.name), readKnown(() => e?.value ?? e?.valueFrom));
        const seconds = (name: string, fallback: number) => {
            const k = env.get(name);
            const v = k?.known ? Number(k.value) : fallback;
            return Number.isFinite(v) && v > 0 ? v : fallback;
        };
        const topic = env.get("ALERT_TOPIC_ARN");
        return {
            name: String(p.metadata?.name ?? r.name),
            replicas: typeof p.spec?.replicas === "number" ? p.spec.replicas : 1,
            intervalSeconds: seconds("WATCH_INTERVAL_SECONDS", 30),
            queryTimeoutSeconds: seconds("QUERY_TIMEOUT_SECONDS", 10),
            alertsTopic: topic !== undefined && (!topic.known || (topic.value !== undefined && topic.value !== "")),
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Runtime security detection (Falco)

export interface RuntimeDetectionMech {
    readonly name: string;
    readonly driver: string;
    /** falcosidekick.config.aws.sns.minimumpriority ("" forwards every priority). */
    readonly minimumPriority: string;
}

/**
 * Helm releases of the falcosecurity falco chart with a syscall driver and falcosidekick's
 * SNS output set (components/detection/runtime-detection.ts declares one). The topic ARN is
 * another resource's output, unknown in a first preview: unknown still means set.
 */
export function runtimeDetections(rs: readonly DeclaredResource[]) {
    return extract<RuntimeDetectionMech>(rs, T.helmRelease, (r) => {
        const p = r.props;
        if (p.chart !== "falco") return undefined;
        const v = p.values ?? {};
        if (v.driver?.enabled === false) return undefined;
        const sidekick = v.falcosidekick ?? {};
        if (sidekick.enabled !== true) return undefined;
        const topic = readKnown(() => sidekick.config?.aws?.sns?.topicarn as unknown);
        if (topic.known && (typeof topic.value !== "string" || topic.value === "")) return undefined;
        return { name: String(p.name ?? r.name), driver: String(v.driver?.kind ?? "the chart's default"), minimumPriority: String(sidekick.config?.aws?.sns?.minimumpriority ?? "") };
    });
}

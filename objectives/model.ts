/**
 * The objectives model: from what a stack declares and its resolved config, the detection
 * time, RTO and RPO each scenario (S1-S5) can actually achieve for each kind of data, the
 * mechanism that bounds each, and every figure that went into it with its source.
 *
 * A cell is a sum of terms. Each term is declared by the stack (a probe period, a TTL, a cron
 * schedule), guaranteed by a vendor (an SLA, a protocol rule), typical per a vendor (an
 * average), measured by a drill in `reports/`, or a project design decision. A term that no
 * one has declared or measured is *open*: the cell then says how much of the objective is
 * left for it rather than pretending it is zero. Status per cell:
 *
 *   within      every term known, sum <= objective
 *   typical     the guaranteed bound is over the objective, but the typical figure fits and a
 *               declared alarm watches that term at or under the objective (e.g. S3 RTC: 15
 *               minutes guaranteed, a ReplicationLatency alarm at the 5-minute RPO)
 *   exceeds     the known terms alone are over the objective
 *   missing     a mechanism the scenario needs is not declared at all
 *   open        known terms fit, but some term is unmeasured (the remaining budget is shown)
 *   informational  no objective to compare with (S5 data loss "depends on scope")
 *   not-owned   the mechanism belongs to the other stack of the pair (primary vs DR)
 *
 * RTO is counted from the failure, so it includes detection.
 */
import type { DataClassObjectiveId, FortressConfig, ScenarioId } from "../../stacks/schema";
import { Basis, CONSTANTS, ConstantId, PATRONI_DEFAULTS } from "./constants";
import { DrillReportLike, MeasuredId, findFigure } from "./drills";
import {
    DeclaredResource,
    T,
    readKnown,
    failoverRecords,
    healthChecks,
    integrityWatches,
    pgClusters,
    probeDetectionSeconds,
    redisConfigs,
    replicationRules,
    runtimeDetections,
    scheduledJobs,
    workloads,
    PgClusterMech,
    ScheduledJobMech,
} from "./resources";

export type Metric = "detect" | "rto" | "rpo";
export type Subject = "services" | DataClassObjectiveId;
export type CellStatus = "within" | "typical" | "exceeds" | "missing" | "open" | "informational" | "not-owned";

export interface Term {
    readonly label: string;
    readonly seconds: number;
    readonly basis: Basis;
    /** URL, repository path (with the drill figure), or the declaring resource and field. */
    readonly ref: string;
}

export interface Cell {
    readonly metric: Metric;
    readonly objectiveSeconds: number | null;
    /** Sum of the known terms (guaranteed where a guarantee exists); null when the mechanism is missing. */
    readonly achievableSeconds: number | null;
    /** The sum with watched typical figures in place of guaranteed bounds, when that differs. */
    readonly typicalSeconds?: number;
    readonly typicalTerms?: readonly Term[];
    readonly status: CellStatus;
    readonly mechanism: string;
    readonly terms: readonly Term[];
    /** Terms nobody declared or measured. */
    readonly open: readonly string[];
    /** True when a term is only a vendor's typical figure or a drill measurement at drill scale. */
    readonly typical: boolean;
    readonly notes: readonly string[];
}

export interface Row {
    readonly scenario: ScenarioId;
    readonly scenarioName: string;
    readonly subject: Subject;
    readonly detect: Cell;
    readonly rto: Cell;
    readonly rpo: Cell;
}

export interface ConstantUse {
    readonly label: string;
    readonly value: string;
    readonly basis: Basis;
    readonly ref: string;
    readonly says?: string;
}

export interface ObjectivesTable {
    readonly stack: string;
    readonly environment: string;
    readonly role: string;
    readonly rows: readonly Row[];
    /** Every figure a cell used, once, with its source. */
    readonly constants: readonly ConstantUse[];
    /** Resources whose inputs are unknown until deployed, and unreadable drill reports. */
    readonly notes: readonly string[];
    readonly summary: Readonly<Record<CellStatus, number>>;
}

export interface ModelInput {
    readonly stack: string;
    readonly config: FortressConfig;
    readonly resources: readonly DeclaredResource[];
    readonly reports?: readonly DrillReportLike[];
    /** Extra notes to carry (e.g. drill reports that failed to parse). */
    readonly notes?: readonly string[];
}

const SCENARIO_NAMES: Readonly<Record<ScenarioId, string>> = {
    S1: "service failure",
    S2: "database corruption",
    S3: "complete infrastructure failure",
    S4: "regional disaster",
    S5: "security breach",
};

/** Which subjects each scenario is about. */
const ROWS: readonly [ScenarioId, readonly Subject[]][] = [
    ["S1", ["services", "database", "cache"]],
    ["S2", ["database"]],
    ["S3", ["services", "database", "cache", "configuration", "logs", "uploads"]],
    ["S4", ["services", "database", "cache", "configuration", "logs", "uploads"]],
    ["S5", ["services", "database", "cache", "configuration", "logs", "uploads"]],
];

// ---------------------------------------------------------------------------------------------
// Terms and bounds

interface Path {
    readonly mechanism: string;
    readonly terms: readonly Term[];
    readonly open?: readonly string[];
    readonly notes?: readonly string[];
    /** The same path with a watched typical figure in place of a guaranteed bound. */
    readonly typical?: readonly Term[];
}
interface Missing {
    readonly missing: string;
}
type Bound = Path | Missing;

function isMissing(b: Bound): b is Missing {
    return "missing" in b;
}

function vendor(id: ConstantId, label?: string, seconds?: number): Term {
    const c = CONSTANTS[id];
    return { label: label ?? c.label, seconds: seconds ?? c.seconds, basis: c.basis, ref: c.source.ref };
}

const declared = (label: string, seconds: number, ref: string): Term => ({ label, seconds, basis: "declared", ref });

const sum = (terms: readonly Term[]) => terms.reduce((n, t) => n + t.seconds, 0);

/** Of several ways to bound a cell, the best: smallest known sum, then fewest open terms. */
function best(...bounds: Bound[]): Bound {
    const paths = bounds.filter((b): b is Path => !isMissing(b));
    if (paths.length === 0) return bounds.find(isMissing) ?? { missing: "no mechanism" };
    return paths.reduce((a, b) => {
        const d = sum(a.terms) - sum(b.terms);
        if (d !== 0) return d < 0 ? a : b;
        return (a.open?.length ?? 0) <= (b.open?.length ?? 0) ? a : b;
    });
}

/**
 * The path that serves an objective best: one within it on its guaranteed terms, else one
 * within it on its typical (alarmed) terms, else the smallest guaranteed bound. Plain `best`
 * would let a path that is over its objective beat one that is within it typically.
 */
function bestFor(objectiveSeconds: number | null, ...bounds: Bound[]): Bound {
    if (objectiveSeconds === null) return best(...bounds);
    const paths = bounds.filter((b): b is Path => !isMissing(b));
    const within = paths.filter((p) => sum(p.terms) <= objectiveSeconds);
    if (within.length > 0) return best(...within);
    const typicallyWithin = paths.filter((p) => p.typical !== undefined && sum(p.typical) <= objectiveSeconds);
    if (typicallyWithin.length > 0) return best(...typicallyWithin);
    return best(...bounds);
}

/** A path plus the terms of another (RTO = detection + recovery). */
function then(first: Bound, second: Bound): Bound {
    if (isMissing(first)) return first;
    if (isMissing(second)) return second;
    return {
        mechanism: `${first.mechanism}, then ${second.mechanism}`,
        terms: [...first.terms, ...second.terms],
        open: [...(first.open ?? []), ...(second.open ?? [])],
        notes: [...(first.notes ?? []), ...(second.notes ?? [])],
        ...(first.typical || second.typical ? { typical: [...(first.typical ?? first.terms), ...(second.typical ?? second.terms)] } : {}),
    };
}

function cell(metric: Metric, objectiveSeconds: number | null, b: Bound): Cell {
    if (isMissing(b)) {
        return { metric, objectiveSeconds, achievableSeconds: null, status: "missing", mechanism: "none declared", terms: [], open: [], typical: false, notes: [b.missing] };
    }
    const achievable = sum(b.terms);
    const typical = b.typical ? sum(b.typical) : undefined;
    const open = b.open ?? [];
    const status: CellStatus =
        objectiveSeconds === null
            ? "informational"
            : achievable <= objectiveSeconds
              ? open.length > 0
                  ? "open"
                  : "within"
              : typical !== undefined && typical <= objectiveSeconds
                ? "typical"
                : "exceeds";
    const notes = [...(b.notes ?? [])];
    if (status === "typical") {
        notes.push(`the guaranteed bound ${achievable} s exceeds the ${objectiveSeconds} s objective; typically ${typical} s, and a declared alarm watches that term`);
    }
    if (status === "open" && objectiveSeconds !== null) {
        notes.push(`${objectiveSeconds - achievable} s of the ${objectiveSeconds} s objective remain for: ${open.join("; ")}`);
    }
    return {
        metric,
        objectiveSeconds,
        achievableSeconds: achievable,
        ...(typical !== undefined && typical !== achievable ? { typicalSeconds: typical, typicalTerms: b.typical } : {}),
        status,
        mechanism: b.mechanism,
        terms: b.terms,
        open,
        typical: b.terms.some((t) => t.basis === "typical" || t.basis === "measured"),
        notes,
    };
}

const notOwned = (metric: Metric, objectiveSeconds: number | null, owner: string): Cell => ({
    metric,
    objectiveSeconds,
    achievableSeconds: null,
    status: "not-owned",
    mechanism: owner,
    terms: [],
    open: [],
    typical: false,
    notes: [],
});

// ---------------------------------------------------------------------------------------------
// Mechanisms

interface Ctx {
    readonly config: FortressConfig;
    readonly rs: readonly DeclaredResource[];
    readonly reports: readonly DrillReportLike[];
    readonly unknown: string[];
}

function collect<V>(ctx: Ctx, r: { found: V[]; unknown: string[] }): V[] {
    ctx.unknown.push(...r.unknown);
    return r.found;
}

function measured(ctx: Ctx, id: MeasuredId, label: string): Term | undefined {
    const f = findFigure(ctx.reports, id);
    if (!f || f.unit !== "s") return undefined;
    return { label: `${label} (measured, ${f.context})`, seconds: f.value, basis: "measured", ref: f.ref };
}

/**
 * S2 detection by the data-checksum watch (jobs/pg-integrity-watch.sh): one interval plus one
 * bounded query. Typical, not guaranteed: PostgreSQL counts a checksum failure only when the
 * corrupted page is read, so the bound runs from that first read, not from the corruption.
 * The scheduled integrity check (`backstop`) stays the guarantee for pages nothing reads.
 */
function checksumWatch(ctx: Ctx, backstop: Bound): Bound {
    const watches = collect(ctx, integrityWatches(ctx.rs)).filter((w) => w.replicas >= 1 && w.alertsTopic);
    if (watches.length === 0) return backstop;
    const w = watches.reduce((a, b) => (a.intervalSeconds + a.queryTimeoutSeconds <= b.intervalSeconds + b.queryTimeoutSeconds ? a : b));
    const ref = `${T.deployment} ${w.name}.spec.template.spec.containers[].env`;
    return {
        mechanism: `data-checksum watch ${w.name} (pg_stat_database.checksum_failures -> alert topic)`,
        terms: [
            { label: `WATCH_INTERVAL_SECONDS ${w.intervalSeconds}, from the first read of the corrupted page (a page nothing reads is never counted)`, seconds: w.intervalSeconds, basis: "typical", ref },
            declared(`QUERY_TIMEOUT_SECONDS ${w.queryTimeoutSeconds}: the longest one round's query may take`, w.queryTimeoutSeconds, ref),
        ],
        notes: [
            isMissing(backstop)
                ? `no scheduled integrity check backs the watch up for pages nothing reads: ${backstop.missing}`
                : `guaranteed backstop for pages nothing reads: ${backstop.mechanism}, within ${sum(backstop.terms)} s`,
        ],
    };
}

/** Route 53 declares the primary region's endpoint down. */
function dnsDetection(ctx: Ctx): Bound {
    const checks = collect(ctx, healthChecks(ctx.rs));
    if (checks.length === 0) {
        return { missing: `no Route 53 endpoint health check (${T.healthCheck} of type HTTP, HTTPS or TCP) is declared: a failure of the primary region's endpoint is not detected` };
    }
    const worst = checks.reduce((a, b) => (a.intervalSeconds * a.failureThreshold >= b.intervalSeconds * b.failureThreshold ? a : b));
    return {
        mechanism: `Route 53 health check ${worst.name} (${checks.length} declared; the slowest bounds)`,
        terms: [
            declared(`health check ${worst.name}: requestInterval ${worst.intervalSeconds} s x failureThreshold ${worst.failureThreshold}`, worst.intervalSeconds * worst.failureThreshold, `${T.healthCheck} ${worst.name}.requestInterval/failureThreshold`),
            vendor("route53ConnectWindow"),
        ],
    };
}

/** Clients follow the failover after the PRIMARY record's TTL. */
function dnsSwitch(ctx: Ctx): Bound {
    const records = collect(ctx, failoverRecords(ctx.rs));
    const primaries = records.filter((r) => r.role === "PRIMARY");
    if (primaries.length === 0) return { missing: `no failover record (${T.record} with failoverRoutingPolicies type PRIMARY) is declared: DNS never moves clients to the DR region` };
    if (!records.some((r) => r.role === "SECONDARY")) return { missing: `PRIMARY failover records are declared but no SECONDARY: there is nowhere for DNS to fail over to` };
    const terms = primaries.map((r) =>
        r.alias ? vendor("elbAliasTtl", `record ${r.name}: alias record, fixed TTL`) : declared(`record ${r.name}: ttl ${r.ttlSeconds ?? "?"} s`, r.ttlSeconds ?? 0, `${T.record} ${r.name}.ttl`),
    );
    const worst = terms.reduce((a, b) => (a.seconds >= b.seconds ? a : b));
    return { mechanism: "DNS failover (PRIMARY -> SECONDARY record)", terms: [worst] };
}

function drTakeover(what: string): Bound {
    return {
        mechanism: "the DR stack takes over",
        terms: [],
        open: [`${what} in the DR region (declared by the DR stack; no drill here measures it)`],
    };
}

/** The Deployments of the platform's services (config `services`), by name. */
function appWorkloads(ctx: Ctx) {
    const names = new Set(ctx.config.services.map((s) => s.name));
    return collect(ctx, workloads(ctx.rs)).filter((w) => w.kind === "Deployment" && (names.has(w.name) || names.has(w.podLabels["app.kubernetes.io/name"] ?? "")));
}

function missingServices(ctx: Ctx): string[] {
    const have = new Set(appWorkloads(ctx).flatMap((w) => [w.name, w.podLabels["app.kubernetes.io/name"]]));
    return ctx.config.services.map((s) => s.name).filter((n) => !have.has(n));
}

function probeDetection(ctx: Ctx): Bound {
    const ws = appWorkloads(ctx);
    const absent = missingServices(ctx);
    if (absent.length > 0) return { missing: `services ${absent.join(", ")} are configured but no Deployment of theirs is declared in this stack: S1 detection relies on their readiness and liveness probes` };
    const bare = ws.flatMap((w) => w.containers.filter((c) => !c.readiness && !c.liveness).map((c) => `${w.name}/${c.name}`));
    if (bare.length > 0) return { missing: `containers without a readiness or liveness probe: ${bare.join(", ")}; their failure is never detected` };
    let worst: { label: string; seconds: number; ref: string } | undefined;
    for (const w of ws) {
        for (const c of w.containers) {
            const p = c.readiness ?? c.liveness!;
            const s = probeDetectionSeconds(p);
            if (!worst || s > worst.seconds) {
                worst = {
                    label: `probe of ${w.name}/${c.name}: periodSeconds ${p.periodSeconds} x failureThreshold ${p.failureThreshold} + timeoutSeconds ${p.timeoutSeconds}`,
                    seconds: s,
                    ref: `${T.deployment} ${w.name}.spec.template.spec.containers[${c.name}].${c.readiness ? "readinessProbe" : "livenessProbe"}`,
                };
            }
        }
    }
    return {
        mechanism: `readiness probes (${ws.length} Deployment${ws.length === 1 ? "" : "s"}; the slowest bounds)`,
        terms: [{ ...declared(worst!.label, worst!.seconds, worst!.ref) }],
        notes: [`probe semantics and defaults: ${CONSTANTS.k8sProbeDefaults.source.ref}`],
    };
}

function serviceRestore(ctx: Ctx): Bound {
    const ws = appWorkloads(ctx);
    const single = ws.filter((w) => w.replicas < 2).map((w) => w.name);
    return {
        mechanism: single.length === 0 ? "the other replicas serve (every Deployment has 2 or more)" : "restart of single-replica Deployments",
        terms: [],
        open: single.length === 0 ? [] : [`restarting ${single.join(", ")} (one replica: image pull, start, readiness; not measured)`],
        notes: ["plus Endpoints propagation to kube-proxy and the Istio sidecars: typically seconds, no published bound"],
    };
}

function pgCluster(ctx: Ctx): PgClusterMech | undefined {
    return collect(ctx, pgClusters(ctx.rs)).find((c) => !c.standby) ?? undefined;
}

const NO_PG = `no PostgreSQL cluster (${T.pgCluster}) is declared in this stack`;

function patroniDetection(pg: PgClusterMech): Bound {
    const lease = pg.leaderLeaseSeconds;
    const sync = pg.syncPeriodSeconds;
    const ref = `${T.pgCluster} ${pg.name}.spec.patroni`;
    const term = (label: string, v: number, def: number, field: string) =>
        v === def ? vendor("patroniDefaults", `${label} ${v} s (default)`, v) : declared(`${label} ${v} s`, v, `${ref}.${field}`);
    return {
        mechanism: "Patroni leader lease expiry",
        terms: [term("leader lease (ttl)", lease, PATRONI_DEFAULTS.leaderLeaseDurationSeconds, "leaderLeaseDurationSeconds"), term("sync period (loop_wait)", sync, PATRONI_DEFAULTS.syncPeriodSeconds, "syncPeriodSeconds")],
    };
}

/**
 * What the async archiver adds beyond archive_timeout: the drill's worst loss window under
 * load minus the archive_timeout it ran with (zero when the loss stayed within the timeout).
 */
function archiveDelivery(ctx: Ctx): Term | undefined {
    const loss = findFigure(ctx.reports, "postgresLossWindow");
    const timeout = findFigure(ctx.reports, "postgresDrillArchiveTimeout");
    if (!loss || !timeout || loss.unit !== "s" || timeout.unit !== "s") return undefined;
    return {
        label: `WAL delivery beyond archive_timeout (drill: worst loss window ${loss.value} s with archive_timeout ${timeout.value} s; measured, ${loss.context})`,
        seconds: Math.max(0, Math.round((loss.value - timeout.value) * 10) / 10),
        basis: "measured",
        ref: loss.ref,
    };
}

/** Loss bounded by WAL archiving to repositories that survive the scenario. */
function walArchive(ctx: Ctx, pg: PgClusterMech, survives: (repo: PgClusterMech["repos"][number]) => boolean, where: string): Bound {
    const repos = pg.repos.filter(survives);
    if (repos.length === 0) return { missing: `no pgBackRest repository of ${pg.name} survives: ${where}` };
    if (pg.archiveTimeoutSeconds === undefined || pg.archiveTimeoutSeconds <= 0) {
        return { missing: `archive_timeout is not set on ${pg.name}: a WAL segment is archived only when it fills (16 MB), so time-based loss is unbounded` };
    }
    const delivery = archiveDelivery(ctx);
    return {
        mechanism: `WAL archived to ${repos.map((r) => r.name).join(", ")} (${where})`,
        terms: [
            declared(`archive_timeout ${pg.archiveTimeoutText}`, pg.archiveTimeoutSeconds, `${T.pgCluster} ${pg.name}.spec.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout`),
            ...(delivery ? [delivery] : []),
        ],
        open: delivery ? [] : ["the async archiver's delivery after the segment switch (no postgres drill loss-window figure in reports/)"],
    };
}

function redisJobs(ctx: Ctx): ScheduledJobMech[] {
    return collect(ctx, scheduledJobs(ctx.rs)).filter((j) => j.dataClass === "redis" && j.purpose === "backup" && j.worstGapSeconds !== undefined);
}

/** Newest usable snapshot: one schedule gap plus the job's own run time old. */
function snapshotPath(ctx: Ctx, jobs: readonly ScheduledJobMech[], via: string, extra: Term[] = []): Bound {
    if (jobs.length === 0) return { missing: `no Redis snapshot CronJob writes ${via}` };
    const job = jobs.reduce((a, b) => (a.worstGapSeconds! <= b.worstGapSeconds! ? a : b));
    const run = measured(ctx, "redisSnapshotJob", "snapshot job run time");
    return {
        mechanism: `Redis snapshots ${via} (CronJob ${job.name})`,
        terms: [declared(`schedule "${job.schedule}" worst gap`, job.worstGapSeconds!, `${T.cronJob} ${job.name}.spec.schedule`), ...(run ? [run] : []), ...extra],
        open: run ? [] : ["the snapshot job's run time (no redis drill figure in reports/)"],
    };
}

/** A declared ReplicationLatency alarm on the replication rule: it watches the typical lag. */
function latencyAlarm(ctx: Ctx, ruleId: string): Term | undefined {
    for (const a of ctx.rs.filter((r) => r.type === T.metricAlarm)) {
        const k = readKnown(() => ({ metric: a.props.metricName, ns: a.props.namespace, rule: a.props.dimensions?.RuleId, threshold: a.props.threshold }));
        if (k.known && k.value.metric === "ReplicationLatency" && k.value.ns === "AWS/S3" && k.value.rule === ruleId && typeof k.value.threshold === "number") {
            return declared(`ReplicationLatency alarm ${a.name} at ${k.value.threshold} s (watches the typical lag; not a bound)`, k.value.threshold, `${T.metricAlarm} ${a.name}.threshold`);
        }
    }
    return undefined;
}

/** The RTC term of a replication rule, with its alarm as the typical figure when one is declared. */
function rtcTerms(ctx: Ctx, rule: { id: string; rtcMinutes?: number }, before: readonly Term[]): Pick<Path, "terms" | "typical" | "notes"> {
    const rtc = vendor("s3RtcSla", `replication rule ${rule.id}: S3 RTC ${rule.rtcMinutes} min bound`, rule.rtcMinutes! * 60);
    const alarm = latencyAlarm(ctx, rule.id);
    return {
        terms: [...before, rtc],
        ...(alarm ? { typical: [...before, alarm] } : {}),
        notes: [alarm ? `most objects replicate within seconds; ${alarm.label}` : `most objects replicate within seconds, but no ReplicationLatency alarm on rule ${rule.id} watches it`],
    };
}

function missingClass(subject: Subject): Bound {
    return { missing: `no backup, replication or store of ${subject} is declared in this stack` };
}

function bucketsFor(ctx: Ctx, purpose: string): DeclaredResource[] {
    return ctx.rs.filter((r) => r.type === T.bucket && r.props.tags?.["fortress:purpose"] === purpose);
}

/** Replication rules configured on the given source bucket. */
function replicationFrom(ctx: Ctx, source: DeclaredResource) {
    const configs = ctx.rs.filter((r) => r.type === T.replication && readKnown(() => r.props.bucket === source.props.bucket || r.props.bucket === source.name).known && (r.props.bucket === source.props.bucket || r.props.bucket === source.name));
    return collect(ctx, replicationRules(configs)).filter((r) => r.enabled);
}

/** Loss of a class kept in S3 buckets tagged with `purpose`, for the scenario. */
function bucketPath(ctx: Ctx, scenario: ScenarioId, subject: Subject, purpose: string): Bound {
    const primary = bucketsFor(ctx, purpose).filter((b) => b.region === undefined || b.region === ctx.config.regions.primary);
    if (primary.length === 0) return missingClass(subject);
    const source = primary[0];
    if (scenario === "S3") return { mechanism: `${subject} bucket ${source.name} (S3 outlives the cluster)`, terms: [vendor("s3Durability")] };
    if (scenario === "S5") {
        return { mechanism: `${subject} bucket ${source.name}: versioned; a compromised writer adds delete markers, older versions stay`, terms: [vendor("s3Durability")] };
    }
    const rtc = replicationFrom(ctx, source).find((r) => r.rtcMinutes !== undefined);
    if (!rtc) {
        const others = bucketsFor(ctx, purpose).filter((b) => b !== source && b.region !== undefined && b.region !== ctx.config.regions.primary);
        return {
            missing:
                others.length > 0
                    ? `${source.name} replicates to ${others.map((b) => b.name).join(", ")} without Replication Time Control: replication then has no time bound`
                    : `${subject} live only in ${source.name} in the primary region; a regional disaster loses them (no replication to another region is declared)`,
        };
    }
    return { mechanism: `replication rule ${rtc.id} of ${source.name} to the DR region`, ...rtcTerms(ctx, rtc, []) };
}

// ---------------------------------------------------------------------------------------------
// S5: security detection

/**
 * The management calls a tampering rule must watch, by event source: the ones that weaken
 * the backups (bucket policy, lifecycle, versioning, replication, Object Lock), their keys,
 * or the audit trail. Either spelling of the lifecycle call counts.
 */
export const REQUIRED_TAMPER_CALLS: readonly (readonly string[])[] = [
    ["PutBucketPolicy"],
    ["DeleteBucketPolicy"],
    ["PutBucketLifecycle", "PutBucketLifecycleConfiguration"],
    ["PutBucketVersioning"],
    ["PutBucketReplication"],
    ["PutObjectLockConfiguration"],
    ["DisableKey"],
    ["ScheduleKeyDeletion"],
    ["PutKeyPolicy"],
    ["StopLogging"],
    ["DeleteTrail"],
    ["UpdateTrail"],
];

/** Every value of `key` anywhere in an event pattern (patterns nest under detail and $or). */
function valuesOf(pattern: unknown, key: string): unknown[] {
    if (Array.isArray(pattern)) return pattern.flatMap((p) => valuesOf(p, key));
    if (pattern === null || typeof pattern !== "object") return [];
    return Object.entries(pattern as Record<string, unknown>).flatMap(([k, v]) => (k === key ? (Array.isArray(v) ? v : [v]) : valuesOf(v, key)));
}

interface RuleMech {
    readonly name: string;
    readonly region?: string;
    readonly pattern: unknown;
    readonly targeted: boolean;
}

function eventRules(ctx: Ctx): RuleMech[] {
    const out: RuleMech[] = [];
    const targets = ctx.rs.filter((r) => r.type === T.eventTarget);
    for (const r of ctx.rs.filter((x) => x.type === T.eventRule)) {
        const k = readKnown(() => ({ pattern: r.props.eventPattern as unknown, ruleName: r.props.name as unknown }));
        if (!k.known || typeof k.value.pattern !== "string") {
            ctx.unknown.push(`${T.eventRule} ${r.name}.eventPattern`);
            continue;
        }
        const ruleName = k.value.ruleName;
        const targeted = targets.some((t) => readKnown(() => t.props.rule).known && t.props.rule === ruleName && t.region === r.region);
        out.push({ name: r.name, region: r.region, pattern: JSON.parse(k.value.pattern), targeted });
    }
    return out;
}

/** Whether a bucketName matcher of a pattern (a name, or { prefix }) matches the bucket. */
function matchesBucket(matcher: unknown, bucket: string): boolean {
    if (typeof matcher === "string") return matcher === bucket;
    const prefix = (matcher as { prefix?: unknown } | null)?.prefix;
    return typeof prefix === "string" && bucket.startsWith(prefix);
}

/** A tampering rule in every region with an AWS bucket, watching the required calls, with a target. */
function tamperDetection(ctx: Ctx): Bound {
    const rules = eventRules(ctx).filter((r) => r.targeted && valuesOf(r.pattern, "detail-type").includes("AWS API Call via CloudTrail"));
    const complete = rules.filter((r) => {
        const names = new Set(valuesOf(r.pattern, "eventName"));
        return REQUIRED_TAMPER_CALLS.every((alts) => alts.some((a) => names.has(a)));
    });
    if (complete.length === 0) {
        const needed = REQUIRED_TAMPER_CALLS.map((a) => a[0]).join(", ");
        return { missing: `no EventBridge rule with a target matches the backup-tampering calls (detail-type "AWS API Call via CloudTrail", eventName ${needed})` };
    }
    const trails = ctx.rs.filter((r) => r.type === T.trail && r.props.enableLogging !== false);
    if (trails.length === 0) return { missing: `a tampering rule is declared but no CloudTrail trail (${T.trail}) with logging: EventBridge receives "AWS API Call via CloudTrail" events only with a trail logging` };
    const primary = ctx.config.regions.primary;
    const uncovered: string[] = [];
    for (const b of ctx.rs.filter((r) => r.type === T.bucket)) {
        const k = readKnown(() => b.props.bucket as unknown);
        if (!k.known || typeof k.value !== "string") {
            ctx.unknown.push(`${T.bucket} ${b.name}.bucket`);
            continue;
        }
        const region = b.region ?? primary;
        const name = k.value;
        if (!complete.some((r) => (r.region ?? primary) === region && valuesOf(r.pattern, "bucketName").some((m) => matchesBucket(m, name)))) uncovered.push(`${name} (${region})`);
    }
    if (uncovered.length > 0) {
        return { missing: `no tampering rule in their region watches buckets ${uncovered.join(", ")}: CloudTrail hands a call to EventBridge only in the region where it was made` };
    }
    const regions = [...new Set(complete.map((r) => r.region ?? primary))];
    return {
        mechanism: `backup-tampering rule (CloudTrail management events -> EventBridge -> alert topic) in ${regions.join(", ")}`,
        terms: [],
        open: [`CloudTrail's delivery of the call to EventBridge (best effort, no published time: ${CONSTANTS.cloudTrailToEventBridge.source.ref})`],
    };
}

/** GuardDuty findings at some severity routed to a target. */
function guardDutyDetection(ctx: Ctx): Bound {
    const detectors = ctx.rs.filter((r) => r.type === T.guardDuty && r.props.enable !== false);
    if (detectors.length === 0) return { missing: `no security detection (an enabled ${T.guardDuty}) is declared: a breach is found by people, not by the stack` };
    const routed = eventRules(ctx).filter((r) => r.targeted && valuesOf(r.pattern, "source").includes("aws.guardduty"));
    if (routed.length === 0) return { missing: `GuardDuty is enabled but no EventBridge rule with a target takes its findings (source aws.guardduty): findings wait in the console` };
    const regions = [...new Set(detectors.map((d) => d.region ?? ctx.config.regions.primary))];
    return {
        mechanism: `GuardDuty (${regions.join(", ")}) finding -> EventBridge -> alert topic`,
        terms: [vendor("guardDutyNewFindingDelivery")],
        open: ["GuardDuty's analysis from the activity to the finding (AWS publishes no figure)"],
    };
}

/**
 * Falco in the cluster: a rule matches the syscall on the node and falcosidekick publishes to
 * the alert topic. Neither step has a published or measured time, so both are open terms.
 */
function runtimeDetection(ctx: Ctx): Bound {
    const falcos = collect(ctx, runtimeDetections(ctx.rs));
    if (falcos.length === 0) return { missing: `no runtime detection (a ${T.helmRelease} of the falco chart with falcosidekick's SNS output) is declared` };
    const f = falcos[0];
    return {
        mechanism: `Falco ${f.name} (${f.driver} driver) rule match -> falcosidekick -> alert topic (priority ${f.minimumPriority || "any"} and above)`,
        terms: [],
        open: [
            "Falco's evaluation of the syscall against its rules on the node (no published bound; not measured here)",
            "falcosidekick's delivery of the event to SNS (no published bound; not measured here)",
        ],
    };
}

/**
 * S5 detection. For data the breach that matters to recovery is tampering with the backups,
 * which the CloudTrail rule sees; GuardDuty is the other path. For services (a compromised
 * workload touches no bucket setting) Falco and GuardDuty are the paths.
 */
function securityDetection(ctx: Ctx, subject: Subject, objectiveSeconds: number | null): Bound {
    const gd = guardDutyDetection(ctx);
    if (subject === "services") {
        const runtime = runtimeDetection(ctx);
        if (isMissing(runtime) && isMissing(gd)) return { missing: `${gd.missing}; ${runtime.missing}` };
        const chosen = bestFor(objectiveSeconds, runtime, gd);
        if (isMissing(chosen) || isMissing(gd) || chosen === gd) return chosen;
        return { ...chosen, notes: [...(chosen.notes ?? []), `activity Falco's rules do not match relies on ${gd.mechanism}: ${sum(gd.terms)} s of which is ${CONSTANTS.guardDutyNewFindingDelivery.label}`] };
    }
    const chosen = bestFor(objectiveSeconds, tamperDetection(ctx), gd);
    if (isMissing(chosen) || isMissing(gd) || chosen === gd) return chosen;
    return { ...chosen, notes: [...(chosen.notes ?? []), `breaches that leave the backups alone rely on ${gd.mechanism}: ${sum(gd.terms)} s of which is ${CONSTANTS.guardDutyNewFindingDelivery.label}`] };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/**
 * The objectives of one cell. The critical-services RTO caps services in S1-S4 only: S5's own
 * objective (20 minutes, a clean-slate rebuild) is the plan's stated exception to the general
 * RTO, and a 5-minute cap there would demand a rebuild no one can do in that time.
 */
export function objectiveOf(config: FortressConfig, scenario: ScenarioId, subject: Subject) {
    const o = config.objectives.scenarios[scenario];
    const anyCritical = config.services.some((s) => s.critical);
    const rto = subject === "services" && anyCritical && scenario !== "S5" ? Math.min(o.rtoSeconds, config.objectives.criticalServicesRtoSeconds) : o.rtoSeconds;
    const classRpo = subject === "services" ? null : config.objectives.dataClasses[subject].rpoSeconds;
    const rpo = o.rpoSeconds === null ? null : classRpo === null ? o.rpoSeconds : Math.min(o.rpoSeconds, classRpo);
    return { detect: o.detectSeconds, rto, rpo };
}

function primaryRow(ctx: Ctx, scenario: ScenarioId, subject: Subject): Omit<Row, "scenario" | "scenarioName" | "subject"> {
    const obj = objectiveOf(ctx.config, scenario, subject);
    const { regions } = ctx.config;
    const pg = subject === "database" ? pgCluster(ctx) : undefined;
    const cells = (detect: Bound, rto: Bound, rpo: Bound) => ({ detect: cell("detect", obj.detect, detect), rto: cell("rto", obj.rto, rto), rpo: cell("rpo", obj.rpo, rpo) });
    const stateless: Bound = { mechanism: "stateless services", terms: [vendor("statelessServices")] };
    const git: Bound = { mechanism: "configuration in git", terms: [vendor("gitConfiguration")] };

    if (scenario === "S1") {
        if (subject === "services") {
            if (ctx.config.services.length === 0) {
                const none: Bound = { mechanism: "no services configured", terms: [], notes: ["the stack config lists no services"] };
                return { detect: cell("detect", null, none), rto: cell("rto", null, none), rpo: cell("rpo", null, none) };
            }
            const d = probeDetection(ctx);
            return cells(d, then(d, serviceRestore(ctx)), stateless);
        }
        if (subject === "database") {
            if (!pg) return cells({ missing: NO_PG }, { missing: NO_PG }, { missing: NO_PG });
            const d = patroniDetection(pg);
            const promote = measured(ctx, "postgresPromote", "replica promotion");
            const rto = then(d, { mechanism: "promotion of a replica", terms: promote ? [promote] : [], open: promote ? [] : ["promotion of the replica (no postgres drill figure in reports/)"] });
            const rpo: Bound =
                pg.instances >= 2 && pg.synchronousMode
                    ? { mechanism: `Patroni synchronous replication (${pg.instances} instances)`, terms: [vendor("patroniSynchronous")] }
                    : {
                          missing:
                              pg.instances < 2
                                  ? `${pg.name} has ${pg.instances} instance: nothing to fail over to`
                                  : `${pg.name} replicates asynchronously: a failover loses what the replica had not received, bounded in bytes (maximum_lag_on_failover), not time; set spec.patroni.dynamicConfiguration.synchronous_mode: true`,
                      };
            return cells(d, rto, rpo);
        }
        // cache
        const conf = collect(ctx, redisConfigs(ctx.rs));
        const sentinel = conf.find((c) => c.downAfterMilliseconds !== undefined);
        const server = conf.find((c) => c.appendonly !== undefined);
        const d: Bound = sentinel
            ? {
                  mechanism: `Redis Sentinel (ConfigMap ${sentinel.configMap})`,
                  terms: [declared(`down-after-milliseconds ${sentinel.downAfterMilliseconds}`, sentinel.downAfterMilliseconds! / 1000, `${T.configMap} ${sentinel.configMap}.data (sentinel.conf)`), vendor("sentinelPingPeriod")],
              }
            : { missing: `no Redis Sentinel configuration (sentinel down-after-milliseconds in a ${T.configMap}) is declared` };
        const failover = measured(ctx, "redisSentinelFailover", "Sentinel failover");
        const rto = then(d, { mechanism: "Sentinel promotes a replica", terms: failover ? [failover] : [], open: failover ? [] : ["Sentinel's election and promotion (no redis drill figure in reports/)"] });
        let rpo: Bound;
        if (!server?.appendonly) {
            rpo = { missing: `Redis persistence is not declared (appendonly yes in the server's ConfigMap): a restarted server comes back empty` };
        } else {
            const crash = findFigure(ctx.reports, "redisProcessCrashLoss");
            rpo = {
                mechanism: `AOF (appendfsync ${server.appendfsync ?? "everysec"}) on the pod's volume; Sentinel failover to an async replica`,
                terms: crash && crash.value === 0 ? [{ label: `acknowledged writes lost by kill -9 and restart on the same volume: 0 (measured)`, seconds: 0, basis: "measured", ref: crash.ref }] : [],
                open: [
                    ...(crash && crash.value === 0 ? [] : ["writes lost by a process crash (no redis drill figure in reports/)"]),
                    "writes a replica had not received when Sentinel promotes it (asynchronous replication; redis.maxReplicaLagSeconds only alarms)",
                ],
            };
        }
        return cells(d, rto, rpo);
    }

    if (scenario === "S2") {
        if (!pg) return cells({ missing: NO_PG }, { missing: NO_PG }, { missing: NO_PG });
        const checks = collect(ctx, scheduledJobs(ctx.rs)).filter((j) => j.purpose === "verify" && j.dataClass === "database" && j.worstGapSeconds !== undefined);
        let d: Bound;
        if (checks.length === 0) {
            d = { missing: "no integrity check is scheduled for the database (a CronJob running pgbackrest verify or pg_amcheck); corruption is found only when something reads it" };
        } else {
            const job = checks.reduce((a, b) => (a.worstGapSeconds! <= b.worstGapSeconds! ? a : b));
            const run = measured(ctx, "postgresVerify", "verify run time");
            d = {
                mechanism: `integrity check CronJob ${job.name}`,
                terms: [declared(`schedule "${job.schedule}" worst gap`, job.worstGapSeconds!, `${T.cronJob} ${job.name}.spec.schedule`), ...(run ? [run] : [])],
                open: run ? [] : ["the check's own run time (no postgres drill figure in reports/)"],
            };
        }
        d = checksumWatch(ctx, d);
        const restore = measured(ctx, "postgresRestore", "point-in-time restore");
        const rto = then(d, {
            mechanism: "pgBackRest point-in-time restore",
            terms: restore ? [restore] : [],
            open: restore ? [] : ["the point-in-time restore (no postgres drill figure in reports/)"],
            notes: restore ? ["restore time measured on the drill's data set; a larger database restores proportionally longer"] : [],
        });
        return cells(d, rto, walArchive(ctx, pg, () => true, "any repository; PITR stops before the corruption"));
    }

    // S3, S4, S5
    const detect: Bound = scenario === "S5" ? securityDetection(ctx, subject, obj.detect) : dnsDetection(ctx);

    let recovery: Bound;
    if (scenario === "S5") {
        const rebuild: Bound =
            ctx.config.kubernetes.cluster === "eks"
                ? { mechanism: "clean-slate rebuild on a new EKS cluster", terms: [vendor("eksControlPlaneCreatePlanning")], open: ["deploying the platform and restoring from tier 3 (not measured)"], notes: [`AWS states ${CONSTANTS.eksControlPlaneCreateAverage.seconds} s on average (${CONSTANTS.eksControlPlaneCreateAverage.source.ref})`] }
                : drTakeover("a clean-slate rebuild (new cluster, restore from tier 3)");
        const isolate: Bound = { mechanism: "isolation", terms: [], open: ["isolating the breach: revoking the compromised credentials and cutting the compromised workloads off (incident runbook; not measured)"] };
        recovery = then(isolate, rebuild);
    } else {
        const failover = then(dnsSwitch(ctx), drTakeover(subject === "cache" ? "restoring Redis from tier 2 and scaling workloads" : subject === "database" ? "promoting the standby cluster" : "scaling the platform's workloads"));
        recovery = failover;
    }
    if (subject === "cache" && !isMissing(recovery) && scenario !== "S5") {
        const restore = measured(ctx, "redisRestore", "restore of the newest snapshot");
        if (restore) recovery = { ...recovery, terms: [...recovery.terms, restore], notes: [...(recovery.notes ?? []), "Redis restore measured on the drill's data set; a larger data set restores proportionally longer"] };
    }
    const stored = subject === "logs" ? bucketsFor(ctx, "log-archive") : subject === "uploads" ? bucketsFor(ctx, "uploads") : undefined;
    const rto = stored !== undefined && stored.length === 0 ? missingClass(subject) : then(detect, recovery);

    let rpo: Bound;
    switch (subject) {
        case "services":
            rpo = stateless;
            break;
        case "configuration":
            rpo = git;
            break;
        case "uploads":
            rpo = bucketPath(ctx, scenario, subject, "uploads");
            break;
        case "logs": {
            const path = bucketPath(ctx, scenario, subject, "log-archive");
            rpo = isMissing(path)
                ? path
                : { ...path, open: [...(path.open ?? []), "CloudTrail and S3 access-log delivery into the archive (AWS publishes no bound)"], notes: [...(path.notes ?? []), "logs here are the account's audit logs (CloudTrail, S3 access logs) in the log archive; no application log shipping is declared"] };
            break;
        }
        case "database":
            rpo = !pg
                ? { missing: NO_PG }
                : scenario === "S3"
                  ? walArchive(ctx, pg, (r) => r.kind !== "volume", "object storage outlives the cluster and its volumes")
                  : scenario === "S4"
                    ? walArchive(ctx, pg, (r) => r.kind !== "volume" && r.region !== undefined && r.region !== regions.primary, `a region other than ${regions.primary}`)
                    : walArchive(ctx, pg, (r) => r.kind === "s3" && r.region === regions.tier3, `tier 3 (${regions.tier3}, Object Lock) only; tiers 1 and 2 may be tampered with`);
            break;
        case "cache": {
            const jobs = redisJobs(ctx);
            if (scenario === "S3") {
                rpo = snapshotPath(ctx, jobs, "to any tier (S3 outlives the cluster)");
            } else if (scenario === "S4") {
                const direct = snapshotPath(ctx, jobs.filter((j) => j.tier === "tier2" || j.tier === "tier3"), "straight to tier 2 or 3 (out of the region)");
                // Only rules on the tier-1 bucket carry its snapshots (another bucket's rule with an
                // empty prefix covers "tier1/" too, but replicates something else).
                const tier1Bucket = ctx.rs.find((r) => r.type === T.bucket && r.props.tags?.["fortress:tier"] === "tier1");
                const rtc = (tier1Bucket ? replicationFrom(ctx, tier1Bucket) : []).find((r) => "tier1/".startsWith(r.prefix) && r.rtcMinutes !== undefined);
                const tier1 = snapshotPath(ctx, jobs.filter((j) => j.tier === "tier1"), `to tier 1, replicated by rule ${rtc?.id}`);
                const replicated: Bound =
                    !rtc
                        ? { missing: "no replication rule with Replication Time Control covers tier1/: replication without RTC has no time bound" }
                        : isMissing(tier1)
                          ? tier1
                          : { ...tier1, ...rtcTerms(ctx, rtc, tier1.terms), notes: [...(tier1.notes ?? []), ...rtcTerms(ctx, rtc, []).notes!] };
                rpo = bestFor(obj.rpo, direct, replicated);
            } else {
                rpo = snapshotPath(ctx, jobs.filter((j) => j.tier === "tier3"), "to tier 3 (immutable)");
            }
            break;
        }
    }
    return cells(detect, rto, rpo);
}

function drRow(ctx: Ctx, scenario: ScenarioId, subject: Subject): Omit<Row, "scenario" | "scenarioName" | "subject"> {
    const obj = objectiveOf(ctx.config, scenario, subject);
    const owner = `the primary stack (${ctx.config.dr?.primaryStack ?? "?"})`;
    if (scenario !== "S3" && scenario !== "S4") {
        return { detect: notOwned("detect", obj.detect, owner), rto: notOwned("rto", obj.rto, owner), rpo: notOwned("rpo", obj.rpo, owner) };
    }
    let rto: Bound;
    if (ctx.config.dr?.mode === "rebuild") {
        rto =
            ctx.config.kubernetes.cluster === "eks"
                ? { mechanism: "rebuild on a new EKS cluster", terms: [vendor("eksControlPlaneCreatePlanning")], open: [`restoring from ${ctx.config.dr.restoreFrom} and deploying (not measured)`] }
                : drTakeover(`restoring from ${ctx.config.dr.restoreFrom} and deploying`);
    } else if (ctx.config.dr?.promote) {
        rto = drTakeover(subject === "database" ? "the promoted cluster taking writes" : "workloads serving from the promoted region");
    } else {
        const standby = collect(ctx, pgClusters(ctx.rs)).some((c) => c.standby);
        rto =
            subject === "database" && !standby
                ? { missing: `pilot-light mode, but no standby PostgreSQL cluster (${T.pgCluster} with spec.standby.enabled) is declared` }
                : drTakeover(subject === "database" ? "promoting the standby cluster" : "scaling workloads up and pointing them at the promoted database");
    }
    return { detect: notOwned("detect", obj.detect, owner), rto: cell("rto", obj.rto, rto), rpo: notOwned("rpo", obj.rpo, owner) };
}

// ---------------------------------------------------------------------------------------------

/** Computes the objectives table of one stack. Pure: same input, same table. */
export function computeObjectives(input: ModelInput): ObjectivesTable {
    const ctx: Ctx = { config: input.config, rs: input.resources, reports: input.reports ?? [], unknown: [] };
    const rows: Row[] = [];
    for (const [scenario, subjects] of ROWS) {
        for (const subject of subjects) {
            const cells = input.config.role === "dr" ? drRow(ctx, scenario, subject) : primaryRow(ctx, scenario, subject);
            rows.push({ scenario, scenarioName: SCENARIO_NAMES[scenario], subject, ...cells });
        }
    }
    const summary: Record<CellStatus, number> = { within: 0, typical: 0, exceeds: 0, missing: 0, open: 0, informational: 0, "not-owned": 0 };
    const seen = new Map<string, ConstantUse>();
    for (const row of rows) {
        for (const c of [row.detect, row.rto, row.rpo]) {
            summary[c.status]++;
            for (const t of [...c.terms, ...(c.typicalTerms ?? [])]) {
                const key = `${t.label}|${t.ref}`;
                if (seen.has(key)) continue;
                const vc = Object.values(CONSTANTS).find((k) => k.source.ref === t.ref);
                seen.set(key, { label: t.label, value: `${t.seconds} s`, basis: t.basis, ref: t.ref, says: vc?.source.says });
            }
        }
    }
    const unknown = [...new Set(ctx.unknown)].map((u) => `unknown until deployed, so not counted: ${u}`);
    return {
        stack: input.stack,
        environment: input.config.environment,
        role: input.config.role,
        rows,
        constants: [...seen.values()],
        notes: [...(input.notes ?? []), ...unknown],
        summary,
    };
}

/** Cells that break an objective: a missing mechanism, or known terms over the budget. */
export function failingCells(table: ObjectivesTable): { row: Row; cell: Cell }[] {
    return table.rows.flatMap((row) => [row.detect, row.rto, row.rpo].filter((c) => c.status === "exceeds" || c.status === "missing").map((cell) => ({ row, cell })));
}

/** Cells whose known terms fit but which depend on an unmeasured term, or hold only typically. */
export function openCells(table: ObjectivesTable): { row: Row; cell: Cell }[] {
    return table.rows.flatMap((row) => [row.detect, row.rto, row.rpo].filter((c) => c.status === "open" || c.status === "typical").map((cell) => ({ row, cell })));
}

/** One line describing a cell, for findings and logs. */
export function describeCell(row: Row, c: Cell): string {
    const what = `${row.scenario} ${row.scenarioName} / ${row.subject} / ${c.metric === "detect" ? "detection" : c.metric.toUpperCase()}`;
    const objective = c.objectiveSeconds === null ? "no objective" : `objective ${c.objectiveSeconds} s`;
    if (c.status === "missing") return `${what}: not achievable (${objective}): ${c.notes[0]}`;
    const known = `${c.achievableSeconds} s via ${c.mechanism} [${c.terms.map((t) => `${t.label} = ${t.seconds} s`).join(" + ") || "no fixed terms"}]`;
    if (c.status === "exceeds") return `${what}: ${known} exceeds the ${objective}`;
    if (c.status === "open" || c.status === "typical") return `${what}: ${known}; ${c.notes[c.notes.length - 1]}`;
    return `${what}: ${known} (${objective})`;
}

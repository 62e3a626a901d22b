/**
 * PostgreSQL: the PerconaPGCluster (Patroni, WAL archiving, pgBackRest repos and schedules, volume size) and the data-checksum watch.
 */
import { LABEL_KEYS } from "../../components/core/names";
import { maxIntervalSeconds } from "../../components/core/cron";
import { BUDGETS, PATRONI_DEFAULTS, vendor } from "../constants";
import { findWorstRun } from "../figures";
import { ModelContext, collect, figure, measured, quantityBytes, scaled } from "../input";
import { Known, RESOURCE_TYPES, extract, readKnown } from "../resources";
import { Bound, Path, Term, budget, declared, isMissing, sum } from "../terms";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredPgRepo {
    readonly name: string;
    readonly kind: "volume" | "s3" | "gcs" | "azure" | "unknown";
    readonly bucket?: string;
    readonly region?: string;
    readonly schedules: { readonly full?: string; readonly differential?: string; readonly incremental?: string };
}

export interface DeclaredPgCluster {
    readonly name: string;
    readonly instances: number;
    readonly leaderLeaseSeconds: number;
    readonly syncPeriodSeconds: number;
    readonly synchronousMode: boolean;
    /** archive_timeout in seconds; undefined when not set (PostgreSQL default 0: never forced). */
    readonly archiveTimeoutSeconds?: number;
    readonly archiveTimeoutText?: string;
    readonly repos: readonly DeclaredPgRepo[];
    readonly global: Readonly<Record<string, string>>;
    readonly standby: boolean;
    /** The declared data volume of an instance (dataVolumeClaimSpec storage), in bytes. */
    readonly volumeBytes?: number;
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

export function pgClusters(resources: readonly RecordedResource[]) {
    return extract<DeclaredPgCluster>(resources, RESOURCE_TYPES.pgCluster, (r) => {
        const spec = r.inputs.spec ?? {};
        const patroni = spec.patroni ?? {};
        const dyn = patroni.dynamicConfiguration ?? {};
        const params = dyn.postgresql?.parameters ?? {};
        const instances = Array.isArray(spec.instances) ? spec.instances.reduce((n: number, i: any) => n + (typeof i?.replicas === "number" ? i.replicas : 1), 0) : 0;
        const pgb = spec.backups?.pgbackrest ?? {};
        const repos: DeclaredPgRepo[] = (Array.isArray(pgb.repos) ? pgb.repos : []).map((repo: any) => ({
            name: String(repo?.name ?? "?"),
            kind: repo?.volume ? "volume" : repo?.s3 ? "s3" : repo?.gcs ? "gcs" : repo?.azure ? "azure" : "unknown",
            bucket: repo?.s3?.bucket ?? repo?.gcs?.bucket,
            region: repo?.s3?.region,
            schedules: { ...(repo?.schedules ?? {}) },
        }));
        const sync = dyn.synchronous_mode;
        return {
            name: String(r.inputs.metadata?.name ?? r.name),
            instances,
            leaderLeaseSeconds: typeof patroni.leaderLeaseDurationSeconds === "number" ? patroni.leaderLeaseDurationSeconds : PATRONI_DEFAULTS.leaderLeaseDurationSeconds,
            syncPeriodSeconds: typeof patroni.syncPeriodSeconds === "number" ? patroni.syncPeriodSeconds : PATRONI_DEFAULTS.syncPeriodSeconds,
            synchronousMode: sync === true || sync === "on" || sync === "true" || sync === "quorum",
            archiveTimeoutSeconds: pgSeconds(params.archive_timeout),
            archiveTimeoutText: params.archive_timeout === undefined ? undefined : String(params.archive_timeout),
            repos,
            global: Object.fromEntries(Object.entries(pgb.global ?? {}).map(([k, v]) => [k, String(v)])),
            standby: spec.standby?.enabled === true,
            volumeBytes: quantityBytes(Array.isArray(spec.instances) ? spec.instances[0]?.dataVolumeClaimSpec?.resources?.requests?.storage : undefined),
        };
    });
}


/**
 * The pod label that marks a Deployment as the database's checksum watch
 * (jobs/pg-integrity-watch.sh); components/postgres/integrity-watch.ts sets it.
 */
export const INTEGRITY_WATCH_LABEL = Object.freeze({ key: LABEL_KEYS.purpose, value: "integrity-watch" as const });

export interface DeclaredIntegrityWatch {
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
export function integrityWatches(resources: readonly RecordedResource[]) {
    return extract<DeclaredIntegrityWatch>(resources, RESOURCE_TYPES.deployment, (r) => {
        const p = r.inputs;
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
// Bounds

export const NO_PG = `no PostgreSQL cluster (${RESOURCE_TYPES.pgCluster}) is declared in this stack`;

export function pgCluster(ctx: ModelContext): DeclaredPgCluster | undefined {
    return collect(ctx, pgClusters(ctx.resources)).find((c) => !c.standby);
}

/** Patroni notices a lost leader when its lease expires, acted on at the next HA loop. */
export function patroniDetection(pg: DeclaredPgCluster): Bound {
    const ref = `${RESOURCE_TYPES.pgCluster} ${pg.name}.spec.patroni`;
    const term = (label: string, v: number, def: number, field: string) =>
        v === def ? vendor("patroniDefaults", `${label} ${v} s (default)`, v) : declared(`${label} ${v} s`, v, `${ref}.${field}`);
    return {
        mechanism: "Patroni leader lease expiry",
        terms: [term("leader lease (ttl)", pg.leaderLeaseSeconds, PATRONI_DEFAULTS.leaderLeaseDurationSeconds, "leaderLeaseDurationSeconds"), term("sync period (loop_wait)", pg.syncPeriodSeconds, PATRONI_DEFAULTS.syncPeriodSeconds, "syncPeriodSeconds")],
    };
}

/** Promotion of a replica in the region: the failover drill's RTO when it exists, else a budget. */
export function inRegionPromotion(ctx: ModelContext): Bound {
    const m = measured(ctx, "failover.inregion.rto_seconds", "in-region failover, kill to writes accepted (includes the drill's own detection: conservative)");
    return { mechanism: "promotion of a replica", terms: [m ?? budget("promotion of a replica", BUDGETS.patroniPromotion.seconds, BUDGETS.patroniPromotion.from)] };
}

/** Promotion of the DR standby cluster. */
export function standbyPromotion(ctx: ModelContext): Bound {
    const m = measured(ctx, "failover.regional.rto_seconds", "regional failover: DR standby promoted, writes accepted");
    return { mechanism: "promotion of the DR standby cluster", terms: [m ?? budget("promoting the DR standby cluster", BUDGETS.standbyPromotion.seconds, BUDGETS.standbyPromotion.from)] };
}

/**
 * What the async archiver adds beyond archive_timeout: a drill's worst loss window minus the
 * archive_timeout it ran with. `outage`: with a tier-2 endpoint unreachable (the archiver
 * pushes every repo, so one unreachable S3 repo stalls the others up to its io-timeout).
 */
function archiveDelivery(ctx: ModelContext, outage: boolean): Term {
    const id = outage ? "postgres.tier2_outage.loss_window_seconds" : "postgres.load.loss_window_seconds";
    // Both from one run: the run whose delivery beyond its own archive_timeout was longest.
    const pair = findWorstRun(ctx.reports, [id, "postgres.config.archive_timeout_seconds"], (f) => f[id].value - f["postgres.config.archive_timeout_seconds"].value);
    const loss = pair?.[id];
    const timeout = pair?.["postgres.config.archive_timeout_seconds"];
    if (!loss || !timeout || loss.unit !== "s" || timeout.unit !== "s") {
        return budget(`the async archiver's delivery after archive_timeout${outage ? " with a repo unreachable" : ""}`, 30, "allowance until the postgres drill's loss-window figures exist: one archive_timeout again");
    }
    const seconds = Math.max(0, Math.round((loss.value - timeout.value) * 10) / 10);
    return {
        label: `WAL delivery beyond archive_timeout${outage ? " while tier 2 is unreachable" : " under load"} (measured, ${loss.context})`,
        seconds,
        basis: "measured",
        source: `${loss.ref}, ${timeout.ref}`,
        arithmetic: `${loss.value} s loss window - ${timeout.value} s drill archive_timeout = ${seconds} s`,
    };
}

/**
 * Loss bounded by WAL archiving to the repositories that survive the scenario. The worst case
 * includes a tier-2 outage at the moment of the disaster when a tier-2 repo is among the
 * archive targets (the archiver then stalls every repo).
 */
export function walArchive(ctx: ModelContext, pg: DeclaredPgCluster, survives: (repo: DeclaredPgRepo) => boolean, where: string): Bound {
    const repos = pg.repos.filter(survives);
    if (repos.length === 0) return { missing: `no pgBackRest repository of ${pg.name} survives: ${where}` };
    if (pg.archiveTimeoutSeconds === undefined || pg.archiveTimeoutSeconds <= 0) {
        return { missing: `archive_timeout is not set on ${pg.name}: a WAL segment is archived only when it fills (16 MB), so time-based loss is unbounded` };
    }
    const s3Repos = pg.repos.filter((r) => r.kind === "s3").length;
    return {
        mechanism: `WAL archived to ${repos.map((r) => r.name).join(", ")} (${where})`,
        terms: [
            declared(`archive_timeout ${pg.archiveTimeoutText}`, pg.archiveTimeoutSeconds, `${RESOURCE_TYPES.pgCluster} ${pg.name}.spec.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout`),
            archiveDelivery(ctx, s3Repos > 0),
        ],
        notes: s3Repos > 0 ? ["worst case: an S3 repo unreachable when the disaster strikes (drill case (e)); the healthy-S3 figure is not a bound"] : [],
    };
}

/** S2: the guaranteed detector, the scheduled verify (labelled data-class database, purpose verify). */
export function verifyDetection(ctx: ModelContext, jobs: readonly { name: string; schedule: string; worstGapSeconds?: number; dataClass?: string; purpose?: string }[]): Bound {
    const checks = jobs.filter((j) => j.purpose === "verify" && j.dataClass === "database" && j.worstGapSeconds !== undefined);
    if (checks.length === 0) return { missing: "no integrity check is scheduled for the database (a CronJob labelled fortress/purpose=verify, fortress/data-class=database)" };
    const job = checks.reduce((a, b) => (a.worstGapSeconds! <= b.worstGapSeconds! ? a : b));
    const runs = (["postgres.verify.repo1.seconds", "postgres.verify.repo2.seconds", "postgres.verify.repo3.seconds", "postgres.verify.restore_test_seconds"] as const).map((id) => measured(ctx, id, id.replace("postgres.verify.", "verify ")));
    const known = runs.filter((t): t is Term => t !== undefined);
    return {
        mechanism: `integrity check CronJob ${job.name} (pgbackrest verify and a restore test)`,
        terms: [declared(`schedule "${job.schedule}" worst gap`, job.worstGapSeconds!, `${RESOURCE_TYPES.cronJob} ${job.name}.spec.schedule`), ...(known.length === runs.length ? known : [budget("the check's own run time", 600, "allowance until the postgres drill's verify figures exist")])],
        notes: ["verify run times measured on the drill's data set; they grow with the repository"],
    };
}

/**
 * S2 detection by the data-checksum watch: typical, never a bound. PostgreSQL counts a
 * checksum failure only when the corrupted page is read; a page nothing reads is never counted.
 */
export function checksumWatch(ctx: ModelContext): Bound {
    const watches = collect(ctx, integrityWatches(ctx.resources)).filter((w) => w.replicas >= 1 && w.alertsTopic);
    if (watches.length === 0) return { missing: "no data-checksum watch (a Deployment labelled fortress/purpose=integrity-watch with an alert topic)" };
    const w = watches.reduce((a, b) => (a.intervalSeconds + a.queryTimeoutSeconds <= b.intervalSeconds + b.queryTimeoutSeconds ? a : b));
    const ref = `${RESOURCE_TYPES.deployment} ${w.name}.spec.template.spec.containers[].env`;
    return {
        mechanism: `data-checksum watch ${w.name} (pg_stat_database.checksum_failures -> alert topic)`,
        terms: [
            { label: `WATCH_INTERVAL_SECONDS ${w.intervalSeconds}, counted from the first read of the corrupted page (a page nothing reads is never counted: typical, not a bound)`, seconds: w.intervalSeconds, basis: "typical", source: ref },
            declared(`QUERY_TIMEOUT_SECONDS ${w.queryTimeoutSeconds}: the longest one round's query may take`, w.queryTimeoutSeconds, ref),
        ],
    };
}

const MiB = 2 ** 20;

/** The smallest worst gap of a repo's backup schedules: the WAL a restore must replay since its newest backup. */
function backupGap(repo: DeclaredPgRepo): number | undefined {
    const gaps = Object.values(repo.schedules)
        .filter((c): c is string => typeof c === "string")
        .map((c) => {
            try {
                return maxIntervalSeconds(c);
            } catch {
                return undefined;
            }
        })
        .filter((g): g is number => g !== undefined);
    return gaps.length ? Math.min(...gaps) : undefined;
}

/**
 * A point-in-time restore of the declared volume from a repo: the files at the measured
 * restore rate (repo1: the PITR case; an S3 repo: the tier-2 restore case), then the WAL
 * since the newest backup by schedule (the drill's WAL rate x the schedule's worst gap) at the
 * measured replay rate.
 */
export function pitrRestore(ctx: ModelContext, pg: DeclaredPgCluster, repo: DeclaredPgRepo): Path {
    const volume = pg.volumeBytes;
    const local = repo.kind === "volume";
    const files =
        volume === undefined
            ? undefined
            : local
              ? scaled(ctx, `pgBackRest restore from ${repo.name}`, "postgres.pitr.restored_bytes", "postgres.pitr.pgbackrest_restore_seconds", volume, `declared volume ${Math.round(volume / MiB)} MiB`)
              : scaled(ctx, `pgBackRest restore from ${repo.name} (S3)`, "postgres.crash.restored_bytes", "postgres.crash.pgbackrest_restore_seconds", volume, `declared volume ${Math.round(volume / MiB)} MiB`);
    const gap = backupGap(repo);
    const walRate = figure(ctx, "postgres.load.wal_mib_per_second");
    const walBytes = gap !== undefined && walRate ? gap * walRate.value * MiB : undefined;
    const replay = walBytes !== undefined ? scaled(ctx, `WAL replay since the newest backup (${gap} s of WAL at the drill's ${walRate!.value} MiB/s)`, "postgres.pitr.wal_replayed_bytes", "postgres.pitr.replay_seconds", walBytes, `${Math.round(walBytes / MiB)} MiB of WAL`) : undefined;
    return {
        mechanism: `pgBackRest point-in-time restore from ${repo.name}`,
        terms: [
            files ?? budget(`restoring the ${volume === undefined ? "undeclared" : `${Math.round(volume / MiB)} MiB`} volume from ${repo.name}`, 1800, "allowance until the postgres drill's restore size and time figures exist"),
            replay ?? budget(`replaying the WAL since ${repo.name}'s newest backup`, 300, "allowance until the postgres drill's replay figures exist"),
        ],
        notes: ["the volume is assumed full (worst case); the WAL rate is the drill's pgbench load, not production's"],
    };
}

/** The fastest restore among the repos that survive. */
export function bestRestore(ctx: ModelContext, pg: DeclaredPgCluster, survives: (r: DeclaredPgRepo) => boolean): Bound {
    const paths = pg.repos.filter(survives).map((r) => pitrRestore(ctx, pg, r));
    if (paths.length === 0) return { missing: `no pgBackRest repository of ${pg.name} survives to restore from` };
    return paths.reduce((a, b) => (sum(a.terms) <= sum(b.terms) ? a : b));
}

export { isMissing };

/**
 * The one place that turns the tier config into pgBackRest settings: which repository is
 * which tier, each repository's schedules and retention, encryption, compression, the async
 * WAL archiver and its bounds, and the `archive_timeout` that the database RPO asks for.
 *
 * Pure (no Pulumi import). Two consumers read the same object:
 *   - the PerconaPGCluster component, which puts the options into `backups.pgbackrest.global`
 *     and the repository locations into `backups.pgbackrest.repos[]` (the operator writes
 *     `repoN-type`, `repoN-path` and `repoN-s3-*` itself from those fields);
 *   - the drill (drills/postgres), which writes every option into a real pgbackrest.conf and
 *     runs PostgreSQL 15 + pgBackRest against it, so the numbers it measures are the numbers
 *     of this configuration.
 */
import type { FortressConfig, PgRepoSchedule, TierId } from "../../config";
import { tierPrefix } from "../storage/retention";

/** Where a repository lives. `path` omitted: the operator's default (`/pgbackrest/repoN`). */
export type RepoLocation =
    | { readonly kind: "posix"; readonly path?: string }
    | {
          readonly kind: "s3";
          readonly bucket: string;
          readonly region: string;
          /** Host name, or host:port; no scheme (pgBackRest always speaks HTTPS to S3). */
          readonly endpoint: string;
          readonly path?: string;
          /**
           * `web-id`: IRSA (the pod's projected token and AWS_ROLE_ARN); `shared`: a key pair
           * delivered as secret options (the drill's local S3 endpoint only).
           */
          readonly credentials: "web-id" | "shared";
          /** `path` for endpoints without virtual-host buckets (the drill's endpoint). @default "host" */
          readonly uriStyle?: "host" | "path";
          /** CA bundle to verify the endpoint with. @default the system store */
          readonly caFile?: string;
      };

export interface PgBackRestInput {
    /** `tiers.database` of the stack config: full/diff/incr schedules and retention per tier. */
    readonly schedules: Readonly<Record<TierId, PgRepoSchedule>>;
    /** `objectives.dataClasses.database.rpoSeconds`. */
    readonly databaseRpoSeconds: number;
    /** Bound of the local WAL queue, e.g. "4GiB" (`postgres.walQueueMax`). */
    readonly walQueueMax: string;
    /**
     * Seconds one S3 read/write of WAL archiving may make no progress (`postgres.archivePushIoTimeoutSeconds`).
     * Backups and restores keep pgBackRest's default.
     */
    readonly archivePushIoTimeoutSeconds: number;
    /** Parallel processes of the async archiver and of backups (`postgres.archiveProcessMax`). */
    readonly processMax: number;
    readonly locations: Readonly<Record<TierId, RepoLocation>>;
}

export interface RenderedRepo {
    /** 1-based pgBackRest repository index. */
    readonly index: number;
    /** "repo1" .. "repo3": the operator's repository name and the `--repo` selector. */
    readonly name: string;
    readonly tier: TierId;
    readonly location: RepoLocation;
    readonly schedules: { readonly full: string; readonly differential?: string; readonly incremental?: string };
    readonly retentionFullDays: number;
}

export interface PgBackRestSettings {
    readonly repos: readonly RenderedRepo[];
    /** The `[global]` section: every non-secret option, repository locations included. */
    readonly options: Readonly<Record<string, string>>;
    /**
     * The `[global:archive-push]` section: tight timeouts for WAL archiving only, so an
     * unreachable S3 repo holds back the local repo for seconds, not minutes, while backups
     * and restores keep their patience for large transfers.
     */
    readonly archivePushOptions: Readonly<Record<string, string>>;
    /** Options whose values are secrets and must be delivered separately (a Kubernetes Secret, a 0600 file). */
    readonly secretOptions: readonly string[];
    /** PostgreSQL parameters the archive depends on. */
    readonly postgresParameters: Readonly<Record<string, string>>;
    readonly archiveTimeoutSeconds: number;
}

/** The repository each tier maps to (docs/architecture.md, "PostgreSQL": repo1 = tier 1, repo2 = tier 2, repo3 = tier 3): the order is the repo index. */
export const TIER_REPOS: readonly TierId[] = ["tier1", "tier2", "tier3"];

/**
 * `archive_timeout` takes half of the database RPO. A crash loses at most the WAL written
 * since the last segment switch (≤ archive_timeout) plus what the async archiver had not yet
 * delivered; the other half is that delivery's budget. The drill measures both parts.
 */
export const ARCHIVE_TIMEOUT_SHARE_OF_RPO = 0.5;

export class PgBackRestConfigError extends Error {
    constructor(field: string, problem: string) {
        super(`${field}: ${problem}`);
        this.name = "PgBackRestConfigError";
    }
}

const QUEUE_SIZE = /^(\d+)(GiB|MiB)$/;

/** "4GiB" → "4GiB" in pgBackRest's spelling ("4GB" means GiB to pgBackRest). */
function pgBackRestSize(field: string, value: string): string {
    const m = QUEUE_SIZE.exec(value);
    if (!m || Number(m[1]) === 0) {
        throw new PgBackRestConfigError(field, `got "${value}"; use a positive size such as "4GiB" or "512MiB"`);
    }
    // pgBackRest sizes are binary multiples written KB/MB/GB.
    return `${m[1]}${m[2] === "GiB" ? "GB" : "MB"}`;
}

function locationOptions(repo: string, loc: RepoLocation, field: string): Record<string, string> {
    if (loc.kind === "posix") {
        return { [`${repo}-type`]: "posix", ...(loc.path !== undefined ? { [`${repo}-path`]: loc.path } : {}) };
    }
    for (const key of ["bucket", "region", "endpoint"] as const) {
        if (loc[key].trim() === "") throw new PgBackRestConfigError(`${field}.${key}`, "must not be empty");
    }
    if (/^[a-z]+:\/\//i.test(loc.endpoint)) {
        throw new PgBackRestConfigError(`${field}.endpoint`, `got "${loc.endpoint}"; give the host (and :port) without a scheme — pgBackRest always uses HTTPS`);
    }
    const [host, port] = loc.endpoint.split(":");
    return {
        [`${repo}-type`]: "s3",
        [`${repo}-s3-bucket`]: loc.bucket,
        [`${repo}-s3-region`]: loc.region,
        [`${repo}-s3-endpoint`]: host,
        ...(port !== undefined ? { [`${repo}-storage-port`]: port } : {}),
        ...(loc.path !== undefined ? { [`${repo}-path`]: loc.path } : {}),
        [`${repo}-s3-key-type`]: loc.credentials === "web-id" ? "web-id" : "shared",
        ...(loc.uriStyle !== undefined ? { [`${repo}-s3-uri-style`]: loc.uriStyle } : {}),
        ...(loc.caFile !== undefined ? { [`${repo}-storage-ca-file`]: loc.caFile } : {}),
    };
}

/**
 * Where a tier's S3 repo keeps its files: the database's prefix of the tier bucket's key
 * layout (`<tier>/database/`), so the bucket's lifecycle rule for the data class applies.
 */
export function s3RepoPath(tier: TierId): string {
    return `/${tierPrefix(tier, "database").replace(/\/$/, "")}`;
}

/** Renders the pgBackRest settings of the three tiers. Throws PgBackRestConfigError naming the field. */
export function renderPgBackRest(input: PgBackRestInput): PgBackRestSettings {
    const rpo = input.databaseRpoSeconds;
    if (!Number.isInteger(rpo) || rpo < 2) {
        throw new PgBackRestConfigError(
            "objectives.dataClasses.database.rpoSeconds",
            `got ${rpo}; WAL archiving cannot bound loss below 2 s — use at least 2 (synchronous replication covers the in-region case)`,
        );
    }
    const io = input.archivePushIoTimeoutSeconds;
    if (!Number.isInteger(io) || io < 1) {
        throw new PgBackRestConfigError("postgres.archivePushIoTimeoutSeconds", `got ${io}; use a whole number of seconds ≥ 1`);
    }
    if (!Number.isInteger(input.processMax) || input.processMax < 1) {
        throw new PgBackRestConfigError("postgres.archiveProcessMax", `got ${input.processMax}; use a whole number ≥ 1`);
    }
    const archiveTimeoutSeconds = Math.max(1, Math.floor(rpo * ARCHIVE_TIMEOUT_SHARE_OF_RPO));

    const options: Record<string, string> = {
        "compress-type": "zst",
        "archive-async": "y",
        "archive-push-queue-max": pgBackRestSize("postgres.walQueueMax", input.walQueueMax),
        "process-max": String(input.processMax),
        // Scheduled and manual backups checkpoint at once rather than waiting for the next one.
        "start-fast": "y",
        // Restores reuse matching files in place (the standby rebuild, the restore test).
        delta: "y",
    };
    const secretOptions: string[] = [];
    const repos: RenderedRepo[] = TIER_REPOS.map((tier, i) => {
        const index = i + 1;
        const name = `repo${index}`;
        const s = input.schedules[tier];
        const location = input.locations[tier];
        if (location === undefined) throw new PgBackRestConfigError(`locations.${tier}`, "required: every tier needs a repository location");
        Object.assign(options, locationOptions(name, location, `locations.${tier}`));
        options[`${name}-retention-full-type`] = "time";
        options[`${name}-retention-full`] = String(s.retentionDays);
        options[`${name}-cipher-type`] = "aes-256-cbc";
        // Small files travel in bundles: a fraction of the S3 requests (a 20 MB database took
        // 22 s to back up to S3 file by file, 3 s bundled), fewer locked versions in tier 3.
        options[`${name}-bundle`] = "y";
        secretOptions.push(`${name}-cipher-pass`);
        if (location.kind === "s3" && location.credentials === "shared") secretOptions.push(`${name}-s3-key`, `${name}-s3-key-secret`);
        return {
            index,
            name,
            tier,
            location,
            schedules: {
                full: s.full,
                ...(s.differential !== undefined ? { differential: s.differential } : {}),
                ...(s.incremental !== undefined ? { incremental: s.incremental } : {}),
            },
            retentionFullDays: s.retentionDays,
        };
    });
    return {
        repos,
        options,
        archivePushOptions: {
            "io-timeout": String(io),
            // The foreground archive-push waits this long for the async run; once it gives up,
            // PostgreSQL retries and a new run starts. The default (60 s) made each cycle a minute.
            "archive-timeout": String(archivePushCycleSeconds(io)),
        },
        secretOptions,
        postgresParameters: { archive_mode: "on", archive_timeout: `${archiveTimeoutSeconds}s` },
        archiveTimeoutSeconds,
    };
}

/** The settings of a stack: its tiers, its database RPO and its postgres section, at the given locations. */
export function renderFromConfig(config: Pick<FortressConfig, "tiers" | "objectives" | "postgres">, locations: PgBackRestInput["locations"]): PgBackRestSettings {
    return renderPgBackRest({
        schedules: config.tiers.database,
        databaseRpoSeconds: config.objectives.dataClasses.database.rpoSeconds,
        walQueueMax: config.postgres.walQueueMax,
        archivePushIoTimeoutSeconds: config.postgres.archivePushIoTimeoutSeconds,
        processMax: config.postgres.archiveProcessMax,
        locations,
    });
}

/**
 * Options the Percona operator writes itself from `backups.pgbackrest.repos[]` and must not
 * appear again in `global` (a second value would be ambiguous to pgBackRest).
 */
const OPERATOR_MANAGED = /^repo\d+-(type|s3-bucket|s3-region|s3-endpoint)$/;

/** The `global` map for the PerconaPGCluster: everything but what the operator derives from `repos[]`. */
export function operatorGlobalOptions(settings: PgBackRestSettings): Record<string, string> {
    return Object.fromEntries(Object.entries(settings.options).filter(([k]) => !OPERATOR_MANAGED.test(k)));
}

/** pgbackrest.conf text; sections in the given order, keys sorted for a stable diff. */
export function toIni(sections: Readonly<Record<string, Readonly<Record<string, string>>>>): string {
    return Object.entries(sections)
        .map(([section, kv]) => {
            const lines = Object.keys(kv)
                .sort()
                .map((k) => {
                    if (/[\r\n]/.test(kv[k])) throw new PgBackRestConfigError(`[${section}] ${k}`, "a value must not contain a line break");
                    return `${k}=${kv[k]}`;
                });
            return `[${section}]\n${lines.join("\n")}\n`;
        })
        .join("\n");
}

/**
 * While an S3 repo is unreachable, each async archive-push run first waits on that repo:
 * pgBackRest 2.45 reads archive.info and archive.info.copy, with a retry, each wait ending at
 * io-timeout — measured as 8 × io-timeout per run (drill (e), docs/postgres.md). Only then does
 * the run push the queue to the repos that answer. The foreground archive-push gives up after
 * archive-timeout, which is set to that same figure so the next run follows at once.
 */
export const S3_WAITS_PER_RUN = 8;

/** One async archive-push cycle while an S3 repo is down, in seconds. */
export function archivePushCycleSeconds(ioTimeoutSeconds: number): number {
    return S3_WAITS_PER_RUN * ioTimeoutSeconds;
}

/**
 * Between two runs: PostgreSQL sleeps 1 s before retrying a failed archive_command, then
 * pgBackRest starts its processes. Drill runs (io-timeout 2 s) saw tier 1 stall 36 s to
 * 42.6 s, i.e. up to 2 × (16 s + 5.3 s); 8 s leaves room for a loaded two-core machine.
 */
export const ARCHIVER_RESTART_SECONDS = 8;

/** The longest tier 1 may go without a new WAL segment while an S3 repo is down: two cycles. */
export function tier1StallBoundSeconds(settings: PgBackRestSettings): number {
    return 2 * (archivePushCycleSeconds(Number(settings.archivePushOptions["io-timeout"])) + ARCHIVER_RESTART_SECONDS);
}

/**
 * The worst time-based loss window of the local repo (tier 1) while an S3 repo is down: WAL
 * waits up to archive_timeout for its segment switch, then up to two cycles — the run already
 * under way when the segment completed, and the run that pushes it.
 */
export function tier1LossBoundSeconds(settings: PgBackRestSettings): number {
    return settings.archiveTimeoutSeconds + tier1StallBoundSeconds(settings);
}

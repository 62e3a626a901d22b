/**
 * Measured figures: the model reads them from the drill reports the project commits
 * (`reports/drill-<name>.json`, written by `npm run drill`). A figure is used only if a
 * report holds it; a missing figure leaves its term open, it is never filled in.
 *
 * Which figure feeds which term is listed in MEASURED below, by drill and figure name, so a
 * reader can find the number the table printed in the report it came from.
 */
import * as fs from "fs";
import * as path from "path";

/** The parts of a drill report (drills/types.ts DrillReport) the model reads. */
export interface DrillReportLike {
    readonly drill: string;
    readonly startedAt?: string;
    readonly machine?: { readonly cpus?: number; readonly cpuModel?: string; readonly memoryGiB?: number };
    readonly figures: readonly { readonly name: string; readonly value: number | string; readonly unit: string }[];
}

export interface MeasuredFigure {
    readonly drill: string;
    readonly name: string;
    readonly value: number;
    readonly unit: string;
    /** Where it came from: `reports/drill-redis.json#"snapshot total"`. */
    readonly ref: string;
    /** The machine and date of the measurement, for the reader to judge its scale. */
    readonly context: string;
}

export interface MeasuredSpec {
    readonly drill: string;
    /** Exact figure name, or a pattern when a drill names figures with a parameter in them. */
    readonly figure: string | RegExp;
    /** What the model uses it for. */
    readonly usedFor: string;
}

/** Every drill figure the model reads. */
export const MEASURED = Object.freeze({
    redisSnapshotJob: {
        drill: "redis",
        figure: "snapshot total",
        usedFor: "time from a snapshot's start until it is stored: the newest usable snapshot is up to one interval plus this old",
    },
    redisProcessCrashLoss: {
        drill: "redis",
        figure: "keys lost, restart on same volume (AOF everysec)",
        usedFor: "acknowledged writes lost when the Redis process is killed and restarts on its volume (S1)",
    },
    redisRestore: {
        drill: "redis",
        figure: "recovery time, volume lost (restore + start)",
        usedFor: "restoring the newest snapshot into an empty server and starting it (at the drill's data-set size)",
    },
    redisSentinelFailover: {
        drill: "redis",
        figure: /sentinel failover/i,
        usedFor: "Sentinel electing and promoting a replica once the primary is objectively down",
    },
    postgresLossWindow: {
        drill: "postgres",
        figure: /worst-case loss window/i,
        usedFor: "the longest span of acknowledged commits a crash lost under load: compared with the drill's archive_timeout, it shows how much the async archiver adds beyond it",
    },
    postgresDrillArchiveTimeout: {
        drill: "postgres",
        figure: /^archive_timeout\b/,
        usedFor: "the archive_timeout the drill ran with (its loss windows are measured against it)",
    },
    postgresRestore: {
        drill: "postgres",
        figure: /point-in-time restore.*until primary/i,
        usedFor: "a pgBackRest point-in-time restore from repo1 until PostgreSQL is primary again, at the drill's data-set size",
    },
    postgresVerify: {
        drill: "postgres",
        figure: /^verification job: .*(restore test|verify)/i,
        usedFor: "one run of the verification job (pgbackrest verify and a restore test)",
    },
    postgresPromote: {
        drill: "postgres",
        figure: /promot/i,
        usedFor: "promoting a replica or standby to primary",
    },
}) satisfies Record<string, MeasuredSpec>;

export type MeasuredId = keyof typeof MEASURED;

const SECONDS_UNIT = /^(s|sec|seconds?)\b/i;
const MS_UNIT = /^ms\b/i;

function toSeconds(value: number, unit: string): number | undefined {
    if (SECONDS_UNIT.test(unit)) return value;
    if (MS_UNIT.test(unit)) return value / 1000;
    return undefined;
}

/**
 * Looks a figure up in the reports. Durations are returned in seconds; a count (keys,
 * commits) as its number with `unit` kept, so the caller decides what it means.
 */
export function findFigure(reports: readonly DrillReportLike[], id: MeasuredId): MeasuredFigure | undefined {
    const spec: MeasuredSpec = MEASURED[id];
    const report = reports.find((r) => r.drill === spec.drill);
    if (!report) return undefined;
    const match = report.figures.find((f) => (typeof spec.figure === "string" ? f.name === spec.figure : spec.figure.test(f.name)));
    if (!match || typeof match.value !== "number" || !Number.isFinite(match.value)) return undefined;
    const seconds = toSeconds(match.value, match.unit);
    const m = report.machine;
    const context = [
        m?.cpus !== undefined ? `${m.cpus} x ${m.cpuModel ?? "cpu"}` : undefined,
        m?.memoryGiB !== undefined ? `${m.memoryGiB} GiB` : undefined,
        report.startedAt ? report.startedAt.slice(0, 10) : undefined,
    ]
        .filter(Boolean)
        .join(", ");
    return {
        drill: spec.drill,
        name: match.name,
        value: seconds ?? match.value,
        unit: seconds !== undefined ? "s" : match.unit,
        ref: `reports/drill-${spec.drill}.json#"${match.name}"`,
        context,
    };
}

/** The repository's committed drill reports. */
export const REPORTS_DIR = path.resolve(__dirname, "..", "..", "reports");

/**
 * Reads every `drill-*.json` in the directory. A report that does not parse is skipped with
 * its file named in `problems` (the model then treats its figures as unmeasured).
 */
export function loadDrillReports(dir: string = REPORTS_DIR): { reports: DrillReportLike[]; problems: string[] } {
    const reports: DrillReportLike[] = [];
    const problems: string[] = [];
    let files: string[];
    try {
        files = fs.readdirSync(dir).filter((f) => /^drill-[a-z0-9-]+\.json$/.test(f)).sort();
    } catch {
        return { reports, problems: [`${dir}: no reports directory; every measured term stays open (run npm run drill)`] };
    }
    for (const f of files) {
        try {
            const doc = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
            if (typeof doc?.drill !== "string" || !Array.isArray(doc.figures)) throw new Error("not a drill report (needs drill and figures)");
            reports.push(doc as DrillReportLike);
        } catch (e) {
            problems.push(`reports/${f}: ${e instanceof Error ? e.message : String(e)}; its figures are not used`);
        }
    }
    return { reports, problems };
}

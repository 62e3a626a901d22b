/**
 * Measured figures: the model reads them from the drill reports the project commits
 * (`reports/drill-<name>.json`, written by `npm run drill`). A figure is used only if a
 * report holds it; a missing figure leaves its term open, it is never filled in.
 *
 * Figures are read by their stable id (`DrillFigure.id`, `<drill>.<area>.<what>`), never by
 * their prose name: MEASURED lists every id the model reads and what for.
 */
import * as fs from "fs";
import * as path from "path";

type FigureLike = { readonly id: string; readonly name: string; readonly value: number | string; readonly unit: string };
type MachineLike = { readonly cpus?: number; readonly cpuModel?: string; readonly memoryGiB?: number };

/** One run of a drill as the model reads it: the report's newest run or one of its `history` entries. */
export interface DrillRunLike {
    readonly startedAt?: string;
    /** quick (CI: shorter outages and loads) or full; absent in reports written before modes were recorded. */
    readonly mode?: "quick" | "full";
    readonly machine?: MachineLike;
    readonly figures: readonly FigureLike[];
}

/** The parts of a drill report file (drills/types.ts DrillReportFile) the model reads. */
export interface DrillReportLike extends DrillRunLike {
    readonly drill: string;
    /** Earlier runs, newest first (the drill runner keeps them). */
    readonly history?: readonly DrillRunLike[];
}

export interface MeasuredFigure {
    readonly id: string;
    readonly drill: string;
    readonly value: number;
    readonly unit: string;
    /** Where it came from: `reports/drill-redis.json#redis.snapshot.seconds`. */
    readonly ref: string;
    /** The machine, date and mode of the run the value came from, and of how many runs it is the worst, for the reader to judge its scale. */
    readonly context: string;
    readonly mode: "quick" | "full" | "mode not recorded";
    /** When the run the value came from started (ISO 8601), if the report says. */
    readonly startedAt?: string;
    /** Runs of the drill that hold the figure; the value is the worst of them. */
    readonly runs: number;
}

/**
 * Which way a figure gets worse. Worst case first: the model reads, for each id, the worst
 * value over every recorded run of its drill (the newest and its `history`), not the newest.
 * - `higher`: durations, lags, loss windows, lost commits or keys, writes that should be 0,
 *   the WAL rate (more WAL to replay);
 * - `lower`: 1/0 success flags (0 = failed), the sizes that are the denominators of measured
 *   rates (a smaller sample over the same time is a slower rate), the archive_timeout a loss
 *   window is measured against (a smaller one leaves more of the window to the archiver).
 * Figures read as a pair (a rate, a difference) come from one run: the run whose pair is worst
 * (`findWorstRun`), never a mix of two runs.
 */
export type Worse = "higher" | "lower";
export interface MeasuredSpec {
    readonly worse: Worse;
    readonly what: string;
}

/**
 * Every drill figure the model reads, by id (`DrillFigure.id`), and what for. The ids of the
 * failover and recovery drills are read when their reports exist; until then the terms they
 * would replace stay open with a stated budget.
 */
export const MEASURED = Object.freeze({
    "redis.snapshot.seconds": { worse: "higher", what: "a snapshot job's run time at the drill's data set (with redis.snapshot.rdb_bytes: the snapshot rate, scaled to the declared Redis volume)" },
    "redis.snapshot.rdb_bytes": { worse: "lower", what: "the drill's RDB size: the denominator of the snapshot and restore rates" },
    "redis.crash.lost_keys": { worse: "higher", what: "acknowledged writes lost when the Redis process is killed and restarts on its volume (S1)" },
    "redis.restore.seconds": { worse: "higher", what: "restoring the newest snapshot (download, verify, decrypt, decompress, load), scaled to the declared volume" },
    "redis.restore.start_seconds": { worse: "higher", what: "starting a server on the restored volume" },
    "redis.sentinel.failover_seconds": { worse: "higher", what: "Sentinel failover: kill of the primary to the first write accepted (includes the drill's down-after)" },
    "redis.sentinel.lost_keys": { worse: "higher", what: "acknowledged writes lost in a Sentinel failover at the drill's load" },
    "postgres.load.loss_window_seconds": { worse: "higher", what: "the longest span of acknowledged commits a crash would lose under load, healthy tiers" },
    "postgres.config.archive_timeout_seconds": { worse: "lower", what: "the archive_timeout the drill ran with (its loss windows are measured against it)" },
    "postgres.tier2_outage.loss_window_seconds": { worse: "higher", what: "repo1's loss window while tier 2 is unreachable: the async archiver pushes every repo, so an unreachable S3 repo stalls the others" },
    "postgres.pitr.pgbackrest_restore_seconds": { worse: "higher", what: "pgBackRest restoring the files of a backup from repo1 (with postgres.pitr.restored_bytes: the restore rate)" },
    "postgres.pitr.restored_bytes": { worse: "lower", what: "the data directory the PITR restore wrote" },
    "postgres.pitr.wal_replayed_bytes": { worse: "lower", what: "WAL the PITR replayed (with postgres.pitr.replay_seconds: the replay rate)" },
    "postgres.pitr.replay_seconds": { worse: "higher", what: "start, WAL replay and promotion of the PITR" },
    "postgres.crash.pgbackrest_restore_seconds": { worse: "higher", what: "pgBackRest restoring from repo2 (S3, tier 2) (with postgres.crash.restored_bytes: the S3 restore rate)" },
    "postgres.crash.restored_bytes": { worse: "lower", what: "the data directory after the restore from repo2" },
    "postgres.verify.restore_test_seconds": { worse: "higher", what: "the verification job's restore test" },
    "postgres.verify.repo1.seconds": { worse: "higher", what: "pgbackrest verify of repo1" },
    "postgres.verify.repo2.seconds": { worse: "higher", what: "pgbackrest verify of repo2" },
    "postgres.verify.repo3.seconds": { worse: "higher", what: "pgbackrest verify of repo3" },
    "postgres.load.wal_mib_per_second": { worse: "higher", what: "WAL generated under the drill's pgbench load: the rate that fills the WAL to replay since the last backup (drill scale)" },
    "failover.inregion.rto_seconds": { worse: "higher", what: "an in-region Patroni failover, kill to writes accepted (drills/failover, lab)" },
    "failover.inregion.lost_commits": { worse: "higher", what: "acknowledged commits lost in an in-region failover" },
    "failover.regional.rto_seconds": { worse: "higher", what: "promoting the DR standby cluster, primary region lost to writes accepted (drills/failover, lab)" },
    "failover.regional.lost_commits": { worse: "higher", what: "acknowledged commits lost by a regional failover" },
    "failover.regional.loss_window_seconds": { worse: "higher", what: "the span of acknowledged commits a regional failover lost" },
    "failover.regional.old_primary_writes_visible": { worse: "higher", what: "whether writes to the fenced old primary became visible after the failover (must be 0)" },
    "failover.standby.replay_lag_seconds": { worse: "higher", what: "the DR standby's replay lag under load" },
    "recovery.backup.seconds": { worse: "higher", what: "a backup by the fortress CLI (drills/recovery)" },
    "recovery.restore.seconds": { worse: "higher", what: "a restore by the fortress CLI end to end (drills/recovery)" },
    "recovery.restore.pitr.exact": { worse: "lower", what: "whether the CLI's point-in-time restore ended exactly at the target (1 = exact)" },
}) satisfies Record<string, MeasuredSpec>;

export type MeasuredId = keyof typeof MEASURED;

const SECONDS_UNIT = /^(s|sec|seconds?)\b/i;
const MS_UNIT = /^ms\b/i;

function toSeconds(value: number, unit: string): number | undefined {
    if (SECONDS_UNIT.test(unit)) return value;
    if (MS_UNIT.test(unit)) return value / 1000;
    return undefined;
}

/** Every run of a drill report, newest first: the top level, then `history`. */
export function runsOf(report: DrillReportLike): DrillRunLike[] {
    return [report, ...(report.history ?? [])];
}

const runDate = (startedAt: string | undefined) => (startedAt ? `${startedAt.slice(0, 16).replace("T", " ")} UTC` : undefined);

function figureIn(report: DrillReportLike, run: DrillRunLike, id: MeasuredId, runs: number): MeasuredFigure | undefined {
    const match = run.figures.find((f) => f.id === id);
    if (!match || typeof match.value !== "number" || !Number.isFinite(match.value)) return undefined;
    const seconds = toSeconds(match.value, match.unit);
    const m = run.machine;
    const mode = run.mode ?? "mode not recorded";
    const context = [
        m?.cpus !== undefined ? `${m.cpus} x ${m.cpuModel ?? "cpu"}` : undefined,
        m?.memoryGiB !== undefined ? `${m.memoryGiB} GiB` : undefined,
        runDate(run.startedAt) ? `run of ${runDate(run.startedAt)}` : undefined,
        mode === "mode not recorded" ? mode : `${mode} mode`,
        runs > 1 ? `worst of ${runs} runs` : undefined,
    ]
        .filter(Boolean)
        .join(", ");
    return { id, drill: report.drill, value: seconds ?? match.value, unit: seconds !== undefined ? "s" : match.unit, ref: `reports/drill-${report.drill}.json#${id}`, context, mode, ...(run.startedAt ? { startedAt: run.startedAt } : {}), runs };
}

/**
 * Looks a figure up by its id (the drill is the id's first part): the worst value over every
 * recorded run, worst by the id's declared direction (MEASURED[id].worse); on a tie the newest
 * run. Durations are returned in seconds; a count or size as its number with its unit kept.
 * Never matches prose names.
 */
export function findFigure(reports: readonly DrillReportLike[], id: MeasuredId): MeasuredFigure | undefined {
    const drill = id.split(".")[0];
    const report = reports.find((r) => r.drill === drill);
    if (!report) return undefined;
    const found = runsOf(report).flatMap((run) => {
        const f = figureIn(report, run, id, 1);
        return f ? [{ run, f }] : [];
    });
    if (found.length === 0) return undefined;
    const sign = MEASURED[id].worse === "higher" ? 1 : -1;
    let worst = found[0];
    for (const x of found.slice(1)) if (sign * (x.f.value - worst.f.value) > 0) worst = x;
    return figureIn(report, worst.run, id, found.length);
}

/**
 * Figures read together (a rate, a difference) from one run: among the runs holding every id,
 * the one whose `badness` is highest (ties: the newest). Undefined when no run holds them all.
 */
export function findWorstRun<K extends MeasuredId>(reports: readonly DrillReportLike[], ids: readonly K[], badness: (values: Record<K, MeasuredFigure>) => number): Record<K, MeasuredFigure> | undefined {
    const drill = ids[0].split(".")[0];
    const report = reports.find((r) => r.drill === drill);
    if (!report) return undefined;
    const complete = runsOf(report).filter((run) => ids.every((id) => figureIn(report, run, id, 1) !== undefined));
    let best: { figures: Record<K, MeasuredFigure>; bad: number } | undefined;
    for (const run of complete) {
        const figures = Object.fromEntries(ids.map((id) => [id, figureIn(report, run, id, complete.length)!])) as Record<K, MeasuredFigure>;
        const bad = badness(figures);
        if (!best || bad > best.bad) best = { figures, bad };
    }
    return best?.figures;
}

/** The repository's committed drill reports. */
export const REPORTS_DIR = path.resolve(__dirname, "..", "reports");

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
            const runs = [doc, ...(Array.isArray(doc.history) ? doc.history : [])] as { startedAt?: string; figures?: unknown }[];
            const noId = runs.flatMap((run, i) =>
                (Array.isArray(run.figures) ? (run.figures as { id?: unknown; name?: unknown }[]) : []).filter((fig) => typeof fig?.id !== "string" || fig.id === "").map((fig) => `"${String(fig?.name)}" (${i === 0 ? "newest run" : `history[${i - 1}]`})`),
            );
            if (runs.some((run) => !Array.isArray(run.figures))) throw new Error("a run in history has no figures array");
            if (noId.length > 0) throw new Error(`figures without an id: ${noId.slice(0, 3).join(", ")}${noId.length > 3 ? ` and ${noId.length - 3} more` : ""}; the model reads figures by id only (drills/types.ts DrillFigure.id): re-run npm run drill -- --only ${doc.drill}`);
            reports.push(doc as DrillReportLike);
        } catch (e) {
            problems.push(`reports/${f}: ${e instanceof Error ? e.message : String(e)}; its figures are not used`);
        }
    }
    return { reports, problems };
}

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

/** The parts of a drill report (drills/types.ts DrillReport) the model reads. */
export interface DrillReportLike {
    readonly drill: string;
    readonly startedAt?: string;
    /** quick (CI: shorter outages and loads) or full; absent in reports written before modes were recorded. */
    readonly mode?: "quick" | "full";
    readonly machine?: { readonly cpus?: number; readonly cpuModel?: string; readonly memoryGiB?: number };
    readonly figures: readonly { readonly id?: string; readonly name: string; readonly value: number | string; readonly unit: string }[];
}

export interface MeasuredFigure {
    readonly id: string;
    readonly drill: string;
    readonly value: number;
    readonly unit: string;
    /** Where it came from: `reports/drill-redis.json#redis.snapshot.seconds`. */
    readonly ref: string;
    /** The machine, date and mode of the measurement, for the reader to judge its scale. */
    readonly context: string;
    readonly mode: "quick" | "full" | "mode not recorded";
}

/**
 * Every drill figure the model reads, by id (`DrillFigure.id`), and what for. The ids of the
 * failover and recovery drills are read when their reports exist; until then the terms they
 * would replace stay open with a stated budget.
 */
export const MEASURED = Object.freeze({
    "redis.snapshot.seconds": "a snapshot job's run time at the drill's data set (with redis.snapshot.rdb_bytes: the snapshot rate, scaled to the declared Redis volume)",
    "redis.snapshot.rdb_bytes": "the drill's RDB size: the denominator of the snapshot and restore rates",
    "redis.crash.lost_keys": "acknowledged writes lost when the Redis process is killed and restarts on its volume (S1)",
    "redis.restore.seconds": "restoring the newest snapshot (download, verify, decrypt, decompress, load), scaled to the declared volume",
    "redis.restore.start_seconds": "starting a server on the restored volume",
    "redis.sentinel.failover_seconds": "Sentinel failover: kill of the primary to the first write accepted (includes the drill's down-after)",
    "redis.sentinel.lost_keys": "acknowledged writes lost in a Sentinel failover at the drill's load",
    "postgres.load.loss_window_seconds": "the longest span of acknowledged commits a crash would lose under load, healthy tiers",
    "postgres.config.archive_timeout_seconds": "the archive_timeout the drill ran with (its loss windows are measured against it)",
    "postgres.tier2_outage.loss_window_seconds": "repo1's loss window while tier 2 is unreachable: the async archiver pushes every repo, so an unreachable S3 repo stalls the others",
    "postgres.pitr.pgbackrest_restore_seconds": "pgBackRest restoring the files of a backup from repo1 (with postgres.pitr.restored_bytes: the restore rate)",
    "postgres.pitr.restored_bytes": "the data directory the PITR restore wrote",
    "postgres.pitr.wal_replayed_bytes": "WAL the PITR replayed (with postgres.pitr.replay_seconds: the replay rate)",
    "postgres.pitr.replay_seconds": "start, WAL replay and promotion of the PITR",
    "postgres.crash.pgbackrest_restore_seconds": "pgBackRest restoring from repo2 (S3, tier 2) (with postgres.crash.restored_bytes: the S3 restore rate)",
    "postgres.crash.restored_bytes": "the data directory after the restore from repo2",
    "postgres.verify.restore_test_seconds": "the verification job's restore test",
    "postgres.verify.repo1.seconds": "pgbackrest verify of repo1",
    "postgres.verify.repo2.seconds": "pgbackrest verify of repo2",
    "postgres.verify.repo3.seconds": "pgbackrest verify of repo3",
    "postgres.load.wal_mib_per_second": "WAL generated under the drill's pgbench load: the rate that fills the WAL to replay since the last backup (drill scale)",
    "failover.inregion.rto_seconds": "an in-region Patroni failover, kill to writes accepted (drills/failover, lab)",
    "failover.inregion.lost_commits": "acknowledged commits lost in an in-region failover",
    "failover.regional.rto_seconds": "promoting the DR standby cluster, primary region lost to writes accepted (drills/failover, lab)",
    "failover.regional.lost_commits": "acknowledged commits lost by a regional failover",
    "failover.regional.loss_window_seconds": "the span of acknowledged commits a regional failover lost",
    "failover.regional.old_primary_writes_visible": "whether writes to the fenced old primary became visible after the failover (must be 0)",
    "failover.standby.replay_lag_seconds": "the DR standby's replay lag under load",
    "recovery.backup.seconds": "a backup by the fortress CLI (drills/recovery)",
    "recovery.restore.seconds": "a restore by the fortress CLI end to end (drills/recovery)",
    "recovery.restore.pitr.exact": "whether the CLI's point-in-time restore ended exactly at the target (1 = exact)",
}) satisfies Record<string, string>;

export type MeasuredId = keyof typeof MEASURED;

const SECONDS_UNIT = /^(s|sec|seconds?)\b/i;
const MS_UNIT = /^ms\b/i;

function toSeconds(value: number, unit: string): number | undefined {
    if (SECONDS_UNIT.test(unit)) return value;
    if (MS_UNIT.test(unit)) return value / 1000;
    return undefined;
}

/**
 * Looks a figure up by its id (the drill is the id's first part). Durations are returned in
 * seconds; a count or size as its number with its unit kept. Never matches prose names.
 */
export function findFigure(reports: readonly DrillReportLike[], id: MeasuredId): MeasuredFigure | undefined {
    const drill = id.split(".")[0];
    const report = reports.find((r) => r.drill === drill);
    if (!report) return undefined;
    const match = report.figures.find((f) => f.id === id);
    if (!match || typeof match.value !== "number" || !Number.isFinite(match.value)) return undefined;
    const seconds = toSeconds(match.value, match.unit);
    const m = report.machine;
    const mode = report.mode ?? "mode not recorded";
    const context = [
        m?.cpus !== undefined ? `${m.cpus} x ${m.cpuModel ?? "cpu"}` : undefined,
        m?.memoryGiB !== undefined ? `${m.memoryGiB} GiB` : undefined,
        report.startedAt ? report.startedAt.slice(0, 10) : undefined,
        `${mode} mode`,
    ]
        .filter(Boolean)
        .join(", ");
    return { id, drill, value: seconds ?? match.value, unit: seconds !== undefined ? "s" : match.unit, ref: `reports/drill-${drill}.json#${id}`, context, mode };
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
            reports.push(doc as DrillReportLike);
        } catch (e) {
            problems.push(`reports/${f}: ${e instanceof Error ? e.message : String(e)}; its figures are not used`);
        }
    }
    return { reports, problems };
}

/**
 * The backup SLOs (DR plan, "SLAs": backup completion > 99.9 %, backup window adherence > 99 %,
 * recovery success > 99.5 %, integrity validation 100 %): the metric contract between the jobs
 * that publish each run and the alarms and dashboard that read them, and the pure rules that
 * turn the targets into metric-math alarm definitions.
 *
 * Publishers (same names, read by a test from the job code):
 * - jobs/lib/slo-run.sh wraps every backup, verify and backup-age CronJob and publishes, per
 *   run, Runs=1, Succeeded=1|0, WithinWindow=1|0 and DurationSeconds with the dimensions
 *   DataClass, Tier and Purpose;
 * - `fortress backup` and `fortress dr-test` publish the same (Purpose=backup / recovery) from
 *   the CLI (cli/slo-metrics.ts);
 * - jobs/backup-slo-rollup.sh adds up the last `windowDays` per purpose, daily, as RollupRuns,
 *   RollupSucceeded and RollupWithinWindow {Purpose, WindowDays}: a CloudWatch alarm looks
 *   back at most seven days, so the 30-day window is summed by the job and the alarm divides.
 */
import { maxIntervalSeconds } from "../core/cron";

export const BACKUP_SLO_NAMESPACE = "Fortress/BackupSLO";

/** Per-run metrics (jobs/lib/s3.py SLO_COUNTS, plus the duration). */
export const SLO_RUN_METRICS = { runs: "Runs", succeeded: "Succeeded", withinWindow: "WithinWindow", duration: "DurationSeconds" } as const;
/** The rollup's sums over the window (jobs/lib/s3.py slo_rollup: "Rollup" + the count's name). */
export const SLO_ROLLUP_METRICS = { runs: "RollupRuns", succeeded: "RollupSucceeded", withinWindow: "RollupWithinWindow" } as const;

/**
 * The dimensions of every per-run series, in the order every writer sends them (s3.py
 * publish_run, the CLI): CloudWatch matches a dimension set in any order, but moto — the
 * tests' CloudWatch — only in the order it was put, so one order everywhere.
 */
export const SLO_RUN_DIMENSIONS = ["DataClass", "Tier", "Purpose"] as const;
/** The unit of each per-run metric (s3.py publish_run sends the same). */
export const SLO_RUN_UNITS = { runs: "Count", succeeded: "Count", withinWindow: "Count", duration: "Seconds" } as const;
/** The environment variable that gives slo-run.sh its namespace (rendered from BACKUP_SLO_NAMESPACE). */
export const SLO_NAMESPACE_ENV = "SLO_NAMESPACE";

/** One run as the SLOs count it: what every writer (slo-run.sh, `fortress backup`/`dr-test`) publishes. */
export interface SloRun {
    readonly dataClass: string;
    /** A tier, or several joined by "+". */
    readonly tier: string;
    readonly purpose: SloPurpose;
    readonly succeeded: boolean;
    readonly durationSeconds: number;
    /** A successful run that took longer is outside its window. */
    readonly windowSeconds: number;
}

export interface SloDatum {
    readonly MetricName: string;
    readonly Dimensions: { readonly Name: string; readonly Value: string }[];
    readonly Value: number;
    readonly Unit: (typeof SLO_RUN_UNITS)[keyof typeof SLO_RUN_UNITS];
}

/** The datapoints of one run (the same four metrics and dimensions s3.py publish_run sends). */
export function sloRunDatums(r: SloRun): SloDatum[] {
    const values: Record<string, string> = { DataClass: r.dataClass, Tier: r.tier, Purpose: r.purpose };
    const dims = SLO_RUN_DIMENSIONS.map((Name) => ({ Name, Value: values[Name] }));
    const within = r.succeeded && r.durationSeconds <= r.windowSeconds;
    return (Object.keys(SLO_RUN_METRICS) as (keyof typeof SLO_RUN_METRICS)[]).map((k) => ({
        MetricName: SLO_RUN_METRICS[k],
        Dimensions: dims.map((d) => ({ ...d })),
        Value: k === "runs" ? 1 : k === "succeeded" ? (r.succeeded ? 1 : 0) : k === "withinWindow" ? (within ? 1 : 0) : r.durationSeconds,
        Unit: SLO_RUN_UNITS[k],
    }));
}

/** The wrapper in the job image that runs a job and publishes its run. */
export const SLO_RUNNER_SCRIPT = "lib/slo-run.sh";

export type SloPurpose = "backup" | "verify" | "backup-age" | "recovery";

/** The purposes the rollup adds up (backup-age runs are reporters, not operations an SLO counts). */
export const ROLLUP_PURPOSES: readonly SloPurpose[] = ["backup", "verify", "recovery"];

export interface SloTargets {
    /** Backups that complete, percent of runs. @default 99.9 */
    readonly backupCompletionPercent: number;
    /** Successful backups that finish within their window, percent of runs. @default 99 */
    readonly windowAdherencePercent: number;
    /** Recovery tests (`fortress dr-test`) that succeed, percent. @default 99.5 */
    readonly recoverySuccessPercent: number;
    /** Verification runs that pass, percent. @default 100 */
    readonly verifySuccessPercent: number;
    /** The window the rates are measured over. @default 30 */
    readonly windowDays: number;
}

/** The DR plan's targets. */
export const DEFAULT_SLO_TARGETS: SloTargets = Object.freeze({
    backupCompletionPercent: 99.9,
    windowAdherencePercent: 99,
    recoverySuccessPercent: 99.5,
    verifySuccessPercent: 100,
    windowDays: 30,
});

/**
 * A run's backup window: half its schedule's longest gap (so a run that ends in its window
 * leaves the other half before the next one is due), at least a minute, and never more than
 * the Job's deadline. A design choice, stated in docs/report-and-slos.md.
 */
export function backupWindowSeconds(schedule: string, deadlineSeconds: number): number {
    return Math.max(60, Math.min(deadlineSeconds, Math.floor(maxIntervalSeconds(schedule) / 2)));
}

export interface SloRunEnv {
    readonly dataClass: string;
    /** A tier, or several joined by "+" (a verification of two repos). */
    readonly tier: string;
    readonly purpose: SloPurpose;
    readonly windowSeconds: number;
}

/** The environment slo-run.sh reads (the dimensions of the run's metrics). */
export function sloRunEnv(e: SloRunEnv): { name: string; value: string }[] {
    if (!/^tier[123](\+tier[123])*$/.test(e.tier)) throw new Error(`slo tier "${e.tier}": use tier1, tier2, tier3 or several joined by "+"`);
    if (!Number.isInteger(e.windowSeconds) || e.windowSeconds <= 0) throw new Error(`slo window ${e.windowSeconds}: use a whole positive number of seconds`);
    return [
        { name: SLO_NAMESPACE_ENV, value: BACKUP_SLO_NAMESPACE },
        { name: "SLO_DATA_CLASS", value: e.dataClass },
        { name: "SLO_TIER", value: e.tier },
        { name: "SLO_PURPOSE", value: e.purpose },
        { name: "SLO_WINDOW_SECONDS", value: String(e.windowSeconds) },
    ];
}

/** One metric of a metric-math alarm. */
export interface MathMetric {
    readonly id: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly stat: "Maximum" | "Sum" | "Minimum" | "Average";
    readonly periodSeconds: number;
}

/** A metric-math alarm: an expression over metrics, compared with a threshold. */
export interface MathAlarmSpec {
    readonly name: string;
    readonly description: string;
    readonly expression: string;
    readonly label: string;
    readonly metrics: readonly MathMetric[];
    readonly threshold: number;
    readonly comparison: "LessThanThreshold" | "GreaterThanThreshold";
    readonly evaluationPeriods: number;
    readonly treatMissingData: "breaching" | "notBreaching" | "missing";
}

/** The rollup runs daily; each alarm reads its newest sums once a day. */
export const ROLLUP_PERIOD_SECONDS = 86_400;

function rateAlarm(name: string, purpose: SloPurpose, numerator: keyof typeof SLO_ROLLUP_METRICS, target: number, days: number, what: string): MathAlarmSpec {
    const dims = { Purpose: purpose, WindowDays: String(days) };
    const metric = (id: string, m: keyof typeof SLO_ROLLUP_METRICS): MathMetric => ({
        id,
        namespace: BACKUP_SLO_NAMESPACE,
        metricName: SLO_ROLLUP_METRICS[m],
        dimensions: dims,
        stat: "Maximum",
        periodSeconds: ROLLUP_PERIOD_SECONDS,
    });
    return {
        name,
        description: `${what} over ${days} days is under ${target} %, or no ${purpose} run was counted in that window (the daily rollup stopped, or nothing ran)`,
        expression: "100 * n / runs",
        label: `${what} (%), ${days} days`,
        metrics: [metric("n", numerator), metric("runs", "runs")],
        threshold: target,
        comparison: "LessThanThreshold",
        evaluationPeriods: 1,
        // No runs: the division has no value. A window without a backup, a verification or a
        // recovery test is itself a miss of the SLO, so silence pages.
        treatMissingData: "breaching",
    };
}

/** The SLO alarms: completion and window adherence of backups, verify and recovery success. */
export function sloAlarms(t: SloTargets = DEFAULT_SLO_TARGETS): MathAlarmSpec[] {
    for (const [k, v] of Object.entries(t)) {
        if (k === "windowDays") {
            if (!Number.isInteger(v) || v < 1 || v > 455) throw new Error(`slo.windowDays: ${v}; use 1 to 455 days (CloudWatch keeps hourly data 455 days)`);
        } else if (!(v > 0 && v <= 100)) throw new Error(`slo.${k}: ${v}; a target is a percentage above 0 and at most 100`);
    }
    return [
        rateAlarm("slo-backup-completion", "backup", "succeeded", t.backupCompletionPercent, t.windowDays, "Backup completion rate"),
        rateAlarm("slo-backup-window-adherence", "backup", "withinWindow", t.windowAdherencePercent, t.windowDays, "Backup window adherence"),
        rateAlarm("slo-verify-success", "verify", "succeeded", t.verifySuccessPercent, t.windowDays, "Backup verification success"),
        rateAlarm("slo-recovery-success", "recovery", "succeeded", t.recoverySuccessPercent, t.windowDays, "Recovery test success (fortress dr-test)"),
    ];
}

/**
 * What every drill does before and after its scenarios, in one place: pick the quick (CI) or
 * full sizes, load the prod stack's validated config, collect figures and checks, remove the
 * work directory when every check passed, and describe the machine in the report.
 */
import * as fs from "fs";
import * as os from "os";
import { FortressConfig, loadStackConfig } from "../../config";
import type { DrillCheck, DrillFigure, DrillOptions, DrillReport } from "../types";

/** Records one figure (`id` is the stable `<drill>.<area>.<what>` the model and report read). */
export type Fig = (id: string, name: string, value: number | string, unit: string) => void;
/** Records one check: what must hold, whether it did, what was observed. */
export type Check = (name: string, passed: boolean, detail: string) => void;

/** A drill's loads and durations: `quick` for CI (`--quick`), `full` by default. */
export interface DrillSizes<S> {
    readonly quick: S;
    readonly full: S;
}

/** One drill run's state: its start, its sizes, and the figures and checks recorded so far. */
export interface DrillRun<S> {
    readonly startedAt: string;
    readonly sizes: S;
    readonly figures: DrillFigure[];
    readonly checks: DrillCheck[];
    readonly fig: Fig;
    readonly check: Check;
}

/** Starts a drill run: the start time, the sizes for this mode, empty figure and check lists. */
export function beginDrill<S>(options: DrillOptions, sizes: DrillSizes<S>): DrillRun<S> {
    const figures: DrillFigure[] = [];
    const checks: DrillCheck[] = [];
    return {
        startedAt: new Date().toISOString(),
        sizes: options.quick ? sizes.quick : sizes.full,
        figures,
        checks,
        fig: (id, name, value, unit) => figures.push({ id, name, value, unit }),
        check: (name, passed, detail) => checks.push({ name, passed, detail }),
    };
}

/** The prod stack's config, validated: drills run the production schedules, retention, objectives and timings. */
export function prodConfig(): { config: FortressConfig; source: string } {
    const loaded = loadStackConfig("prod");
    return { config: loaded.validated, source: loaded.file };
}

/**
 * Removes the work directory (data directories, repos and logs: often hundreds of MB) when
 * the run recorded checks and every one passed; otherwise keeps it for inspection and returns false.
 */
export function removeWorkDirIfPassed(run: DrillRun<unknown>, workDir: string): boolean {
    if (run.checks.length === 0 || !run.checks.every((c) => c.passed)) return false;
    fs.rmSync(workDir, { recursive: true, force: true });
    return true;
}

/** The report of a finished run: this machine, the tool versions the drill found, its figures and checks. */
export function drillReport(drill: string, run: DrillRun<unknown>, versions: Record<string, string>): DrillReport {
    return {
        drill,
        startedAt: run.startedAt,
        machine: {
            cpus: os.cpus().length,
            cpuModel: os.cpus()[0]?.model ?? "unknown",
            memoryGiB: Math.round(os.totalmem() / 2 ** 30),
            node: process.version,
            versions,
        },
        figures: run.figures,
        checks: run.checks,
    };
}

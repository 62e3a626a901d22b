/**
 * The contract every drill module implements. A drill runs real servers on 127.0.0.1, records
 * what it measured, and decides pass/fail from checks it states in words; the runner prints
 * the figures as a table and writes them to `reports/drill-<name>.json`.
 */
export interface DrillCheck {
    /** What must hold, in words ("commits lost in (a) within the archive bound"). */
    readonly name: string;
    readonly passed: boolean;
    /** What was observed, with numbers. */
    readonly detail: string;
}

export interface DrillFigure {
    /**
     * Stable identifier (`<drill>.<area>.<what>`, e.g. `recovery.restore.seconds`): the
     * objectives model and the report read figures by id, never by their prose name.
     */
    readonly id: string;
    readonly name: string;
    readonly value: number | string;
    /** "s", "ms", "commits", "keys", "bytes", ... */
    readonly unit: string;
}

export interface DrillReport {
    readonly drill: string;
    readonly startedAt: string;
    /** How the drill ran: `quick` (CI: shorter outages and loads) or `full`. Set by the runner. */
    readonly mode?: "quick" | "full";
    readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string; readonly versions: Record<string, string> };
    readonly figures: readonly DrillFigure[];
    readonly checks: readonly DrillCheck[];
}

export interface DrillOptions {
    /** Shorter outages and loads, for CI; the full run is the default. */
    readonly quick: boolean;
    /** A scratch directory the drill owns and may delete. */
    readonly workDir: string;
}

export type Drill = (options: DrillOptions) => Promise<DrillReport>;

/** One earlier run of a drill, kept in its report file's `history` (newest first). */
export interface DrillHistoryEntry {
    readonly startedAt: string;
    readonly mode?: "quick" | "full";
    readonly machine: DrillReport["machine"];
    readonly figures: readonly DrillFigure[];
    readonly passed: number;
    readonly failed: number;
}

/** What `reports/drill-<name>.json` holds: the newest run in full, earlier runs in `history`. */
export interface DrillReportFile extends DrillReport {
    readonly history?: readonly DrillHistoryEntry[];
}

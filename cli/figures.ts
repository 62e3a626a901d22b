/**
 * Step budgets come from what the drills measured, read by figure id from
 * `reports/drill-*.json` (never from prose). A step with no measured figure states its budget.
 */
import * as fs from "fs";
import * as path from "path";

/** Where the drill reports live; FORTRESS_REPORTS_DIR points elsewhere (tests). */
export function reportsDir(): string {
    return path.resolve(process.env.FORTRESS_REPORTS_DIR ?? path.join(__dirname, "..", "reports"));
}

let cache: Map<string, { value: number; file: string }> | undefined;

/** Every numeric figure with an id, from the newest run of every drill report. */
export function drillFigures(): Map<string, { value: number; file: string }> {
    if (cache) return cache;
    cache = new Map();
    let files: string[] = [];
    try {
        files = fs.readdirSync(reportsDir()).filter((f) => /^drill-.+\.json$/.test(f));
    } catch {
        return cache; // no reports yet (fresh clone before any drill): every budget is stated
    }
    for (const f of files) {
        try {
            const doc = JSON.parse(fs.readFileSync(path.join(reportsDir(), f), "utf8")) as { figures?: { id?: string; value: unknown }[] };
            for (const fig of doc.figures ?? []) {
                if (fig.id && typeof fig.value === "number" && Number.isFinite(fig.value)) cache.set(fig.id, { value: fig.value, file: f });
            }
        } catch {
            // an unreadable report gives no figures; the budget falls back to the stated one
        }
    }
    return cache;
}

/** A step's time budget: a drill figure (by id) with a margin where one exists, else a stated number. */
export interface BudgetSpec {
    /** Drill figure id whose value (seconds) is the expected duration. */
    readonly figureId?: string;
    /** Margin applied to the measured figure (default 3: lab hosts are not the platform). */
    readonly margin?: number;
    /** Budget used when no figure exists, and the floor under a measured one. */
    readonly seconds: number;
}

export interface ResolvedBudget {
    readonly seconds: number;
    /** "drill figure recovery.restore.seconds = 4.2 s × 3" or "stated". */
    readonly source: string;
}

export function resolveBudget(spec: BudgetSpec): ResolvedBudget {
    const fig = spec.figureId ? drillFigures().get(spec.figureId) : undefined;
    if (!fig) return { seconds: spec.seconds, source: spec.figureId ? `stated (no drill figure ${spec.figureId} yet)` : "stated" };
    const margin = spec.margin ?? 3;
    const seconds = Math.max(spec.seconds, Math.ceil(fig.value * margin));
    return { seconds, source: `drill figure ${spec.figureId} = ${fig.value} s × ${margin}${seconds === spec.seconds ? ` (floor ${spec.seconds} s)` : ""}` };
}

/** For tests: forget the cached figures. */
export function resetFigureCache(): void {
    cache = undefined;
}

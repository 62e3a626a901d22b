/**
 * Terms and bounds: the arithmetic of the objectives model, and the only place that decides
 * whether a cell is within its objective.
 *
 * A cell is bounded by one of several paths (ways a failure is detected or recovered); a path
 * is a sum of terms. Every term says how firmly its seconds hold (its basis):
 *
 *   guarantee  protocol semantics of a declared setting, or a vendor-documented rule
 *   sla        a vendor SLA: a percentage within a time, with service credits, not a per-event bound
 *   typical    a vendor's average or typical figure, or a mechanism that works only usually
 *   design     a decision of this project (docs/architecture.md), not a property of a product
 *   measured   a drill figure (by id), scaled to what the stack declares where it is a rate
 *   budget     unmeasured: a stated allowance, with where the allowance comes from; never 0
 *
 * Worst case first: a path is *firm* when every term is a guarantee, a design choice or a
 * measurement. A cell is within only on a firm path whose sum is under the objective
 * (compared with `<`, as the objectives are written: "< 30 s"; an objective of 0 means
 * exactly 0). A cell whose best path is under the objective only thanks to a typical, SLA or
 * budget term is *at risk*; a cell whose best path is not under it is *over*. An at-risk or
 * over cell fails the stack rule in prod and staging unless the stack accepts that risk in
 * config (objectives.acceptedRisks) with a worst bound at least the cell's bound.
 */

export type Basis = "guarantee" | "sla" | "typical" | "design" | "measured" | "budget";
export const FIRM_BASES: readonly Basis[] = ["guarantee", "design", "measured"];

export interface Term {
    readonly label: string;
    readonly seconds: number;
    readonly basis: Basis;
    /** URL, repository path with a figure id (`reports/drill-redis.json#redis.snapshot.seconds`), or the declaring resource and field. */
    readonly source: string;
    /** For a scaled or derived term: the arithmetic, printed by the plan. */
    readonly arithmetic?: string;
    /** For a budget: where the allowance comes from. */
    readonly budgetFrom?: string;
}

export interface Path {
    readonly mechanism: string;
    readonly terms: readonly Term[];
    readonly notes?: readonly string[];
}
export interface Missing {
    readonly missing: string;
}
export type Bound = Path | Missing;

export const isMissing = (b: Bound): b is Missing => "missing" in b;
export const sum = (terms: readonly Term[]) => Math.round(terms.reduce((n, t) => n + t.seconds, 0) * 1000) / 1000;
export const isFirm = (p: Path) => p.terms.every((t) => FIRM_BASES.includes(t.basis));

/** A term the stack declares: protocol semantics of a setting, so a guarantee. */
export const declared = (label: string, seconds: number, source: string): Term => ({ label, seconds, basis: "guarantee", source });

/** An unmeasured term: never 0, always with where its allowance comes from. */
export function budget(label: string, seconds: number, from: string, source = "docs/policies-and-objectives.md#budgets"): Term {
    if (!(seconds > 0)) throw new Error(`budget "${label}": an unmeasured term needs a positive budget, got ${seconds}`);
    return { label: `${label} (unmeasured; budget)`, seconds, basis: "budget", source, budgetFrom: from };
}

/** True when `seconds` meets the objective as written ("< objective"; an objective of 0 means exactly 0). */
export function meets(seconds: number, objectiveSeconds: number): boolean {
    return objectiveSeconds === 0 ? seconds === 0 : seconds < objectiveSeconds;
}

/** One path followed by another (RTO = detection + recovery). */
export function then(first: Bound, second: Bound): Bound {
    if (isMissing(first)) return first;
    if (isMissing(second)) return second;
    return {
        mechanism: `${first.mechanism}, then ${second.mechanism}`,
        terms: [...first.terms, ...second.terms],
        notes: [...(first.notes ?? []), ...(second.notes ?? [])],
    };
}

/**
 * The path that serves an objective best: a firm path that meets it (smallest sum), else the
 * smallest sum of any path (ties: the firm one, then the fewer non-firm terms). A path made of
 * budgets carries their budgets, so it cannot beat a measured path just by being unmeasured.
 */
export function bestFor(objectiveSeconds: number | null, ...bounds: Bound[]): Bound {
    const paths = bounds.filter((b): b is Path => !isMissing(b));
    if (paths.length === 0) return bounds.find(isMissing) ?? { missing: "no mechanism" };
    const nonFirm = (p: Path) => p.terms.filter((t) => !FIRM_BASES.includes(t.basis)).length;
    const bySum = (ps: Path[]) =>
        ps.reduce((a, b) => {
            const d = sum(a.terms) - sum(b.terms);
            if (d !== 0) return d < 0 ? a : b;
            return nonFirm(a) <= nonFirm(b) ? a : b;
        });
    if (objectiveSeconds !== null) {
        const firmWithin = paths.filter((p) => isFirm(p) && meets(sum(p.terms), objectiveSeconds));
        if (firmWithin.length > 0) return bySum(firmWithin);
    }
    return bySum(paths);
}

/** The worst of several failure modes a cell must cover (e.g. a hung process and a lost node). */
export function worstOf(...bounds: Bound[]): Bound {
    const missing = bounds.find(isMissing);
    if (missing) return missing;
    const paths = bounds as Path[];
    return paths.reduce((a, b) => (sum(b.terms) > sum(a.terms) || (sum(b.terms) === sum(a.terms) && !isFirm(b)) ? b : a));
}

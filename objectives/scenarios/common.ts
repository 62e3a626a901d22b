/**
 * What every scenario module shares: the objectives of a cell, and the shape a scenario returns
 * (for each metric, the alternative ways to bound it; the model picks and judges).
 */
import { vendor } from "../constants";
import type { ModelContext, ObjectivesInput, ScenarioId, Subject } from "../input";
import type { Bound } from "../terms";

/** Alternatives for one metric: the model takes the best for the objective (terms.bestFor). */
export type Alternatives = Bound | readonly Bound[];

export interface ScenarioCells {
    readonly detect: Alternatives;
    readonly rto: Alternatives;
    readonly rpo: Alternatives;
    /** Set by a DR stack for the cells the primary stack owns. */
    readonly notOwned?: readonly ("detect" | "rto" | "rpo")[];
}

export type ScenarioModule = (ctx: ModelContext, subject: Subject, objective: CellObjectives) => ScenarioCells;

export interface CellObjectives {
    readonly detect: number;
    readonly rto: number;
    readonly rpo: number | null;
}

/**
 * The objectives of one cell. The critical-services RTO caps services in S1-S4 only: S5's own
 * objective (20 minutes, a clean-slate rebuild) is the plan's stated exception.
 */
export function objectiveOf(input: ObjectivesInput, scenario: ScenarioId, subject: Subject): CellObjectives {
    const o = input.objectives.scenarios[scenario];
    const anyCritical = input.services.some((s) => s.critical);
    const rto = subject === "services" && anyCritical && scenario !== "S5" ? Math.min(o.rtoSeconds, input.objectives.criticalServicesRtoSeconds) : o.rtoSeconds;
    const classRpo = subject === "services" ? null : input.objectives.dataClasses[subject].rpoSeconds;
    const rpo = o.rpoSeconds === null ? null : classRpo === null ? o.rpoSeconds : Math.min(o.rpoSeconds, classRpo);
    return { detect: o.detectSeconds, rto, rpo };
}

export const stateless: Bound = { mechanism: "stateless services", terms: [vendor("statelessServices")] };
export const git: Bound = { mechanism: "configuration in git", terms: [vendor("gitConfiguration")] };

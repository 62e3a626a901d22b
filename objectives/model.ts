/**
 * The objectives model: from what a stack declares (ObjectivesInput), the detection time, RTO
 * and RPO each scenario (S1-S5) achieves for each kind of data, worst case first, and whether
 * each cell is within its objective, at risk, over, or accepted as a stated risk.
 *
 * Scenario modules (scenarios/) say which mechanisms bound each cell; mechanism modules
 * (mechanisms/) read them from the declared resources; terms.ts judges. RTO is counted from
 * the failure, so it includes detection.
 */
import { CONSTANTS } from "./constants";
import { AcceptedRisk, ModelContext, Metric, ObjectivesInput, ScenarioId, Subject } from "./input";
import { Alternatives, ScenarioCells, objectiveOf } from "./scenarios/common";
import { drRow } from "./scenarios/dr";
import { s3, s4 } from "./scenarios/regional";
import { s1 } from "./scenarios/s1";
import { s2 } from "./scenarios/s2";
import { s5 } from "./scenarios/s5";
import { Basis, Bound, Path, Term, bestFor, isFirm, isMissing, meets, sum } from "./terms";
import { SCENARIO_NAMES } from "../config/vocabulary";

export type CellStatus = "within" | "at-risk" | "over" | "missing" | "informational" | "not-owned";

export interface Cell {
    /** `<scenario>.<subject>.<metric>`: what objectives.acceptedRisks names. */
    readonly id: string;
    readonly metric: Metric;
    readonly objectiveSeconds: number | null;
    /** The bound of the chosen path (budgets and typical figures counted at their stated values); null when missing. */
    readonly seconds: number | null;
    /** The smallest bound of a firm path (guarantees, design, measurements), when it differs from `seconds`. */
    readonly guaranteedSeconds?: number | null;
    readonly status: CellStatus;
    readonly mechanism: string;
    readonly terms: readonly Term[];
    /** The terms that keep the cell from being firm: typical, SLA or budget. */
    readonly soft: readonly Term[];
    readonly notes: readonly string[];
    /** The stack's accepted risk for this cell, and whether the cell still fits it. */
    readonly accepted?: AcceptedRisk & { readonly holds: boolean };
}

export interface Row {
    readonly scenario: ScenarioId;
    readonly scenarioName: string;
    readonly subject: Subject;
    readonly detect: Cell;
    readonly rto: Cell;
    readonly rpo: Cell;
}

export interface ConstantUse {
    readonly label: string;
    readonly value: string;
    readonly basis: Basis;
    readonly ref: string;
    readonly says?: string;
    readonly arithmetic?: string;
    readonly budgetFrom?: string;
}

export interface ObjectivesTable {
    readonly stack: string;
    readonly environment: string;
    readonly role: string;
    readonly rows: readonly Row[];
    /** Every term a cell used, once, with its source and basis. */
    readonly constants: readonly ConstantUse[];
    readonly acceptedRisks: readonly AcceptedRisk[];
    /** Accepted risks that name no cell of this table (a typo, or a cell that no longer exists). */
    readonly unusedAcceptedRisks: readonly AcceptedRisk[];
    readonly notes: readonly string[];
    readonly summary: Readonly<Record<CellStatus | "accepted", number>>;
}

const ROWS: readonly [ScenarioId, readonly Subject[]][] = [
    ["S1", ["services", "database", "cache"]],
    ["S2", ["database"]],
    ["S3", ["services", "database", "cache", "configuration", "logs", "uploads"]],
    ["S4", ["services", "database", "cache", "configuration", "logs", "uploads"]],
    ["S5", ["services", "database", "cache", "configuration", "logs", "uploads"]],
];

const SCENARIOS = { S1: s1, S2: s2, S3: s3, S4: s4, S5: s5 };

function judge(id: string, metric: Metric, objectiveSeconds: number | null, alts: Alternatives, accepted: AcceptedRisk | undefined): Cell {
    const list = (Array.isArray(alts) ? alts : [alts]) as Bound[];
    const chosen = bestFor(objectiveSeconds, ...list);
    if (isMissing(chosen)) {
        return { id, metric, objectiveSeconds, seconds: null, status: "missing", mechanism: "none declared", terms: [], soft: [], notes: [chosen.missing] };
    }
    const seconds = sum(chosen.terms);
    const firm = isFirm(chosen);
    const soft = chosen.terms.filter((t) => !isFirm({ mechanism: "", terms: [t] }));
    const firmPaths = list.filter((b): b is Path => !isMissing(b) && isFirm(b));
    const guaranteed = firmPaths.length ? Math.min(...firmPaths.map((p) => sum(p.terms))) : null;
    const status: CellStatus = objectiveSeconds === null ? "informational" : meets(seconds, objectiveSeconds) ? (firm ? "within" : "at-risk") : "over";
    const notes = [...(chosen.notes ?? [])];
    if (status === "at-risk") notes.push(`within the ${objectiveSeconds} s objective only if ${soft.map((t) => `"${t.label}" (${t.basis}) holds at ${t.seconds} s`).join(" and ")}`);
    if (!firm && guaranteed !== seconds) notes.push(guaranteed === null ? "no path of this cell is firm (guarantees, design choices and measurements only)" : `the guaranteed bound (firm path) is ${guaranteed} s`);
    const acc = accepted && (status === "at-risk" || status === "over") ? { ...accepted, holds: seconds <= accepted.worstSeconds } : undefined;
    if (acc) notes.push(acc.holds ? `accepted risk: up to ${acc.worstSeconds} s (${acc.reason})` : `accepted risk exceeded: the bound ${seconds} s grew past the ${acc.worstSeconds} s the stack accepted`);
    return {
        id,
        metric,
        objectiveSeconds,
        seconds,
        ...(!firm && guaranteed !== seconds ? { guaranteedSeconds: guaranteed } : {}),
        status,
        mechanism: chosen.mechanism,
        terms: chosen.terms,
        soft,
        notes,
        ...(acc ? { accepted: acc } : {}),
    };
}

const notOwned = (id: string, metric: Metric, objectiveSeconds: number | null, owner: string): Cell => ({ id, metric, objectiveSeconds, seconds: null, status: "not-owned", mechanism: owner, terms: [], soft: [], notes: [] });

/** Computes the objectives table of one stack. Pure: same input, same table. */
export function computeObjectives(input: ObjectivesInput): ObjectivesTable {
    const ctx: ModelContext = { input, resources: input.resources, reports: input.reports ?? [], unknown: [] };
    const risks = input.objectives.acceptedRisks;
    const used = new Set<string>();
    const rows: Row[] = [];
    for (const [scenario, subjects] of ROWS) {
        for (const subject of subjects) {
            const o = objectiveOf(input, scenario, subject);
            const cells: ScenarioCells = input.role === "dr" ? drRow(ctx, scenario, subject, o) : SCENARIOS[scenario](ctx, subject, o);
            const make = (metric: Metric, objective: number | null, alts: Alternatives) => {
                const id = `${scenario}.${subject}.${metric}`;
                if (cells.notOwned?.includes(metric)) return notOwned(id, metric, objective, `the primary stack (${input.dr?.primaryStack ?? "?"})`);
                const risk = risks.find((r) => r.cell === id);
                if (risk) used.add(id);
                return judge(id, metric, objective, alts, risk);
            };
            rows.push({ scenario, scenarioName: SCENARIO_NAMES[scenario], subject, detect: make("detect", o.detect, cells.detect), rto: make("rto", o.rto, cells.rto), rpo: make("rpo", o.rpo, cells.rpo) });
        }
    }
    const summary: Record<CellStatus | "accepted", number> = { within: 0, "at-risk": 0, over: 0, missing: 0, informational: 0, "not-owned": 0, accepted: 0 };
    const seen = new Map<string, ConstantUse>();
    for (const row of rows) {
        for (const c of [row.detect, row.rto, row.rpo]) {
            summary[c.status]++;
            if (c.accepted?.holds) summary.accepted++;
            for (const t of c.terms) {
                const key = `${t.label}|${t.source}`;
                if (seen.has(key)) continue;
                const vc = Object.values(CONSTANTS).find((k) => k.source.ref === t.source);
                seen.set(key, { label: t.label, value: `${t.seconds} s`, basis: t.basis, ref: t.source, says: vc?.source.says, arithmetic: t.arithmetic, budgetFrom: t.budgetFrom });
            }
        }
    }
    const unknown = [...new Set(ctx.unknown)].map((u) => `unknown until deployed, so not counted: ${u}`);
    return {
        stack: input.stack,
        environment: input.environment,
        role: input.role,
        rows,
        constants: [...seen.values()],
        acceptedRisks: risks,
        // In a DR stack only S3/S4 RTO cells exist; a risk naming a cell it does not own is reported.
        unusedAcceptedRisks: risks.filter((r) => !used.has(r.cell)),
        notes: [...(input.notes ?? []), ...unknown],
        summary,
    };
}

const cellsOf = (row: Row) => [row.detect, row.rto, row.rpo];

/**
 * Cells that break an objective: a missing mechanism, or a cell over or at risk that the stack
 * has not accepted (or whose bound grew past what it accepted).
 */
export function failingCells(table: ObjectivesTable): { row: Row; cell: Cell }[] {
    return table.rows.flatMap((row) =>
        cellsOf(row)
            .filter((c) => c.status === "missing" || ((c.status === "over" || c.status === "at-risk") && !c.accepted?.holds))
            .map((cell) => ({ row, cell })),
    );
}

/** Cells that hold only on an unmeasured budget term (the advisory rule lists them so a drill can measure them). */
export function openCells(table: ObjectivesTable): { row: Row; cell: Cell }[] {
    return table.rows.flatMap((row) => cellsOf(row).filter((c) => c.soft.some((t) => t.basis === "budget")).map((cell) => ({ row, cell })));
}

/** One line describing a cell, for findings and logs. */
export function describeCell(row: Row, c: Cell): string {
    const what = `${row.scenario} ${row.scenarioName} / ${row.subject} / ${c.metric === "detect" ? "detection" : c.metric.toUpperCase()} [${c.id}]`;
    const objective = c.objectiveSeconds === null ? "no objective" : `objective < ${c.objectiveSeconds} s`;
    if (c.status === "missing") return `${what}: not achievable (${objective}): ${c.notes[0]}`;
    const known = `${c.seconds} s via ${c.mechanism} [${c.terms.map((t) => `${t.label} = ${t.seconds} s (${t.basis})`).join(" + ")}]`;
    const accepted = c.accepted ? (c.accepted.holds ? `; accepted risk up to ${c.accepted.worstSeconds} s` : `; exceeds the accepted ${c.accepted.worstSeconds} s`) : "";
    if (c.status === "over") return `${what}: ${known} is not under the ${objective}${accepted}`;
    if (c.status === "at-risk") return `${what}: ${known}; at risk: ${c.notes.find((n) => n.startsWith("within the")) ?? ""}${accepted}`;
    return `${what}: ${known} (${objective})`;
}

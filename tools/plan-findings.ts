/**
 * The policy part of the offline plan: runs the pack's rules over the evaluated resources
 * (policies/runner.ts, the same objects `pulumi preview --policy-pack policies` serves), and
 * renders the findings, the objectives table and the compliance view. A mandatory violation
 * makes the plan exit 1, as it would fail a preview.
 */
import { Cell, ObjectivesTable, Row } from "../objectives";
import * as fs from "fs";
import * as path from "path";
import { DrillEvidenceStatus, FRAMEWORKS, Framework, drillEvidenceOf } from "../policies/lib/compliance";
import { committedReports, objectivesOf } from "../policies/lib/objectives-check";
import { withStackConfig } from "../policies/lib/stack-config";
import type { FortressRule } from "../policies/lib/rule";
import { RULES } from "../policies/rules";
import { Finding, ResourceRecord, RuleOutcome, RunOptions, mandatoryFindings, runRules, toPolicyResources } from "../policies/runner";
import type { PlanResult } from "./evaluate";

export interface ComplianceEntry {
    readonly rule: string;
    readonly control: string;
    readonly status: RuleOutcome["status"];
    readonly enforcementLevel: string;
    readonly severity: string;
}

export interface PlanFindings {
    readonly outcomes: readonly RuleOutcome[];
    readonly findings: readonly Finding[];
    readonly objectives?: ObjectivesTable;
    /** Why there is no objectives table (no manifest and no config), when there is none. */
    readonly objectivesProblem?: string;
    readonly compliance: Readonly<Record<Framework, readonly ComplianceEntry[]>>;
    /** Controls proven by drills on real servers, per framework, with the newest run's verdict. */
    readonly complianceDrills: Readonly<Record<Framework, readonly DrillEvidenceStatus[]>>;
    /** Rules with a mandatory violation, in pack order. */
    readonly mandatoryViolations: readonly string[];
    readonly exitCode: 0 | 1;
}

export interface PlanFindingsOptions {
    /** @default every rule of the pack */
    readonly rules?: readonly FortressRule[];
    /** Per-policy config, as `pulumi preview --policy-pack-config` would give it. */
    readonly policyConfig?: RunOptions["policyConfig"];
}

/** The newest run of a drill as committed in reports/ (undefined when it never ran or does not parse). */
function readDrillReport(drill: string): ReturnType<Parameters<typeof drillEvidenceOf>[1]> {
    try {
        return JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "reports", `drill-${drill}.json`), "utf8"));
    } catch {
        return undefined;
    }
}

/** Runs the pack's rules over an evaluated stack. */
export async function planFindings(result: Pick<PlanResult, "resources" | "config">, options: PlanFindingsOptions = {}): Promise<PlanFindings> {
    const rules = options.rules ?? RULES;
    const records = result.resources as readonly ResourceRecord[];
    const stackResources = toPolicyResources(records);
    const outcomes = await runRules(rules, records, { stackConfig: result.config, stackResources, policyConfig: options.policyConfig });
    const table = await withStackConfig(result.config, async () => objectivesOf(stackResources, committedReports));
    const compliance = Object.fromEntries(FRAMEWORKS.map((f) => [f, [] as ComplianceEntry[]])) as Record<Framework, ComplianceEntry[]>;
    for (const rule of rules) {
        const o = outcomes.find((x) => x.policy === rule.name)!;
        for (const c of rule.compliance) {
            compliance[c.framework].push({ rule: rule.name, control: c.control, status: o.status, enforcementLevel: o.enforcementLevel, severity: rule.severity });
        }
    }
    const complianceDrills = Object.fromEntries(FRAMEWORKS.map((f) => [f, drillEvidenceOf(f, readDrillReport)])) as Record<Framework, DrillEvidenceStatus[]>;
    const mandatory = mandatoryFindings(outcomes);
    const mandatoryViolations = [...new Set(mandatory.map((f) => f.policy))];
    return {
        outcomes,
        findings: outcomes.flatMap((o) => o.findings),
        ...(table.ok ? { objectives: table.table } : { objectivesProblem: table.problem }),
        compliance,
        complianceDrills,
        mandatoryViolations,
        exitCode: mandatoryViolations.length > 0 ? 1 : 0,
    };
}

/** The `--json` additions: findings, objectives and compliance. */
export function findingsDocument(pf: PlanFindings): Record<string, unknown> {
    return {
        findings: pf.findings,
        objectives: pf.objectives ?? { problem: pf.objectivesProblem },
        compliance: {
            rules: pf.outcomes.map((o) => ({ rule: o.policy, status: o.status, enforcementLevel: o.enforcementLevel, findings: o.findings.length, notApplicable: o.notApplicable })),
            frameworks: pf.compliance,
            drills: pf.complianceDrills,
        },
        mandatoryViolations: pf.mandatoryViolations,
    };
}

// ---------------------------------------------------------------------------------------------
// Text

function table(rows: string[][], indent = "  "): string {
    if (rows.length === 0) return `${indent}(none)\n`;
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

const MARK: Readonly<Record<Cell["status"], string>> = {
    within: "ok",
    "at-risk": "AT RISK",
    over: "OVER",
    missing: "MISSING",
    informational: "info",
    "not-owned": "-",
};

function seconds(v: number | null): string {
    if (v === null) return "-";
    return Number.isInteger(v) ? `${v}` : v.toFixed(1);
}

/** "48/60 ok": bound / objective (seconds) and the verdict; "~" marks a typical, SLA or budget term; "(accepted)" a stated risk. */
function cellText(c: Cell): string {
    if (c.status === "not-owned") return "(DR pair)";
    if (c.status === "missing") return `-/${seconds(c.objectiveSeconds)} MISSING`;
    const acc = c.accepted ? (c.accepted.holds ? " (accepted)" : " (past accepted)") : "";
    return `${seconds(c.seconds)}${c.soft.length ? "~" : ""}/${seconds(c.objectiveSeconds)} ${MARK[c.status]}${acc}`;
}

function why(row: Row, c: Cell): string {
    const head = `${c.id}`;
    if (c.status === "missing") return `    ${head}: ${c.notes[0]}`;
    const terms = c.terms.map((t) => `${t.label} ${seconds(t.seconds)} s [${t.basis}]`).join(" + ");
    const notes = c.notes.length ? `\n      ${c.notes.join("\n      ")}` : "";
    return `    ${head} (${row.scenarioName}, ${row.subject}): ${c.mechanism}: ${terms}${notes}`;
}

export function renderObjectives(t: ObjectivesTable): string {
    let out = `\nRecovery objectives: bound / objective, seconds (computed from what ${t.stack || "the stack"} declares, worst case first; within means < objective on guarantees, design choices and measurements only; "~" = a typical, SLA or budget term)\n`;
    const rows = [["scenario", "data", "detect", "RTO", "RPO"]];
    for (const r of t.rows) rows.push([`${r.scenario} ${r.scenarioName}`, r.subject, cellText(r.detect), cellText(r.rto), cellText(r.rpo)]);
    out += table(rows);
    out += `  ${summaryLine(t)}\n`;
    const explained = t.rows.flatMap((r) => [r.detect, r.rto, r.rpo].filter((c) => c.status === "over" || c.status === "missing" || c.status === "at-risk").map((c) => why(r, c)));
    if (explained.length > 0) out += `\n  Why (every cell not within its objective):\n${explained.join("\n")}\n`;
    if (t.acceptedRisks.length > 0) {
        out += `\n  Accepted risks (objectives.acceptedRisks in the stack file):\n`;
        const byId = new Map(t.rows.flatMap((r) => [r.detect, r.rto, r.rpo]).map((c) => [c.id, c]));
        out += table(
            t.acceptedRisks.map((a) => {
                const c = byId.get(a.cell);
                const state = !c || c.status === "not-owned" ? "names no cell of this stack" : c.accepted ? (c.accepted.holds ? `holds (bound ${seconds(c.seconds)} s)` : `EXCEEDED (bound ${seconds(c.seconds)} s)`) : `not needed (${c.status})`;
                return [a.cell, `<= ${a.worstSeconds} s`, state, a.reason];
            }),
            "    ",
        );
    }
    out += `\n  Terms used (value, basis, source; arithmetic of scaled figures; where each budget comes from):\n`;
    out += table(t.constants.map((c) => [c.label, c.value, c.basis, [c.ref, c.arithmetic, c.budgetFrom ? `budget: ${c.budgetFrom}` : undefined].filter(Boolean).join("; ")]), "    ");
    for (const n of t.notes) out += `  note: ${n}\n`;
    return out;
}

/** The one-line summary of a table. */
export function summaryLine(t: ObjectivesTable): string {
    const s = t.summary;
    return `${s.within} within, ${s["at-risk"]} at risk, ${s.over} over, ${s.missing} missing (${s.accepted} of the at-risk/over cells accepted as stated risks), ${s.informational} informational${s["not-owned"] ? `, ${s["not-owned"]} owned by the other stack of the pair` : ""}`;
}

export function renderFindings(pf: PlanFindings): string {
    let out = `\nPolicy pack (policies/, ${pf.outcomes.length} rules; run here without the engine, as \`pulumi preview --policy-pack policies\` runs them)\n`;
    const rows = [["status", "rule", "level", "findings"]];
    for (const o of pf.outcomes) rows.push([o.status === "fail" ? "FAIL" : o.status, o.policy, o.enforcementLevel, String(o.findings.length)]);
    out += table(rows);
    if (pf.findings.length > 0) {
        out += `\n  Findings:\n`;
        for (const f of pf.findings) out += `    [${f.enforcementLevel}] ${f.policy}${f.resource ? ` (${f.resource})` : ""}: ${f.message}\n`;
    }
    out += pf.objectives ? renderObjectives(pf.objectives) : `\nRecovery objectives: not computed: ${pf.objectivesProblem}\n`;
    out += `\nCompliance: each framework's rules and their status in this stack\n`;
    for (const f of FRAMEWORKS) {
        out += `  ${f}\n`;
        out += table(pf.compliance[f].map((e) => [e.status === "fail" ? "FAIL" : e.status, e.rule, e.control]), "    ");
        for (const d of pf.complianceDrills[f]) out += `    ${d.status === "fail" ? "FAIL" : d.status}  drill ${d.drill}  ${d.control}: ${d.detail}\n`;
    }
    out +=
        pf.exitCode === 0
            ? `\nNo mandatory violation.\n`
            : `\n${pf.mandatoryViolations.length} rule(s) with a mandatory violation: ${pf.mandatoryViolations.join(", ")}; \`pulumi preview --policy-pack policies\` would fail.\n`;
    return out;
}

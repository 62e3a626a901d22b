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
import { RenderOptions, plural, table, wrap } from "./plan-text";

export interface ComplianceEntry {
    readonly rule: string;
    readonly control: string;
    readonly status: RuleOutcome["status"];
    readonly enforcementLevel: string;
    readonly severity: string;
}

export interface PlanFindings {
    /** The rules that ran, in pack order. */
    readonly rules: readonly FortressRule[];
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
        rules,
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

function why(row: Row, c: Cell, details: boolean): string[] {
    const head = `${c.id} (${cellText(c)})`;
    if (c.status === "missing") return wrap(`${head}: ${c.notes[0]}`, "    ", "      ");
    const terms = c.terms.map((t) => `${t.label} ${seconds(t.seconds)} s [${t.basis}]`).join(" + ");
    const notes = details ? c.notes : c.notes.filter((n) => /^accepted risk|guaranteed bound/.test(n));
    return [...wrap(`${head}: ${c.mechanism}: ${terms}`, "    ", "      "), ...notes.flatMap((n) => wrap(n, "      ", "        "))];
}

/** The one-line summary of a table. */
export function summaryLine(t: ObjectivesTable): string {
    const s = t.summary;
    return `${s.within} within, ${s["at-risk"]} at risk, ${s.over} over, ${s.missing} missing (${s.accepted} of the at-risk/over cells accepted as stated risks), ${s.informational} informational${s["not-owned"] ? `, ${s["not-owned"]} owned by the other stack of the pair` : ""}`;
}

/** Cells a reader must act on or accept: over, at risk, or missing a mechanism (accepted ones only with --details). */
const needsAttention = (c: Cell, details: boolean) => (c.status === "over" || c.status === "at-risk" || c.status === "missing") && (details || !c.accepted?.holds);

export function renderObjectives(t: ObjectivesTable, options: RenderOptions = { details: false }): string {
    let out = `\nRecovery objectives: bound / objective, seconds (computed from what ${t.stack || "the stack"} declares, worst case first; within means < objective on guarantees, design choices and measurements only; "~" = a typical, SLA or budget term)\n`;
    const rows = [["scenario", "data", "detect", "RTO", "RPO"]];
    for (const r of t.rows) rows.push([`${r.scenario} ${r.scenarioName}`, r.subject, cellText(r.detect), cellText(r.rto), cellText(r.rpo)]);
    out += table(rows);
    out += `  ${summaryLine(t)}\n`;
    const cells = t.rows.flatMap((r) => [r.detect, r.rto, r.rpo].map((c) => [r, c] as const));
    const explained = cells.filter(([, c]) => needsAttention(c, options.details));
    if (explained.length > 0) {
        out += options.details ? `\n  Why (every cell not within its objective):\n` : `\n  Why (cells over, at risk or missing that no accepted risk covers):\n`;
        out += explained.flatMap(([r, c]) => why(r, c, options.details)).join("\n") + "\n";
    }
    if (t.acceptedRisks.length > 0) {
        out += `\n  Accepted risks (objectives.acceptedRisks in the stack file):\n`;
        const byId = new Map(cells.map(([, c]) => [c.id, c]));
        out += table(
            t.acceptedRisks.map((a) => {
                const c = byId.get(a.cell);
                const state = !c || c.status === "not-owned" ? "names no cell of this stack" : c.accepted ? (c.accepted.holds ? `holds (bound ${seconds(c.seconds)} s)` : `EXCEEDED (bound ${seconds(c.seconds)} s)`) : `not needed (${c.status})`;
                return [a.cell, `<= ${a.worstSeconds} s`, state, a.reason];
            }),
            "    ",
        );
    }
    if (!options.details) {
        out += `  --details explains every cell not within, with every term, its basis and source, the arithmetic of scaled figures and where each budget comes from\n`;
    } else {
        out += `\n  Terms used (value, basis, source; arithmetic of scaled figures; where each budget comes from):\n`;
        out += table(
            [["value", "basis", "term [source]"], ...t.constants.map((c) => [c.value, c.basis, `${c.label} [${[c.ref, c.arithmetic, c.budgetFrom ? `budget: ${c.budgetFrom}` : undefined].filter(Boolean).join("; ")}]`])],
            "    ",
        );
    }
    for (const n of t.notes) out += wrap(`note: ${n}`, "  ", "    ").join("\n") + "\n";
    return out;
}

/**
 * The compliance view without repetition: each rule once, with its status and, per framework,
 * the controls it supports (short references); then each control once with its text.
 */
export function renderCompliance(pf: PlanFindings): string {
    const codes = new Map<string, string>(); // "framework\0control" -> short reference
    const legend: string[][] = [];
    for (const f of FRAMEWORKS) {
        const controls = [...new Set([...pf.compliance[f].map((e) => e.control), ...pf.complianceDrills[f].map((d) => d.control)])].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
        const shortOf = (c: string) => c.split(":")[0].replace(/^(Art\. |45 CFR |v4\.0 Req\. |Section )/, "").split(/[\s,]/)[0];
        const seen = new Map<string, number>();
        for (const c of controls) seen.set(shortOf(c), (seen.get(shortOf(c)) ?? 0) + 1);
        const index = new Map<string, number>();
        for (const c of controls) {
            const base = shortOf(c);
            const n = (index.get(base) ?? 0) + 1;
            index.set(base, n);
            const code = (seen.get(base) ?? 0) > 1 ? `${base}/${n}` : base;
            codes.set(`${f}\0${c}`, code);
            legend.push([legend.some((l) => l[0] === f) ? "" : f, code, c]);
        }
    }
    const rules = [...new Set(FRAMEWORKS.flatMap((f) => pf.compliance[f].map((e) => e.rule)))];
    const codesOf = (f: Framework, rule: string) =>
        pf.compliance[f]
            .filter((e) => e.rule === rule)
            .map((e) => codes.get(`${f}\0${e.control}`)!)
            .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
            .join(" ");
    const rows = [["status", "rule", ...FRAMEWORKS]];
    for (const rule of rules) {
        const status = FRAMEWORKS.map((f) => pf.compliance[f].find((e) => e.rule === rule)?.status).find((x) => x !== undefined)!;
        rows.push([status === "fail" ? "FAIL" : status, rule, ...FRAMEWORKS.map((f) => codesOf(f, rule) || "-")]);
    }
    // Controls a drill proves on real servers: one row per drill, its newest run's verdict.
    const drills = [...new Set(FRAMEWORKS.flatMap((f) => pf.complianceDrills[f].map((d) => d.drill)))];
    const drillDetails: string[] = [];
    for (const drill of drills) {
        const of = FRAMEWORKS.flatMap((f) => pf.complianceDrills[f].filter((d) => d.drill === drill).map((d) => [f, d] as const));
        const status = of.some(([, d]) => d.status === "fail") ? "FAIL" : of.some(([, d]) => d.status === "not run") ? "not run" : "pass";
        rows.push([status, `drill ${drill}`, ...FRAMEWORKS.map((f) => of.filter(([g]) => g === f).map(([, d]) => codes.get(`${f}\0${d.control}`)!).join(" ") || "-")]);
        drillDetails.push(...wrap(`drill ${drill} (${status}): ${[...new Set(of.map(([, d]) => d.detail))].join("; ")}`, "    ", "      "));
    }
    let out = `\nCompliance: each rule once, with the controls it supports per framework (a rule supports a control; it does not alone make a system compliant)\n`;
    out += table(rows);
    if (drillDetails.length > 0) out += `\n  Drills (controls proven on real servers, newest run):\n${drillDetails.join("\n")}\n`;
    out += `\n  Controls\n`;
    out += table(legend, "    ");
    return out;
}

/** One line per framework: how many controls the pack supports, and which have a failing rule. */
function complianceSummary(pf: PlanFindings): string {
    const parts = FRAMEWORKS.map((f) => {
        const controls = new Set([...pf.compliance[f].map((e) => e.control), ...pf.complianceDrills[f].map((d) => d.control)]);
        const failing = new Set([...pf.compliance[f].filter((e) => e.status === "fail"), ...pf.complianceDrills[f].filter((d) => d.status === "fail")].map((e) => e.control));
        return `${f} ${controls.size}${failing.size > 0 ? ` (${failing.size} FAILING)` : ""}`;
    });
    const unproven = FRAMEWORKS.flatMap((f) => pf.complianceDrills[f]).filter((d) => d.status === "not run").map((d) => `drill ${d.drill}`);
    const drills = unproven.length > 0 ? `; not run yet: ${[...new Set(unproven)].join(", ")}` : "";
    return `\n` + wrap(`Compliance: controls the rules and drills support: ${parts.join(", ")}${drills}; --details: the rule x framework matrix`, "", "  ").join("\n") + "\n";
}

/** At most this many mandatory findings in the default view; the rest are counted. */
const MAX_MANDATORY_SHOWN = 12;

export function renderFindings(pf: PlanFindings, options: RenderOptions = { details: false }): string {
    let out = `\nPolicy pack (policies/, ${pf.outcomes.length} rules; run here without the engine, as \`pulumi preview --policy-pack policies\` runs them)\n`;
    if (options.details) {
        const rows = [["status", "rule", "level", "findings"]];
        for (const o of pf.outcomes) rows.push([o.status === "fail" ? "FAIL" : o.status, o.policy, o.enforcementLevel, String(o.findings.length)]);
        out += table(rows);
        if (pf.findings.length > 0) {
            out += `\n  Findings:\n`;
            for (const f of pf.findings) out += findingLines(f).join("\n") + "\n";
        }
    } else {
        const rows: string[][] = [];
        for (const level of ["mandatory", "advisory", "disabled"] as const) {
            const of = pf.outcomes.filter((o) => o.enforcementLevel === level);
            if (of.length === 0) continue;
            const statuses = new Map<string, number>();
            for (const o of of) statuses.set(o.status === "fail" ? "FAIL" : o.status, (statuses.get(o.status === "fail" ? "FAIL" : o.status) ?? 0) + 1);
            const findings = of.reduce((n, o) => n + o.findings.length, 0);
            rows.push([level, `${plural(of.length, "rule")}:`, [...statuses].map(([st, n]) => `${n} ${st}`).join(", ") + (findings > 0 ? `; ${plural(findings, "finding")}` : "")]);
        }
        out += table(rows);
        const mandatory = pf.findings.filter((f) => f.enforcementLevel === "mandatory");
        const advisory = pf.outcomes.filter((o) => o.findings.some((f) => f.enforcementLevel === "advisory"));
        if (mandatory.length + advisory.length > 0) {
            out += `  Needs action (--details: every rule and every finding):\n`;
            for (const f of mandatory.slice(0, MAX_MANDATORY_SHOWN)) out += findingLines(f).join("\n") + "\n";
            if (mandatory.length > MAX_MANDATORY_SHOWN) out += `    ... and ${mandatory.length - MAX_MANDATORY_SHOWN} more mandatory finding(s)\n`;
            for (const o of advisory) {
                const n = o.findings.filter((f) => f.enforcementLevel === "advisory").length;
                const rule = pf.rules.find((r) => r.name === o.policy);
                out += wrap(`[advisory] ${o.policy}: ${plural(n, "finding")}${rule ? ` (${rule.description.replace(/\.$/, "")})` : ""}`, "    ", "      ").join("\n") + "\n";
            }
        }
    }
    out += pf.objectives ? renderObjectives(pf.objectives, options) : `\nRecovery objectives: not computed: ${pf.objectivesProblem}\n`;
    out += options.details ? renderCompliance(pf) : complianceSummary(pf);
    out +=
        pf.exitCode === 0
            ? `\nNo mandatory violation.\n`
            : `\n${pf.mandatoryViolations.length} rule(s) with a mandatory violation: ${pf.mandatoryViolations.join(", ")}; \`pulumi preview --policy-pack policies\` would fail.\n`;
    return out;
}

function findingLines(f: Finding): string[] {
    return wrap(`[${f.enforcementLevel}] ${f.policy}${f.resource ? ` (${f.resource})` : ""}: ${f.message}`, "    ", "      ");
}

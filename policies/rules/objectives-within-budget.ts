import { describeCell, failingCells } from "../../objectives";
import type { FortressConfig } from "../../config";
import { CONTROLS } from "../lib/compliance";
import { ReportsSource, committedReports, objectivesAreMandatory, objectivesOf } from "../lib/objectives-check";
import { FortressStackRule, stackRule } from "../lib/rule";

export const OBJECTIVES_COMPLIANCE = [CONTROLS.gdprRestore, CONTROLS.gdprTesting, CONTROLS.hipaaDisasterRecovery, CONTROLS.hipaaTesting, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations];
export const OBJECTIVES_REMEDIATION =
    "Run `npm run plan -- <stack>` and read the objectives table: each failing cell names the mechanism that bounds it and every term. Declare the missing mechanism, tighten the declared figure (interval, TTL, schedule, archive_timeout), or measure the open term with a drill.";

/** What differs between the mandatory rule and its advisory twin; the check itself is one. */
const VARIANTS = {
    mandatory: {
        name: "objectives-within-budget",
        description: "Every computed detection time, RTO and RPO is within the stack's configured objective (prod and staging).",
        severity: "critical",
        otherRuleChecks: (config: FortressConfig): string | undefined => {
            if (objectivesAreMandatory(config)) return undefined;
            const dr = config.role === "dr" ? `, DR mode ${config.dr?.mode}${config.dr?.promote ? " promoted" : ""}` : "";
            return `environment ${config.environment}${dr}: checked by objectives-within-budget-advisory`;
        },
    },
    advisory: {
        name: "objectives-within-budget-advisory",
        description: "Every computed detection time, RTO and RPO is within the stack's configured objective (advisory: dev, and DR stacks rebuilding or promoting during an incident).",
        severity: "medium",
        otherRuleChecks: (config: FortressConfig): string | undefined =>
            objectivesAreMandatory(config) ? `environment ${config.environment}: checked by the mandatory objectives-within-budget` : undefined,
    },
} as const;

/**
 * The stack rule: every detection time, RTO and RPO the declared mechanisms can achieve is
 * within the stack's configured objective (the DR manifest's `objectives`). A missing
 * mechanism fails as surely as a slow one. Mandatory in prod and staging; the advisory
 * variant checks the same where a breach must not block: dev stacks, and a DR stack
 * rebuilding or promoting during an incident. Enforcement levels are fixed per policy, so
 * the environment chooses which of the two applies.
 */
export function makeObjectivesRule(level: keyof typeof VARIANTS, source: ReportsSource = committedReports): FortressStackRule {
    const variant = VARIANTS[level];
    return stackRule({
        name: variant.name,
        description: variant.description,
        enforcementLevel: level,
        severity: variant.severity,
        compliance: OBJECTIVES_COMPLIANCE,
        remediationSteps: OBJECTIVES_REMEDIATION,
        validateStack: (args, report) => {
            const r = objectivesOf(args.resources, source);
            if (!r.ok) {
                // Without a manifest the mandatory rule fails (nothing else reports it).
                if (level === "advisory") return args.notApplicable("no DR manifest; objectives-within-budget reports it");
                report(`cannot compute the objectives: ${r.problem}`);
                return;
            }
            const elsewhere = variant.otherRuleChecks(r.config);
            if (elsewhere !== undefined) return args.notApplicable(elsewhere);
            for (const { row, cell } of failingCells(r.table)) report(describeCell(row, cell));
        },
    });
}

export const makeObjectivesWithinBudget = (source: ReportsSource = committedReports): FortressStackRule => makeObjectivesRule("mandatory", source);

export const objectivesWithinBudget = makeObjectivesWithinBudget();

import { describeCell, failingCells } from "../../objectives";
import { CONTROLS } from "../lib/compliance";
import { ReportsSource, committedReports, objectivesAreMandatory, objectivesOf } from "../lib/objectives-check";
import { FortressStackRule, stackRule } from "../lib/rule";

export const OBJECTIVES_COMPLIANCE = [CONTROLS.gdprRestore, CONTROLS.gdprTesting, CONTROLS.hipaaDisasterRecovery, CONTROLS.hipaaTesting, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations];
export const OBJECTIVES_REMEDIATION =
    "Run `npm run plan -- <stack>` and read the objectives table: each failing cell names the mechanism that bounds it and every term. Declare the missing mechanism, tighten the declared figure (interval, TTL, schedule, archive_timeout), or measure the open term with a drill.";

/**
 * The stack rule: every detection time, RTO and RPO the declared mechanisms can achieve is
 * within the stack's configured objective (the DR manifest's `objectives`). A missing
 * mechanism fails as surely as a slow one. Mandatory in prod and staging.
 */
export function makeObjectivesWithinBudget(source: ReportsSource = committedReports): FortressStackRule {
    return stackRule({
        name: "objectives-within-budget",
        description: "Every computed detection time, RTO and RPO is within the stack's configured objective (prod and staging).",
        enforcementLevel: "mandatory",
        severity: "critical",
        compliance: OBJECTIVES_COMPLIANCE,
        remediationSteps: OBJECTIVES_REMEDIATION,
        validateStack: (args, report) => {
            const r = objectivesOf(args.resources, source);
            if (!r.ok) {
                report(`cannot compute the objectives: ${r.problem}`);
                return;
            }
            if (!objectivesAreMandatory(r.config)) {
                const dr = r.config.role === "dr" ? `, DR mode ${r.config.dr?.mode}${r.config.dr?.promote ? " promoted" : ""}` : "";
                return args.notApplicable(`environment ${r.config.environment}${dr}: checked by objectives-within-budget-advisory`);
            }
            for (const { row, cell } of failingCells(r.table)) report(describeCell(row, cell));
        },
    });
}

export const objectivesWithinBudget = makeObjectivesWithinBudget();

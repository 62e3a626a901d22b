import { describeCell, failingCells } from "../../objectives";
import { ReportsSource, committedReports, objectivesAreMandatory, objectivesOf } from "../lib/objectives-check";
import { FortressStackRule, stackRule } from "../lib/rule";
import { OBJECTIVES_COMPLIANCE, OBJECTIVES_REMEDIATION } from "./objectives-within-budget";

/**
 * The same check as objectives-within-budget where a breach must not block: dev stacks, and a
 * DR stack rebuilding or promoting during an incident. Enforcement levels are fixed per
 * policy, so the environment chooses which of the two policies applies.
 */
export function makeObjectivesWithinBudgetAdvisory(source: ReportsSource = committedReports): FortressStackRule {
    return stackRule({
        name: "objectives-within-budget-advisory",
        description: "Every computed detection time, RTO and RPO is within the stack's configured objective (advisory: dev, and DR stacks rebuilding or promoting during an incident).",
        enforcementLevel: "advisory",
        severity: "medium",
        compliance: OBJECTIVES_COMPLIANCE,
        remediationSteps: OBJECTIVES_REMEDIATION,
        validateStack: (args, report) => {
            const r = objectivesOf(args.resources, source);
            if (!r.ok) return args.notApplicable("no DR manifest; objectives-within-budget reports it");
            if (objectivesAreMandatory(r.config)) return args.notApplicable(`environment ${r.config.environment}: checked by the mandatory objectives-within-budget`);
            for (const { row, cell } of failingCells(r.table)) report(describeCell(row, cell));
        },
    });
}

export const objectivesWithinBudgetAdvisory = makeObjectivesWithinBudgetAdvisory();

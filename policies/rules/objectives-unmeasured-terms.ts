import { describeCell, openCells } from "../../objectives";
import { CONTROLS } from "../lib/compliance";
import { ReportsSource, committedReports, objectivesOf } from "../lib/objectives-check";
import { FortressStackRule, stackRule } from "../lib/rule";
import { OBJECTIVES_REMEDIATION } from "./objectives-within-budget";

/**
 * Cells whose known terms fit the objective but which also depend on a term nobody has
 * declared or measured (a promotion, a scale-up): the finding says how much of the objective
 * is left for it, so a drill can show whether it fits. Advisory: an unmeasured term is a gap
 * in evidence, not a proven breach.
 */
export function makeObjectivesUnmeasuredTerms(source: ReportsSource = committedReports): FortressStackRule {
    return stackRule({
        name: "objectives-unmeasured-terms",
        description: "Objectives that hold only if an unmeasured recovery step fits in the remaining budget.",
        enforcementLevel: "advisory",
        severity: "low",
        compliance: [CONTROLS.gdprTesting, CONTROLS.hipaaTesting, CONTROLS.pciIncidentResponse],
        remediationSteps: OBJECTIVES_REMEDIATION,
        validateStack: (args, report) => {
            const r = objectivesOf(args.resources, source);
            if (!r.ok) return args.notApplicable("no DR manifest; objectives-within-budget reports it");
            const open = openCells(r.table);
            if (open.length === 0) return;
            for (const { row, cell } of open) report(describeCell(row, cell));
        },
    });
}

export const objectivesUnmeasuredTerms = makeObjectivesUnmeasuredTerms();

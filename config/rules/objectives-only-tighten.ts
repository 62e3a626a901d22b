import { DEFAULT_DATA_CLASS_RPO, DEFAULT_SCENARIO_OBJECTIVES, ScenarioObjective } from "../sections/objectives";
import type { DataClassObjectiveId, ScenarioId } from "../vocabulary";
import type { ConfigRule, RuleIssue } from "./rule";

const looser = (given: number, floor: number) => `${given} is looser than the platform requirement ${floor}; a stack may only tighten objectives`;

/** Objectives may only be tightened, never loosened: the defaults are the platform's requirements. */
export const objectivesOnlyTightenRule: ConfigRule = {
    name: "objectives are only tightened",
    check: ({ objectives }) => {
        const found: RuleIssue[] = [];
        for (const [id, given] of Object.entries(objectives?.scenarios ?? {}) as [ScenarioId, ScenarioObjective][]) {
            const floor = DEFAULT_SCENARIO_OBJECTIVES[id];
            for (const field of ["detectSeconds", "rtoSeconds", "rpoSeconds"] as const) {
                const v = given[field];
                const d = floor[field];
                if (v !== null && d !== null && v > d) found.push({ path: ["objectives", "scenarios", id, field], message: looser(v, d) });
                // null means "no objective": looser than any number.
                else if (v === null && d !== null) found.push({ path: ["objectives", "scenarios", id, field], message: `null (no objective) is looser than the platform requirement ${d}; a stack may only tighten objectives` });
            }
        }
        if (objectives && objectives.criticalServicesRtoSeconds > 300) {
            found.push({ path: ["objectives", "criticalServicesRtoSeconds"], message: looser(objectives.criticalServicesRtoSeconds, 300) });
        }
        for (const [id, given] of Object.entries(objectives?.dataClasses ?? {}) as [DataClassObjectiveId, { rpoSeconds: number }][]) {
            const d = DEFAULT_DATA_CLASS_RPO[id];
            if (given.rpoSeconds > d) found.push({ path: ["objectives", "dataClasses", id, "rpoSeconds"], message: looser(given.rpoSeconds, d) });
        }
        return found;
    },
};

import { ReportsSource, committedReports } from "../lib/objectives-check";
import { FortressStackRule } from "../lib/rule";
import { makeObjectivesRule } from "./objectives-within-budget";

/** objectives-within-budget where a breach must not block (dev, and DR stacks during an incident); the check is the same (makeObjectivesRule). */
export const makeObjectivesWithinBudgetAdvisory = (source: ReportsSource = committedReports): FortressStackRule => makeObjectivesRule("advisory", source);

export const objectivesWithinBudgetAdvisory = makeObjectivesWithinBudgetAdvisory();

/**
 * Section `objectives`: the recovery objectives per scenario and data class (data, not
 * constants). Defaults are the platform requirements; a stack may only tighten them
 * (config/rules/objectives-only-tighten.ts).
 */
import { z } from "zod";
import { seconds } from "../fields";
import { DATA_CLASS_OBJECTIVES, DataClassObjectiveId, SCENARIOS, ScenarioId } from "../vocabulary";

export const scenarioObjective = z.strictObject({
    detectSeconds: seconds,
    rtoSeconds: seconds,
    /** null: "depends on scope" (S5). */
    rpoSeconds: seconds.nullable(),
});
export type ScenarioObjective = z.infer<typeof scenarioObjective>;

export const DEFAULT_SCENARIO_OBJECTIVES: Readonly<Record<ScenarioId, ScenarioObjective>> = {
    S1: { detectSeconds: 30, rtoSeconds: 120, rpoSeconds: 0 },
    S2: { detectSeconds: 120, rtoSeconds: 300, rpoSeconds: 60 },
    S3: { detectSeconds: 60, rtoSeconds: 900, rpoSeconds: 300 },
    S4: { detectSeconds: 300, rtoSeconds: 600, rpoSeconds: 300 },
    S5: { detectSeconds: 120, rtoSeconds: 1200, rpoSeconds: null },
};

export const DEFAULT_DATA_CLASS_RPO: Readonly<Record<DataClassObjectiveId, number>> = {
    database: 60,
    configuration: 300,
    logs: 300,
    uploads: 300,
    // Redis is a cache, but its snapshots are the DR plan's 5-minute tier-1 schedule.
    cache: 300,
};

export const objectivesSection = z
    .strictObject({
        scenarios: z.partialRecord(z.enum(SCENARIOS), scenarioObjective).prefault({}),
        dataClasses: z
            .partialRecord(z.enum(DATA_CLASS_OBJECTIVES), z.strictObject({ rpoSeconds: seconds }))
            .prefault({}),
        /** RTO of the services marked critical (DR plan: "Critical services: <5 minutes"). */
        criticalServicesRtoSeconds: seconds.default(300),
    })
    .prefault({});

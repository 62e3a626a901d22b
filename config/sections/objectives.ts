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
        /**
         * Risks the stack accepts, one per objectives cell (`S4.uploads.rpo`): the worst bound it
         * accepts in seconds and why. A cell at risk or over its objective passes the objectives
         * rule only while its bound is at most `worstSeconds`; the plan prints every one
         * (objectives/, docs/policies-and-objectives.md).
         */
        acceptedRisks: z
            .array(
                z.strictObject({
                    cell: z
                        .string()
                        .regex(/^S[1-5]\.(services|database|cache|configuration|logs|uploads)\.(detect|rto|rpo)$/, 'must name an objectives cell as "<S1-S5>.<services|database|cache|configuration|logs|uploads>.<detect|rto|rpo>", e.g. "S4.uploads.rpo"'),
                    worstSeconds: z.number().positive(),
                    reason: z.string().min(20, "say why the risk is acceptable (at least 20 characters)"),
                }),
            )
            .default([])
            .superRefine((risks, ctx) => {
                const seen = new Set<string>();
                risks.forEach((r, i) => {
                    if (seen.has(r.cell)) ctx.addIssue({ code: "custom", path: [i, "cell"], message: `${r.cell} is accepted twice; keep one entry per cell` });
                    seen.add(r.cell);
                });
            }),
    })
    .prefault({});

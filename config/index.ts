/**
 * The config layer: vocabulary, one zod section per file (sections/), cross-field rules one
 * per file (rules/), error rendering, validation and the one stack-file loader. It imports
 * nothing from stacks/, policies/ or tools/ (test/architecture/imports.test.ts).
 */
export * from "./vocabulary";
export * from "./errors";
export * from "./values";
export * from "./schema";
export * from "./validate";
export * from "./loader";
export { CROSS_FIELD_RULES } from "./rules";
export type { ConfigRule, RuleIssue } from "./rules";
export { DEFAULT_DATA_CLASS_RPO, DEFAULT_SCENARIO_OBJECTIVES } from "./sections/objectives";
export type { ScenarioObjective } from "./sections/objectives";
export { longestRetentionDays } from "./sections/tiers";
export type { PgRepoSchedule, SnapshotSchedule, TierDefinitions } from "./sections/tiers";
export type { ErasureConfig } from "./sections/erasure";
export type { SloConfig } from "./sections/slo";
export type { NotificationsConfig } from "./sections/notifications";

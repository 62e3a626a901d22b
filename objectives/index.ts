/**
 * Fortress DR's objectives model: pure TypeScript, no Pulumi component. The caller builds the
 * narrow ObjectivesInput (policies/lib/objectives-input.ts does, from the stack config).
 */
export * from "./constants";
export * from "./figures";
export * from "./input";
export * from "./model";
export * from "./resources";
export * from "./terms";
export * from "./mechanisms/dns";
export * from "./mechanisms/jobs";
export * from "./mechanisms/postgres";
export * from "./mechanisms/redis";
export * from "./mechanisms/replication";
export * from "./mechanisms/security";
export * from "./mechanisms/workloads";

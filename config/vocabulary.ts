/**
 * The domain's words, defined once: environments, stack roles, backup tiers and where each
 * lives, recovery scenarios, data classes. Everything else — the config sections, the
 * components, the objectives model, the policies, the CLI — imports them from here, so a new
 * tier or scenario is added in one place. Pure: no Pulumi, no zod.
 */

/** The config namespace: the project name in Pulumi.yaml. */
export const NAMESPACE = "fortress-dr";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A primary stack owns everything that must exist before a disaster; a DR stack what runs in the DR region. */
export const STACK_ROLES = ["primary", "dr"] as const;
export type StackRole = (typeof STACK_ROLES)[number];

/** Backup tiers: 1 local and high-frequency, 2 a remote region, 3 multi-region and immutable. */
export const TIERS = ["tier1", "tier2", "tier3"] as const;
export type TierId = (typeof TIERS)[number];
/** The tiers outside the primary region: what a DR stack restores from. */
export const REMOTE_TIERS = ["tier2", "tier3"] as const;
export type RemoteTierId = (typeof REMOTE_TIERS)[number];

/** The three AWS regions of a stack (config `regions`). */
export interface StackRegions {
    readonly primary: string;
    readonly dr: string;
    readonly tier3: string;
}

/** Where a tier's storage lives: tier 1 in the primary region, tier 2 in the DR region, tier 3 in the third. */
export function tierRegion(regions: StackRegions, tier: TierId): string {
    switch (tier) {
        case "tier1":
            return regions.primary;
        case "tier2":
            return regions.dr;
        case "tier3":
            return regions.tier3;
    }
}

/** Which of the stack's regions (and so which AWS provider) holds a tier. */
export function tierRegionRole(tier: TierId): keyof StackRegions {
    return tier === "tier1" ? "primary" : tier === "tier2" ? "dr" : "tier3";
}

/** The recovery scenarios of the DR plan. */
export const SCENARIOS = ["S1", "S2", "S3", "S4", "S5"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const SCENARIO_NAMES: Readonly<Record<ScenarioId, string>> = {
    S1: "service failure",
    S2: "database corruption",
    S3: "complete infrastructure failure",
    S4: "regional disaster",
    S5: "security breach",
};

/** The kinds of data the platform protects, each with its own steps (stacks/steps/<class>.ts). */
export const DATA_CLASSES = ["database", "cache", "configuration", "secrets", "uploads", "logs"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** The data classes that carry an RPO objective (config `objectives.dataClasses`). */
export const DATA_CLASS_OBJECTIVES = ["database", "configuration", "logs", "uploads", "cache"] as const;
export type DataClassObjectiveId = (typeof DATA_CLASS_OBJECTIVES)[number];

/** Where a DR stack's database comes from: the live primary, or a tier's backups. */
export const RESTORE_SOURCES = ["stream", ...REMOTE_TIERS] as const;
export type RestoreSource = (typeof RESTORE_SOURCES)[number];

/** The DR stack's configured modes (`dr.mode`); promotion is `dr.promote`. */
export const DR_CONFIG_MODES = ["pilot-light", "rebuild"] as const;
export type DrConfigMode = (typeof DR_CONFIG_MODES)[number];

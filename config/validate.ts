/**
 * Validation: raw config in, one typed FortressConfig out, or ONE ConfigError naming every
 * problem — the sections' own (zod) and the cross-field rules' (config/rules/).
 */
import { z } from "zod";
import { ConfigError, describeIssue, keyOf } from "./errors";
import { CROSS_FIELD_RULES, ParsedSections } from "./rules";
import { CONFIG_KEYS, FortressConfig, ResolvedObjectives, configSchema } from "./schema";
import { DEFAULT_DATA_CLASS_RPO, DEFAULT_SCENARIO_OBJECTIVES, ScenarioObjective } from "./sections/objectives";
import { parseConfigValue } from "./values";
import { DATA_CLASS_OBJECTIVES, DataClassObjectiveId, NAMESPACE, SCENARIOS, ScenarioId } from "./vocabulary";

/** Each section parsed on its own, so the rules see every section that is valid even when another is not. */
function parsedSections(raw: Record<string, unknown>): ParsedSections {
    const sections: Record<string, unknown> = {};
    for (const [key, section] of Object.entries(configSchema.shape)) {
        const parsed = (section as z.ZodType).safeParse(raw[key], { jitless: true });
        if (parsed.success) sections[key] = parsed.data;
    }
    return sections as ParsedSections;
}

/** Every scenario and data class gets its objective: the stack's, else the platform requirement. */
function resolveObjectives(objectives: z.infer<typeof configSchema>["objectives"]): ResolvedObjectives {
    return {
        scenarios: Object.fromEntries(SCENARIOS.map((s) => [s, objectives.scenarios[s] ?? DEFAULT_SCENARIO_OBJECTIVES[s]])) as Record<ScenarioId, ScenarioObjective>,
        dataClasses: Object.fromEntries(
            DATA_CLASS_OBJECTIVES.map((d) => [d, objectives.dataClasses[d] ?? { rpoSeconds: DEFAULT_DATA_CLASS_RPO[d] }]),
        ) as Record<DataClassObjectiveId, { rpoSeconds: number }>,
        criticalServicesRtoSeconds: objectives.criticalServicesRtoSeconds,
        acceptedRisks: objectives.acceptedRisks,
    };
}

/** Validates raw config; throws one ConfigError listing every problem, each naming its key. */
export function validateConfig(raw: Record<string, unknown>): FortressConfig {
    const result = configSchema.safeParse(raw, { reportInput: true, jitless: true });
    const problems = result.success ? [] : result.error.issues.map(describeIssue);
    const sections = parsedSections(raw);
    for (const rule of CROSS_FIELD_RULES) problems.push(...rule.check(sections).map((i) => `${keyOf(i.path)}: ${i.message}`));
    if (!result.success || problems.length > 0) {
        throw new ConfigError(problems);
    }
    return { ...result.data, objectives: resolveObjectives(result.data.objectives) };
}

/**
 * Validates config as the Pulumi CLI hands it to a program, a policy pack (PULUMI_CONFIG) or
 * the offline plan: `<namespace>:<key>` -> text. Keys of other namespaces are ignored; a key
 * of ours that is not known is a problem (a misspelt key would otherwise be silently ignored
 * and its default used). The kubeconfig secret's value never enters the config: only whether
 * it is set.
 */
export function validateStackValues(values: Readonly<Record<string, string>>): FortressConfig {
    const raw: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [fullKey, value] of Object.entries(values)) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace !== NAMESPACE) continue;
        if (!CONFIG_KEYS.includes(key)) {
            unknown.push(`${fullKey}: not a known setting; known keys are ${CONFIG_KEYS.join(", ")}`);
            continue;
        }
        if (key !== "kubeconfig") raw[key] = parseConfigValue(value);
    }
    raw.hasKubeconfig = `${NAMESPACE}:kubeconfig` in values;
    let config: FortressConfig;
    try {
        config = validateConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError && unknown.length > 0) throw new ConfigError([...unknown, ...e.problems]);
        throw e;
    }
    if (unknown.length > 0) throw new ConfigError(unknown);
    return config;
}

/**
 * The only module that reads `pulumi.Config`. It collects every key under the project
 * namespace, rejects keys it does not know (a misspelt key would otherwise be silently
 * ignored and its default used), and validates the rest into one typed object.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigError, FortressConfig, NAMESPACE, parseConfigValue, validateConfig } from "./schema";

export interface LoadedConfig {
    readonly config: FortressConfig;
    /** The kubeconfig secret, when set; never part of `config`, never printed. */
    readonly kubeconfig?: pulumi.Output<string>;
}

/** Reads and validates this stack's config; throws ConfigError listing every problem. */
export function loadConfig(): LoadedConfig {
    const all = pulumi.runtime.allConfig();
    const raw: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [fullKey, value] of Object.entries(all)) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace !== NAMESPACE) continue;
        if (!CONFIG_KEYS.includes(key)) {
            unknown.push(`${fullKey}: not a known setting; known keys are ${CONFIG_KEYS.join(", ")}`);
            continue;
        }
        if (key !== "kubeconfig") raw[key] = parseConfigValue(value);
    }
    const cfg = new pulumi.Config(NAMESPACE);
    const kubeconfig = cfg.getSecret("kubeconfig");
    raw.hasKubeconfig = kubeconfig !== undefined;
    try {
        const config = validateConfig(raw);
        if (unknown.length > 0) throw new ConfigError(unknown);
        return { config, kubeconfig };
    } catch (e) {
        if (e instanceof ConfigError && unknown.length > 0 && !e.problems.some((p) => unknown.includes(p))) {
            throw new ConfigError([...unknown, ...e.problems]);
        }
        throw e;
    }
}

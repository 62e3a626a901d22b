/**
 * The stack program: read and validate the config, then build the primary or the DR stack.
 * Exported as functions so the offline plan and the tests can run it under mocks.
 */
import { LoadedConfig, loadConfig } from "./config";
import type { PrimaryExports } from "./contract";
import { DrExports, dr } from "./dr";
import { primary } from "./primary";

/** Builds the stack a validated config describes; returns the stack outputs. */
export async function buildStack(loaded: LoadedConfig): Promise<PrimaryExports | DrExports> {
    const { config, kubeconfig } = loaded;
    if (config.role === "primary") return primary(config, kubeconfig);
    return dr(config, kubeconfig);
}

export async function main(): Promise<PrimaryExports | DrExports> {
    return buildStack(loadConfig());
}

/**
 * The stack program: read and validate the config, then build the primary or the DR stack.
 * Exported as functions so the offline plan and the tests can run it under mocks.
 */
import { LoadedConfig, loadConfig } from "./config";
import { primary } from "./primary";

/** Builds the stack a validated config describes; returns the stack outputs. */
export async function buildStack(loaded: LoadedConfig): Promise<Record<string, unknown>> {
    const { config, kubeconfig } = loaded;
    if (config.role === "primary") return primary(config, kubeconfig);
    throw new Error(`role "dr": the DR-region stack program is not built yet (issue 4); plan a primary stack (dev, staging, prod)`);
}

export async function main(): Promise<Record<string, unknown>> {
    return buildStack(loadConfig());
}

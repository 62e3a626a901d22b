/**
 * The stack's configuration when it writes no DR manifest (the DR stacks): recent Pulumi CLIs
 * hand a nodejs policy pack the stack's config in PULUMI_CONFIG, the same variable a program
 * reads, so the pack validates it exactly as stacks/config.ts does (config/validate.ts). The engine-less runner
 * passes the config it evaluated instead (`runRules(..., { stackConfig })`).
 */
import { ConfigError, FortressConfig, validateStackValues } from "../../config";

export type ConfigResult = { readonly ok: true; readonly config: FortressConfig; readonly source: string } | { readonly ok: false; readonly problem: string };

let injected: FortressConfig | undefined;

/** Runs `fn` with the given config standing in for the engine's (the runner uses this). */
export async function withStackConfig<T>(config: FortressConfig | undefined, fn: () => Promise<T>): Promise<T> {
    const before = injected;
    injected = config;
    try {
        return await fn();
    } finally {
        injected = before;
    }
}

/** The stack config the engine gave this process, validated; undefined when there is none. */
export function engineStackConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult | undefined {
    if (injected) return { ok: true, config: injected, source: "the evaluated stack config" };
    const text = env.PULUMI_CONFIG;
    if (!text) return undefined;
    let all: Record<string, string>;
    try {
        all = JSON.parse(text);
    } catch {
        return { ok: false, problem: "PULUMI_CONFIG is not JSON" };
    }
    try {
        return { ok: true, config: validateStackValues(all), source: "the stack config the Pulumi engine passed (PULUMI_CONFIG)" };
    } catch (e) {
        return { ok: false, problem: `the stack config does not validate: ${e instanceof ConfigError ? e.problems.join("; ") : e instanceof Error ? e.message : String(e)}` };
    }
}

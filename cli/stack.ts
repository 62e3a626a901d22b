/**
 * The stack a command acts on: its validated config (objectives, tiers, regions, names) read
 * through the project's config code — one source for the plan, the policies and the CLI.
 * Until arch's `config/` loader lands this reads the stack file with tools/mock-runtime.ts and
 * validates it with stacks/schema.ts, exactly as the plan tool does.
 */
import { ConfigError, FortressConfig, NAMESPACE, parseConfigValue, validateConfig } from "../stacks/schema";
import { listStacks, readStackConfig, stackFile } from "../tools/mock-runtime";
import { UsageError } from "./errors";

export interface StackContext {
    readonly name: string;
    readonly file: string;
    readonly config: FortressConfig;
}

export function loadStack(name: string | undefined): StackContext {
    if (!name) throw new UsageError(`--stack is required (or set FORTRESS_STACK); stacks are ${listStacks().join(", ")}`);
    let known: string[];
    try {
        known = listStacks();
    } catch {
        known = [];
    }
    if (!known.includes(name)) throw new UsageError(`--stack "${name}": unknown stack; use one of ${known.join(", ")}`);
    const file = readStackConfig(name);
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(file.config)) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns === NAMESPACE && key !== "kubeconfig") raw[key] = parseConfigValue(value);
    }
    raw.hasKubeconfig = file.config[`${NAMESPACE}:kubeconfig`] !== undefined;
    try {
        return { name, file: stackFile(name), config: validateConfig(raw) };
    } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`--stack "${name}": ${e.message.split("\n").join(" ")}`);
        throw e;
    }
}

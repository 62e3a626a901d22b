/**
 * The stack a command acts on: its validated config (objectives, tiers, regions, names) read
 * through the project's one stack-file loader (config/loader.ts) — one source for the plan,
 * the policies and the CLI.
 */
import { ConfigError, FortressConfig, listStacks, loadStackConfig, stackFile } from "../config";
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
    try {
        return { name, file: stackFile(name), config: loadStackConfig(name).validated };
    } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`--stack "${name}": ${e.message.split("\n").join(" ")}`);
        throw e;
    }
}

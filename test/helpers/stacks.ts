/**
 * Helpers to evaluate a stack file with a mutation, the way a user's edit would change it.
 */
import { readStackFile } from "../../config";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { ConfigError } from "../../config";

export type Mutation = { readonly key: string; readonly path?: readonly (string | number)[]; readonly value: unknown };

/** Config overrides that apply the mutations to the stack file's values (deep-setting paths). */
export function overridesFor(stack: string, mutations: readonly Mutation[]): Record<string, string | undefined> {
    const { config } = readStackFile(stack);
    const out: Record<string, string | undefined> = {};
    for (const m of mutations) {
        const fullKey = `fortress-dr:${m.key}`;
        const currentText = out[fullKey] ?? config[fullKey];
        if (!m.path || m.path.length === 0) {
            out[fullKey] = m.value === undefined ? undefined : typeof m.value === "string" ? m.value : JSON.stringify(m.value);
            continue;
        }
        const root = currentText === undefined || currentText === "" ? {} : JSON.parse(currentText);
        let node: any = root;
        for (const p of m.path.slice(0, -1)) node = node[p] ??= typeof p === "number" ? [] : {};
        const last = m.path[m.path.length - 1];
        if (m.value === undefined) delete node[last];
        else node[last] = m.value;
        out[fullKey] = JSON.stringify(root);
    }
    return out;
}

export async function evaluateWith(stack: string, mutations: readonly Mutation[]): Promise<PlanResult> {
    return evaluateStack(stack, { configOverrides: overridesFor(stack, mutations) });
}

/** The validation problems a mutated stack produces; fails if it evaluates cleanly. */
export async function configProblems(stack: string, mutations: readonly Mutation[]): Promise<readonly string[]> {
    try {
        await evaluateWith(stack, mutations);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error(`stack ${stack} with ${JSON.stringify(mutations)} evaluated without a config error`);
}

/**
 * Test helpers over the mock runtime (tools/mock-runtime.ts): build components under mocks
 * and query what they registered.
 */
import { runUnderMocks } from "../../tools/mock-runtime";
import type { RecordedResource } from "../../components/core/recorded-resource";

export type { RecordedResource } from "../../components/core/recorded-resource";

export interface RecordOptions {
    readonly stack?: string;
    readonly config?: Record<string, string>;
}

/** Runs `build` under mocks (no config unless given) and returns every registered resource. */
export async function recordResources(build: () => void | Promise<void>, opts: RecordOptions = {}): Promise<RecordedResource[]> {
    const { resources } = await runUnderMocks({ stack: opts.stack ?? "test", config: opts.config ?? {} }, build);
    return resources;
}

/** The resources of a type, optionally only those whose name matches. */
export function ofType(resources: readonly RecordedResource[], type: string, name?: string | RegExp): RecordedResource[] {
    return resources.filter(
        (r) => r.type === type && (name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name))),
    );
}

/** Exactly one resource of the type (and name); throws with what exists otherwise. */
export function one(resources: readonly RecordedResource[], type: string, name?: string | RegExp): RecordedResource {
    const found = ofType(resources, type, name);
    if (found.length !== 1) {
        const names = ofType(resources, type).map((r) => r.name);
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length} (all of that type: ${names.join(", ") || "none"})`);
    }
    return found[0];
}

/** The children whose parent is the given resource. */
export function childrenOf(resources: readonly RecordedResource[], parent: RecordedResource): RecordedResource[] {
    return resources.filter((r) => r.parent === parent.urn);
}

/** Parses a JSON policy input (IAM, bucket or key policy). */
export function policyOf(r: RecordedResource, field = "policy"): { Statement: any[] } {
    const text = r.inputs[field];
    if (typeof text !== "string") throw new Error(`${r.type} ${r.name}: input ${field} is not a JSON string (${typeof text})`);
    return JSON.parse(text);
}

/** Runs `fn` and returns the error it throws; fails if it does not throw. */
export async function errorOf(fn: () => unknown): Promise<Error> {
    try {
        await fn();
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected an error, but none was thrown");
}

/**
 * Evaluates a stack by name: reads its config file, runs the real program under mocks, and
 * returns the resolved config, the resources (with parent names) and the outputs. A DR
 * stack's StackReference is answered with the outputs of its primary stack, evaluated first
 * the same way — so the DR plan sees exactly what the primary program exports.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../stacks/config";
import { buildStack } from "../stacks/program";
import type { FortressConfig } from "../config";
import type { RecordedResource } from "../components/core/recorded-resource";
import { SECRET_PLACEHOLDER, StackOutputs, runUnderMocks } from "./mock-runtime";
import { readStackFile } from "../config";

export interface PlanResult {
    readonly stack: string;
    readonly config: FortressConfig;
    readonly resources: RecordedResource[];
    /** The stack outputs as the plan prints them: secret ones as "[secret]". */
    readonly outputs: Record<string, unknown>;
    /**
     * What a StackReference to this stack receives: the real (mock) values with the names of
     * the secret ones, as the Pulumi service hands them over. Never printed.
     */
    readonly referenceOutputs: StackOutputs;
}

/** Resolves every Output inside a value (under mocks all are known). */
export function resolveOutputs<T>(value: T): Promise<unknown> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v)));
}

/**
 * Resolves every Output inside a value, replacing each secret one by "[secret]": what a
 * stack exports as a secret (backup passphrases) never reaches the plan's output.
 */
export async function resolveOutputsMasked(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) return SECRET_PLACEHOLDER;
        return resolveOutputsMasked(await resolveOutputs(value));
    }
    if (value instanceof Promise) return resolveOutputsMasked(await value);
    if (Array.isArray(value)) return Promise.all(value.map(resolveOutputsMasked));
    if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveOutputsMasked(v)] as const));
        return Object.fromEntries(entries);
    }
    return value;
}

export interface EvaluateOptions {
    /** Extra or replacement config values (key -> string; undefined removes the key), e.g. a test's mutation. */
    readonly configOverrides?: Record<string, string | undefined>;
}

export async function evaluateStack(stack: string, options: EvaluateOptions = {}): Promise<PlanResult> {
    const file = readStackFile(stack);
    const config: Record<string, string> = { ...file.config };
    for (const [key, value] of Object.entries(options.configOverrides ?? {})) {
        if (value === undefined) delete config[key];
        else config[key] = value;
    }
    const stackOutputs = await primaryOutputsFor(config);
    const { resources, outputs } = await runUnderMocks({ stack, config, secretKeys: file.secretKeys, stackOutputs }, async () => {
        const loaded = loadConfig();
        const outs = await buildStack(loaded);
        const masked = (await resolveOutputsMasked(outs)) as Record<string, unknown>;
        const raw = (await resolveOutputs(outs)) as Record<string, unknown>;
        const secretOutputNames = Object.keys(masked).filter((k) => JSON.stringify(masked[k] ?? null).includes(JSON.stringify(SECRET_PLACEHOLDER)));
        return { config: loaded.config, outputs: masked, referenceOutputs: { outputs: raw, secretOutputNames } };
    });
    return { stack, config: outputs.config, resources: annotate(resources), outputs: outputs.outputs, referenceOutputs: outputs.referenceOutputs };
}

/** For a DR stack, the outputs of the primary it references, evaluated from its own file. */
async function primaryOutputsFor(config: Record<string, string>): Promise<Record<string, StackOutputs> | undefined> {
    const drText = config["fortress-dr:dr"];
    if (config["fortress-dr:role"] !== "dr" || drText === undefined) return undefined;
    let primaryStack: string | undefined;
    try {
        primaryStack = JSON.parse(drText).primaryStack;
    } catch {
        return undefined; // validation reports the malformed section
    }
    if (typeof primaryStack !== "string") return undefined;
    const name = primaryStack.split("/").pop()!;
    return { [primaryStack]: await primaryReferenceOutputs(name) };
}

/**
 * What the primary exports, evaluated once per process for each content of its stack file: a
 * DR stack planned in three modes (and the tests, many times) references the same primary, and
 * its program's result depends only on that file and the code.
 */
const primaryOutputs = new Map<string, Promise<StackOutputs>>();
function primaryReferenceOutputs(name: string): Promise<StackOutputs> {
    const key = `${name}\0${JSON.stringify(readStackFile(name))}`;
    let outputs = primaryOutputs.get(key);
    if (!outputs) {
        outputs = evaluateStack(name).then((p) => p.referenceOutputs);
        primaryOutputs.set(key, outputs);
        outputs.catch(() => primaryOutputs.delete(key));
    }
    return outputs;
}

function annotate(resources: RecordedResource[]): RecordedResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return resources.map((r) => {
        let component: string | undefined;
        for (let p = r.parent ? byUrn.get(r.parent) : undefined; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
            if (p.type.startsWith("fortress:")) component = `${p.type} ${p.name}`;
        }
        if (!component && r.type.startsWith("fortress:")) component = `${r.type} ${r.name}`;
        return { ...r, parentName: r.parent ? byUrn.get(r.parent)?.name : undefined, component };
    });
}

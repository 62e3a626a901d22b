/**
 * The golden plan: every stack and every DR mode evaluated through tools/evaluate.ts (the code
 * `npm run plan` runs), normalised to a deterministic JSON, compared with the committed files
 * in this folder. How to use it: test/golden/CHANGES.md.
 *
 * Normalised = resources sorted by URN, each with type, name, parent (logical name), urn,
 * aliases, protect, retainOnDelete and inputs (object keys sorted, secrets as "[secret]"),
 * plus the stack outputs. Mock IDs and ARNs are derived from names, so they are stable.
 *
 * Released URNs: `released-urns.json` lists every URN any golden has ever held, per variant.
 * A URN stands for a real resource in someone's state; it may disappear only if a resource
 * now carries it as an alias (no replacement), or if it is retired on purpose
 * (`retired-urns.json`, with the reason), which `npm run golden:update -- --retire "<why>"` records.
 */
import * as fs from "fs";
import * as path from "path";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { listStacks } from "../../config";
import { redactSecrets } from "../../tools/plan";
import { DR_MODES, evaluateModes } from "../../tools/plan-dr";

export const GOLDEN_DIR = __dirname;
const RELEASED = path.join(GOLDEN_DIR, "released-urns.json");
const RETIRED = path.join(GOLDEN_DIR, "retired-urns.json");

export interface GoldenResource {
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly urn: string;
    readonly aliases: readonly string[];
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly inputs: unknown;
}

export interface GoldenPlan {
    /** `<stack>` for a primary stack, `<stack>.<mode>` for each mode of a DR stack. */
    readonly variant: string;
    readonly resources: readonly GoldenResource[];
    readonly outputs: unknown;
}

/** Objects with their keys sorted, recursively: a refactor may build an object in another order. */
export function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

export function normalise(variant: string, result: PlanResult): GoldenPlan {
    const resources = result.resources
        .map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parentName ?? null,
            urn: r.urn,
            aliases: [...(r.aliases ?? [])].sort(),
            protect: r.protect ?? false,
            retainOnDelete: r.retainOnDelete ?? false,
            inputs: sortKeys(redactSecrets(r.inputs)),
        }))
        .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
    return { variant, resources, outputs: sortKeys(result.outputs) };
}

/** Every stack file, and every mode of each DR stack, evaluated and normalised. */
export async function evaluateAll(stacks: readonly string[] = listStacks()): Promise<GoldenPlan[]> {
    const plans: GoldenPlan[] = [];
    for (const stack of stacks) {
        const result = await evaluateStack(stack);
        if (result.config.role !== "dr") {
            plans.push(normalise(stack, result));
            continue;
        }
        const modes = await evaluateModes(stack, result, evaluateStack);
        for (const mode of DR_MODES) plans.push(normalise(`${stack}.${mode}`, modes[mode]));
    }
    return plans;
}

export const goldenFile = (variant: string) => path.join(GOLDEN_DIR, `${variant}.json`);

export function serialise(plan: GoldenPlan): string {
    return JSON.stringify(plan, null, 1) + "\n";
}

export function readGolden(variant: string): GoldenPlan | undefined {
    const file = goldenFile(variant);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as GoldenPlan) : undefined;
}

export type UrnsByVariant = Record<string, string[]>;

export function readReleasedUrns(): UrnsByVariant {
    return fs.existsSync(RELEASED) ? JSON.parse(fs.readFileSync(RELEASED, "utf8")) : {};
}

/** Retired URN -> why the resource was deleted on purpose. */
export function readRetiredUrns(): Record<string, string> {
    return fs.existsSync(RETIRED) ? JSON.parse(fs.readFileSync(RETIRED, "utf8")) : {};
}

/** Released URNs of a variant that the plan neither declares nor aliases, and nobody retired. */
export function lostUrns(plan: GoldenPlan, released: readonly string[], retired: Record<string, string>): string[] {
    const known = new Set<string>();
    for (const r of plan.resources) {
        known.add(r.urn);
        for (const a of r.aliases) known.add(a);
    }
    return released.filter((urn) => !known.has(urn) && !(urn in retired));
}

export function writeReleasedUrns(urns: UrnsByVariant): void {
    const sorted = Object.fromEntries(
        Object.keys(urns)
            .sort()
            .map((v) => [v, [...new Set(urns[v])].sort()]),
    );
    fs.writeFileSync(RELEASED, JSON.stringify(sorted, null, 1) + "\n");
}

export function writeRetiredUrns(retired: Record<string, string>): void {
    fs.writeFileSync(RETIRED, JSON.stringify(sortKeys(retired), null, 1) + "\n");
}

/** The resource type a URN names: the last link of its type chain (`a$b$type::name` -> `type`). */
export function urnType(urn: string): string {
    const parts = urn.split("::");
    return parts[parts.length - 2].split("$").pop()!;
}

export const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * Each URN in `before` that `plan` no longer declares must be carried, as an alias, by exactly
 * one resource of the same type and name (a move to a new parent, not a replacement), and no
 * alias may be a URN another resource declares. `before` is a URN list (the released URNs) or
 * a golden plan, whose moved resources must also keep their inputs. Returns the problems.
 */
export function aliasProblems(plan: GoldenPlan, before: readonly string[] | GoldenPlan, retired: Record<string, string> = {}): string[] {
    const declared = new Map(plan.resources.map((r) => [r.urn, r]));
    const aliasedBy = new Map<string, GoldenResource[]>();
    for (const r of plan.resources) for (const a of r.aliases) aliasedBy.set(a, [...(aliasedBy.get(a) ?? []), r]);
    const problems: string[] = [];
    for (const [alias, owners] of aliasedBy) {
        if (declared.has(alias)) problems.push(`${plan.variant}: ${owners.map((o) => o.urn).join(", ")} alias ${alias}, which a resource still declares`);
    }
    const olds = Array.isArray(before) ? before.map((urn) => ({ urn, inputs: undefined as unknown })) : (before as GoldenPlan).resources;
    for (const old of olds) {
        if (declared.has(old.urn) || old.urn in retired) continue;
        const owners = aliasedBy.get(old.urn) ?? [];
        if (owners.length !== 1) {
            problems.push(`${plan.variant}: ${old.urn} is aliased by ${owners.length} resources (${owners.map((o) => o.urn).join(", ") || "none"}); exactly one must carry it`);
            continue;
        }
        const now = owners[0];
        if (now.type !== urnType(old.urn) || now.name !== urnName(old.urn)) {
            problems.push(`${plan.variant}: ${old.urn} is aliased by ${now.urn}, a ${now.type} named ${now.name}: not the same resource`);
        }
        if (old.inputs !== undefined && JSON.stringify(old.inputs) !== JSON.stringify(now.inputs)) {
            problems.push(`${plan.variant}: ${old.urn} moved to ${now.urn} with different inputs`);
        }
    }
    return problems;
}

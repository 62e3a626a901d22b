/**
 * Runs the rules over recorded resources the way the Pulumi engine's policy analyzer does,
 * without the engine: the plan (`npm run plan`) and the tests use it, and both run the very
 * policy objects the pack serves.
 *
 * What it reproduces from @pulumi/policy's analyzer server (server.js, 1.21):
 *   - enforcement level: per-policy config, else the policy's, else the pack's ("advisory");
 *     "disabled" skips the policy, "remediate" reports as "mandatory";
 *   - resource policies run once per resource, skipped cheaply when the validation carries a
 *     `__pulumiType` of another type; stack policies run once over every resource, with
 *     parent, dependencies and property dependencies linked as resource objects;
 *   - props are wrapped in the SDK's own unknown-checking proxy, so reading a value that is
 *     unknown during preview yields the same advisory "can't run ... during preview";
 *   - `notApplicable(reason)` ends the policy for that resource and is recorded, not reported;
 *   - `isType`/`asType` compare the class's `__pulumiType` with the resource's type;
 *   - a violation's engine message is the policy's description, a newline, then the message.
 */
import type {
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
} from "@pulumi/policy";
import type { FortressConfig } from "../config";
import { FortressRule, isStackRule } from "./lib/rule";
import { withStackConfig } from "./lib/stack-config";

// The SDK's proxy module is plain code with no server in it: safe to load in any process.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy: { unknownCheckingProxy<T>(o: T): T; UnknownValueError: new (...a: any[]) => Error } = require("@pulumi/policy/proxy");

/** A resource as tools/mock-runtime.ts records it (or as a test fixture writes it by hand). */
export interface ResourceRecord {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent?: string;
    /** URN of the provider resource (without its ID). */
    readonly provider?: string;
    readonly protect?: boolean;
    readonly dependsOn?: readonly string[];
    /** Input name -> URNs it depends on. */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    readonly inputs: Record<string, any>;
}

export interface Finding {
    readonly policy: string;
    readonly enforcementLevel: "advisory" | "mandatory";
    readonly severity?: Severity;
    /** The rule's own message (what is wrong and how to fix it). */
    readonly message: string;
    /** What the engine would print: description, newline, message. */
    readonly engineMessage: string;
    readonly urn?: string;
    /** `type name` of the resource, when the finding is about one. */
    readonly resource?: string;
    /** "preview-unknown": the engine's advisory when a value is unknown until deployed. */
    readonly kind: "violation" | "preview-unknown";
}

export interface RuleOutcome {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    /** fail: a mandatory violation; warn: advisory findings only; not-applicable: nothing it checks exists. */
    readonly status: "pass" | "fail" | "warn" | "not-applicable" | "disabled";
    readonly findings: readonly Finding[];
    readonly notApplicable: readonly string[];
}

export interface RunOptions {
    /** Per-policy config, as `--policy-pack-config` gives it: { enforcementLevel?, ...properties }. */
    readonly policyConfig?: Readonly<Record<string, { readonly enforcementLevel?: EnforcementLevel; readonly [k: string]: unknown }>>;
    /** The pack's default enforcement level. @default "advisory" (as @pulumi/policy) */
    readonly packEnforcementLevel?: EnforcementLevel;
    /**
     * The stack's validated config, standing in for what the engine passes a policy pack
     * (PULUMI_CONFIG); rules use it only when the stack writes no DR manifest (DR stacks).
     */
    readonly stackConfig?: FortressConfig;
    /** Engine-shaped resources already built from the same records (toPolicyResources), to share caches. */
    readonly stackResources?: readonly PolicyResource[];
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

function isTypeOf(type: string, resourceClass: any): boolean {
    const token = resourceClass?.__pulumiType;
    if (typeof token === "string" && token.length > 0) return token === type;
    return typeof resourceClass?.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

/** The resource options a recorded resource stands for: protect and parent as recorded, the rest empty. */
const optionsOf = (r: ResourceRecord): PolicyResourceOptions => ({
    protect: r.protect === true,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent ? { parent: r.parent } : {}),
});

function providerOf(r: ResourceRecord, byUrn: Map<string, ResourceRecord>): PolicyProviderResource | undefined {
    if (!r.provider) return undefined;
    const p = byUrn.get(r.provider);
    if (!p) return undefined;
    return { type: p.type, props: proxy.unknownCheckingProxy(p.inputs), urn: p.urn, name: p.name };
}

/** What a stack policy's resource and a resource policy's arguments share: identity, props (unknown-checking), options, provider, isType/asType. */
function resourceFields(r: ResourceRecord, byUrn: Map<string, ResourceRecord>) {
    const props = proxy.unknownCheckingProxy(r.inputs);
    const provider = providerOf(r, byUrn);
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: optionsOf(r),
        ...(provider ? { provider } : {}),
        isType: (cls: any) => isTypeOf(r.type, cls),
        asType: (cls: any) => (isTypeOf(r.type, cls) ? (props as any) : undefined),
    };
}

/** Engine-shaped resources for a stack policy: parents, dependencies and property dependencies linked. */
export function toPolicyResources(records: readonly ResourceRecord[]): PolicyResource[] {
    const byUrn = new Map(records.map((r) => [r.urn, r]));
    const out = new Map<string, PolicyResource>();
    for (const r of records) {
        out.set(r.urn, { ...resourceFields(r, byUrn), dependencies: [], propertyDependencies: {} } as PolicyResource);
    }
    for (const r of records) {
        const pr = out.get(r.urn)! as { parent?: PolicyResource; dependencies: PolicyResource[]; propertyDependencies: Record<string, PolicyResource[]> };
        if (r.parent && out.has(r.parent)) pr.parent = out.get(r.parent);
        pr.dependencies = (r.dependsOn ?? []).map((u) => out.get(u)).filter((x): x is PolicyResource => x !== undefined);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            pr.propertyDependencies[k] = urns.map((u) => out.get(u)).filter((x): x is PolicyResource => x !== undefined);
        }
    }
    return records.map((r) => out.get(r.urn)!);
}

const label = (type: string, name: string) => `${type.split(":").pop()} ${name}`;

/** Applies the rules to the resources; one outcome per rule, in the order given. */
export function runRules(rules: readonly FortressRule[], records: readonly ResourceRecord[], options: RunOptions = {}): Promise<RuleOutcome[]> {
    return withStackConfig(options.stackConfig, () => run(rules, records, options));
}

/** The resources every rule of one run reads. */
interface RunInputs {
    readonly records: readonly ResourceRecord[];
    readonly byUrn: Map<string, ResourceRecord>;
    readonly stackResources: readonly PolicyResource[];
    readonly options: RunOptions;
}

async function run(rules: readonly FortressRule[], records: readonly ResourceRecord[], options: RunOptions): Promise<RuleOutcome[]> {
    const inputs: RunInputs = { records, byUrn: new Map(records.map((r) => [r.urn, r])), stackResources: options.stackResources ?? toPolicyResources(records), options };
    const outcomes: RuleOutcome[] = [];
    for (const rule of rules) outcomes.push(await runRule(rule, inputs));
    return outcomes;
}

/** Per-policy config, else the policy's own level, else the pack's, else "advisory" (as the analyzer). */
function enforcementLevelOf(rule: FortressRule, options: RunOptions): EnforcementLevel {
    return options.policyConfig?.[rule.name]?.enforcementLevel ?? rule.enforcementLevel ?? options.packEnforcementLevel ?? "advisory";
}

async function runRule(rule: FortressRule, inputs: RunInputs): Promise<RuleOutcome> {
    const configured = enforcementLevelOf(rule, inputs.options);
    if (configured === "disabled") return { policy: rule.name, enforcementLevel: configured, status: "disabled", findings: [], notApplicable: [] };
    // "remediate" reports as "mandatory" (this runner never rewrites a resource).
    const level = configured === "remediate" ? "mandatory" : configured;
    const ruleRun = new RuleRun(rule, level, inputs.byUrn);
    const shared = { getConfig: configGetter(inputs.options.policyConfig?.[rule.name]), notApplicable: notApplicableFn };
    if (isStackRule(rule)) {
        const args: StackValidationArgs = { resources: inputs.stackResources as PolicyResource[], stackTags: new Map(), ...shared };
        await ruleRun.attempt(() => rule.validateStack(args, ruleRun.reporter()));
    } else {
        const validations = Array.isArray(rule.validateResource) ? rule.validateResource : [rule.validateResource];
        const fastType = validations.length === 1 ? (validations[0] as { __pulumiType?: string }).__pulumiType : undefined;
        for (const r of inputs.records) {
            if (fastType !== undefined && r.type !== fastType) continue;
            const args: ResourceValidationArgs = { ...resourceFields(r, inputs.byUrn), stackTags: new Map(), ...shared };
            const where = label(r.type, r.name);
            for (const validate of validations) await ruleRun.attempt(() => validate(args, ruleRun.reporter(r.urn, where)), r.urn, where);
        }
    }
    return ruleRun.outcome(level);
}

/** A policy's config properties, without the enforcement level (as the analyzer's getConfig). */
function configGetter(cfg: NonNullable<RunOptions["policyConfig"]>[string] | undefined) {
    return <T extends object>(): T => {
        const { enforcementLevel: _e, ...props } = cfg ?? {};
        return props as T;
    };
}

const notApplicableFn = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** One rule's run: its findings, its not-applicable reasons, and how many validations applied. */
class RuleRun {
    readonly findings: Finding[] = [];
    readonly notApplicable: string[] = [];
    private applied = 0;

    constructor(
        private readonly rule: FortressRule,
        private readonly reportLevel: "advisory" | "mandatory",
        private readonly byUrn: Map<string, ResourceRecord>,
    ) {}

    /** The `report` a validation gets: a finding about `urn` (or the resource validated). */
    reporter(resourceUrn?: string, resourceLabel?: string) {
        return (message: string, urn?: string) => {
            const u = urn ?? resourceUrn;
            const rec = u ? this.byUrn.get(u) : undefined;
            this.findings.push({
                policy: this.rule.name,
                enforcementLevel: this.reportLevel,
                severity: this.rule.severity,
                message,
                engineMessage: message ? `${this.rule.description}\n${message}` : this.rule.description,
                urn: u,
                resource: rec ? label(rec.type, rec.name) : resourceLabel,
                kind: "violation",
            });
        };
    }

    /** Runs one validation; it applied unless it called notApplicable. */
    async attempt(validate: () => void | Promise<void>, urn?: string, resourceLabel?: string): Promise<void> {
        try {
            await validate();
            this.applied++;
        } catch (e) {
            if (!(e instanceof NotApplicable)) this.applied++;
            this.onError(e, urn, resourceLabel);
        }
    }

    private onError(e: unknown, urn?: string, resourceLabel?: string): void {
        if (e instanceof NotApplicable) {
            this.notApplicable.push(e.reason ?? "");
        } else if (e instanceof proxy.UnknownValueError) {
            const message = `can't run policy '${this.rule.name}' during preview: ${e.message}`;
            this.findings.push({ policy: this.rule.name, enforcementLevel: "advisory", severity: this.rule.severity, message, engineMessage: message, urn, resource: resourceLabel, kind: "preview-unknown" });
        } else {
            throw new Error(`Error validating ${resourceLabel ?? "the stack"} with policy '${this.rule.name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
    }

    /** fail: a mandatory violation; warn: any other finding; not-applicable: no validation applied; else pass. */
    outcome(level: EnforcementLevel): RuleOutcome {
        const violations = this.findings.filter((f) => f.kind === "violation");
        const status: RuleOutcome["status"] = violations.some((f) => f.enforcementLevel === "mandatory")
            ? "fail"
            : this.findings.length > 0
              ? "warn"
              : this.applied === 0
                ? "not-applicable"
                : "pass";
        return { policy: this.rule.name, enforcementLevel: level, status, findings: this.findings, notApplicable: this.notApplicable };
    }
}

/** Mandatory violations across outcomes: what makes `pulumi preview` (and the plan) fail. */
export function mandatoryFindings(outcomes: readonly RuleOutcome[]): Finding[] {
    return outcomes.flatMap((o) => o.findings.filter((f) => f.kind === "violation" && f.enforcementLevel === "mandatory"));
}

/**
 * The shape of a Fortress rule: a plain @pulumi/policy policy object plus its severity and the
 * compliance controls it serves. Rules are plain objects so that the tests and the plan's
 * engine-less runner (policies/runner.ts) run exactly what the pack serves; only
 * policies/index.ts builds the PolicyPack.
 *
 * Only types are imported from @pulumi/policy here: loading its runtime starts nothing, but
 * the types are all a rule needs.
 */
import type {
    EnforcementLevel,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import type { ComplianceRef } from "./compliance";

interface RuleMeta {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly severity: Severity;
    readonly compliance: readonly ComplianceRef[];
    readonly remediationSteps: string;
}

export type FortressResourceRule = ResourceValidationPolicy & RuleMeta & { readonly validateResource: ResourceValidation | ResourceValidation[]; readonly tags: string[] };
export type FortressStackRule = StackValidationPolicy & RuleMeta & { readonly tags: string[] };
export type FortressRule = FortressResourceRule | FortressStackRule;

export function isStackRule(r: FortressRule): r is FortressStackRule {
    return typeof (r as FortressStackRule).validateStack === "function";
}

const tagsOf = (compliance: readonly ComplianceRef[]) => [...new Set(compliance.map((c) => c.framework.toLowerCase().replace(/\s+/g, "-")))];

export function resourceRule(
    def: RuleMeta & { readonly validateResource: ResourceValidation | ResourceValidation[]; readonly configSchema?: ResourceValidationPolicy["configSchema"] },
): FortressResourceRule {
    return Object.freeze({ ...def, tags: tagsOf(def.compliance) });
}

export function stackRule(
    def: RuleMeta & {
        readonly validateStack: (args: StackValidationArgs, report: ReportViolation) => void | Promise<void>;
        readonly configSchema?: StackValidationPolicy["configSchema"];
    },
): FortressStackRule {
    return Object.freeze({ ...def, tags: tagsOf(def.compliance) });
}

/**
 * A validation for one resource type, typed by the provider SDK's Args interface. It carries
 * the type token the way @pulumi/policy's `validateResourceOfType` does (`__pulumiType`), so
 * the engine skips other types without calling it; the token is checked against the SDK
 * class in test/policies/tokens.test.ts.
 */
export function validateTyped<TArgs>(
    token: string,
    validate: (props: Unwrap<NonNullable<TArgs>>, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>,
): ResourceValidation {
    const fn = (args: ResourceValidationArgs, report: ReportViolation) => {
        if (args.type !== token) return args.notApplicable(`Policy only applies to resources of type '${token}'`);
        return validate(args.props as Unwrap<NonNullable<TArgs>>, args, report);
    };
    (fn as unknown as { __pulumiType: string }).__pulumiType = token;
    return fn;
}

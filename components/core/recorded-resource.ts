/**
 * A declared resource as the project's readers see it — the one shape shared by the offline
 * plan (tools/mock-runtime.ts records it, tools/evaluate.ts annotates it), the policies
 * (policies/lib/stack-view.ts builds it from the engine's resources) and the objectives model
 * (objectives/ reads it), and by their tests. Pure data: no Pulumi import.
 */
export interface RecordedResource {
    /** The type token, e.g. `aws:s3/bucket:Bucket` or `fortress:storage:TierBucket`. */
    readonly type: string;
    /** The logical name. */
    readonly name: string;
    readonly urn: string;
    /** The resource's inputs as declared (secrets as the recorder represents them). */
    readonly inputs: Record<string, any>;
    /** AWS region or cloud location: the resource's own input, else its provider's. */
    readonly region?: string;
    /** URN of the parent resource, if any. */
    readonly parent?: string;
    /** Name of the parent resource, if any (the plan's annotation). */
    readonly parentName?: string;
    /** The outermost Fortress component this resource belongs to, as `type name` (the plan's annotation). */
    readonly component?: string;
    /** URN of the provider resource, if an explicit one was used. */
    readonly provider?: string;
    // The options below are always recorded by the mock runtime; a view built from the policy
    // engine's resources (policies/lib/stack-view.ts) has no `custom` or `retainOnDelete`.
    /** A provider resource (true) or a component (false). */
    readonly custom?: boolean;
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    /** URNs of the explicit and implicit dependencies. */
    readonly dependsOn?: readonly string[];
    /** Input name -> URNs its value depends on (what the policy engine gets as propertyDependencies). */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    /** The URNs this resource was known by before (its `aliases`), resolved as the engine would. */
    readonly aliases?: readonly string[];
}

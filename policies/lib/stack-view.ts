/**
 * What stack rules need from the engine's resource list: lookups by type, the bucket a child
 * resource configures, the region a resource lives in, and the stack's DR manifest.
 *
 * Relations are read the way they survive a first preview: the engine passes each input's
 * dependencies (`propertyDependencies`), known even while the input's value (a bucket ID that
 * does not exist yet) is not. Only when no dependency is recorded is the value compared.
 */
import type { PolicyResource } from "@pulumi/policy";
import { MANIFEST_KEY } from "../../components/core/names";
import { RESOURCE_TYPES as MODEL_RESOURCE_TYPES } from "../../objectives";
import { ConfigError, FortressConfig, validateConfig } from "../../config";
import { engineStackConfig } from "./stack-config";
import type { TierId } from "../../config/vocabulary";
import type { RecordedResource } from "../../components/core/recorded-resource";

export const RESOURCE_TYPES = Object.freeze({
    ...MODEL_RESOURCE_TYPES,
    sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    versioning: "aws:s3/bucketVersioning:BucketVersioning",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    objectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    logging: "aws:s3/bucketLogging:BucketLogging",
    kmsKey: "aws:kms/key:Key",
    kmsReplicaKey: "aws:kms/replicaKey:ReplicaKey",
    iamRole: "aws:iam/role:Role",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    gcsBucket: "gcp:storage/bucket:Bucket",
    gcpCryptoKey: "gcp:kms/cryptoKey:CryptoKey",
    gcpKeyRing: "gcp:kms/keyRing:KeyRing",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
});

export type ManifestResult =
    | {
          readonly ok: true;
          readonly config: FortressConfig;
          /** The manifest object; absent when the config came from the engine (a DR stack writes no manifest). */
          readonly resource?: PolicyResource;
          readonly stack?: string;
      }
    | { readonly ok: false; readonly problem: string };

/** Why the tier rules do not apply to a DR stack. */
export const DR_DECLARES_NO_TIERS = "the DR stack declares no tiers; the primary stack does";

export class StackView {
    private manifestCache?: ManifestResult;

    constructor(readonly resources: readonly PolicyResource[]) {}

    ofType(type: string): PolicyResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /**
     * The stack's config, or undefined after reporting `<cannot>: <why there is none>`: for a
     * rule that can judge nothing without it (e.g. cannot = "cannot check schedules").
     */
    configOrReport(report: (message: string) => void, cannot: string): FortressConfig | undefined {
        const m = this.manifest();
        if (m.ok) return m.config;
        report(`${cannot}: ${m.problem}`);
        return undefined;
    }

    /** Whether the stack's config says it is a DR stack (which declares no tiers; the primary does). */
    isDrStack(): boolean {
        const m = this.manifest();
        return m.ok && m.config.role === "dr";
    }

    /** The GCS buckets labelled as tier 3's cross-cloud copy (fortress-tier = tier3). */
    gcsTier3Copies(): PolicyResource[] {
        return this.ofType(RESOURCE_TYPES.gcsBucket).filter((g) => g.props.labels?.["fortress-tier"] === "tier3");
    }

    /** `type name`, the way findings name a resource. */
    static label(r: PolicyResource): string {
        return `${r.type.split(":").pop()} ${r.name}`;
    }

    /**
     * The bucket an S3 sub-resource (encryption, versioning, policy, lifecycle...) configures:
     * through the `bucket` input's dependencies, else by comparing the input with each bucket's
     * name. Undefined when it names a bucket this stack does not declare.
     */
    bucketOf(r: PolicyResource, input = "bucket"): PolicyResource | undefined {
        const deps = r.propertyDependencies?.[input];
        const viaDeps = deps?.filter((d) => d.type === RESOURCE_TYPES.bucket);
        if (viaDeps && viaDeps.length === 1) return viaDeps[0];
        const value = r.props[input];
        return this.ofType(RESOURCE_TYPES.bucket).find((b) => b.props.bucket === value || b.name === value);
    }

    /** Is the bucket the target of another bucket's server access logs? */
    isAccessLogTarget(bucket: PolicyResource): boolean {
        return this.ofType(RESOURCE_TYPES.logging).some((l) => this.bucketOf(l, "targetBucket") === bucket);
    }

    /** The `fortress:tier` tag of a tier bucket. */
    static tierOf(bucket: PolicyResource): TierId | undefined {
        const t = bucket.props.tags?.["fortress:tier"];
        return t === "tier1" || t === "tier2" || t === "tier3" ? t : undefined;
    }

    /** Sub-resources of a type that configure the given bucket. */
    configsOf(bucket: PolicyResource, type: string): PolicyResource[] {
        return this.ofType(type).filter((c) => this.bucketOf(c) === bucket);
    }

    /** The region an AWS resource is managed in: its own `region` input (AWS provider 7), else its provider's. */
    static regionOf(r: PolicyResource): string | undefined {
        if (typeof r.props.region === "string") return r.props.region;
        const p = r.provider?.props.region;
        return typeof p === "string" ? p : undefined;
    }

    /** The Fortress component (type token and name) a resource belongs to, outermost first. */
    static componentOf(r: PolicyResource): PolicyResource | undefined {
        let found: PolicyResource | undefined;
        for (let p = r.parent; p; p = p.parent) if (p.type.startsWith("fortress:")) found = p;
        return found;
    }

    /** The stack's DR manifest: the resolved config the primary stack writes into tier 1. */
    manifest(): ManifestResult {
        if (this.manifestCache) return this.manifestCache;
        const found = this.ofType(RESOURCE_TYPES.bucketObject).filter((o) => o.props.key === MANIFEST_KEY);
        let result: ManifestResult;
        if (found.length === 1) {
            result = parseManifest(found[0]);
        } else if (found.length > 1) {
            result = { ok: false, problem: `${found.length} objects with the manifest key "${MANIFEST_KEY}"; a stack writes exactly one` };
        } else {
            const engine = engineStackConfig();
            result = engine?.ok
                ? { ok: true, config: engine.config, stack: process.env.PULUMI_NODEJS_STACK }
                : {
                      ok: false,
                      problem: `no DR manifest (the stack declares no ${RESOURCE_TYPES.bucketObject} with key "${MANIFEST_KEY}", which stacks/steps/manifest.ts writes) and ${engine ? engine.problem : "no stack config from the engine (a Pulumi CLI that passes PULUMI_CONFIG to policy packs)"}; without either the rule cannot know the stack's environment, tiers and objectives`,
                  };
        }
        this.manifestCache = result;
        return result;
    }

    /** Resources in the form the objectives model reads. */
    declared(): RecordedResource[] {
        return this.resources.map((r) => ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            inputs: r.props,
            region: StackView.regionOf(r),
            parent: r.parent?.urn,
            provider: r.provider?.urn,
            protect: r.opts.protect,
            dependsOn: r.dependencies.map((d) => d.urn),
            propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.map((d) => d.urn)])),
            aliases: r.opts.aliases,
        }));
    }
}

/** Parsed manifests, by the manifest resource: every rule of a run shares one validation. */
const parsed = new WeakMap<PolicyResource, ManifestResult>();

function parseManifest(r: PolicyResource): ManifestResult {
    const hit = parsed.get(r);
    if (hit) return hit;
    const result = parseManifestUncached(r);
    parsed.set(r, result);
    return result;
}

function parseManifestUncached(r: PolicyResource): ManifestResult {
    const content = r.props.content;
    if (typeof content !== "string") return { ok: false, problem: `the DR manifest ${r.name} has no JSON content (input content is ${typeof content})` };
    let doc: Record<string, unknown>;
    try {
        doc = JSON.parse(content);
    } catch (e) {
        return { ok: false, problem: `the DR manifest ${r.name} is not JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
    const { schemaVersion: _v, stack: _s, ...raw } = doc;
    try {
        return { ok: true, config: validateConfig(raw), resource: r, stack: typeof doc.stack === "string" ? doc.stack : undefined };
    } catch (e) {
        const detail = e instanceof ConfigError ? e.problems.join("; ") : e instanceof Error ? e.message : String(e);
        return { ok: false, problem: `the DR manifest ${r.name} does not hold a valid configuration: ${detail}` };
    }
}

// ---------------------------------------------------------------------------------------------
// IAM policy documents

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: string | string[];
    readonly Condition?: unknown;
}

/** Parses an IAM policy input (a JSON string, or a document object). Throws naming the resource. */
export function statementsOf(value: unknown, where: string): PolicyStatement[] {
    const doc = typeof value === "string" ? (JSON.parse(value) as { Statement?: unknown }) : (value as { Statement?: unknown });
    if (!doc || typeof doc !== "object") throw new Error(`${where}: not an IAM policy document`);
    const st = doc.Statement;
    return (Array.isArray(st) ? st : st ? [st] : []) as PolicyStatement[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return re.test(action);
}

/** Does the statement cover the action (Action or NotAction)? */
export function statementCovers(s: PolicyStatement, action: string): boolean {
    if (s.Action !== undefined) return list(s.Action).some((p) => actionMatches(p, action));
    if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => actionMatches(p, action));
    return false;
}

/** Statements that allow the action (whatever their resource or condition). */
export function allowsOf(statements: readonly PolicyStatement[], action: string): PolicyStatement[] {
    return statements.filter((s) => s.Effect === "Allow" && statementCovers(s, action));
}

/** Statements that deny the action on every resource, unconditionally. */
export function deniesEverywhere(statements: readonly PolicyStatement[], action: string): boolean {
    return statements.some((s) => s.Effect === "Deny" && statementCovers(s, action) && list(s.Resource).includes("*") && s.Condition === undefined);
}

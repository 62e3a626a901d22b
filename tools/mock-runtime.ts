/**
 * Runs a Pulumi program under the SDK's mock runtime and records every resource it
 * registers: type, name, parent, provider, region, options and inputs. The offline plan and
 * the tests both use it, so what the tests assert is what the plan prints.
 *
 * The mocks answer like the providers would for the outputs the program reads (ARNs, IDs,
 * names); they never talk to a cloud. Secrets stay secret: a `secure:` config value is
 * replaced by "[secret]" before the program sees it, and any secret input is recorded as
 * "[secret]".
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_PLACEHOLDER } from "../config";
import { fnv1aHex } from "../components/core/hash";
import type { RecordedResource } from "../components/core/recorded-resource";

// Internal SDK modules: the mock monitor is patched to see parents and options.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkState = require("@pulumi/pulumi/runtime/state");
/** The protobuf Struct the SDK wraps every resource's inputs and outputs in (the SDK's own copy of google-protobuf). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));

export { SECRET_PLACEHOLDER };
export const MOCK_ACCOUNT_ID = "123456789012";
const PROJECT = "fortress-dr";


export interface RunOptions {
    readonly stack: string;
    /** Config as `pulumi.runtime.setAllConfig` takes it: key -> string (JSON for objects). */
    readonly config: Record<string, string>;
    readonly secretKeys?: readonly string[];
    /** Outputs of other stacks, by fully qualified name, for StackReference. */
    readonly stackOutputs?: Readonly<Record<string, StackOutputs>>;
}

/** What a StackReference to another stack sees: its outputs, and which of them are secret. */
export interface StackOutputs {
    readonly outputs: Record<string, unknown>;
    readonly secretOutputNames: readonly string[];
}

export interface RunResult<T> {
    readonly resources: RecordedResource[];
    readonly outputs: T;
}

function mask(value: unknown): unknown {
    // A string, number, boolean, null or undefined is never an Output: returned before asking.
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return value;
    if (pulumi.Output.isInstance(value)) return SECRET_PLACEHOLDER;
    if (typeof value === "function") return value;
    if (Array.isArray(value)) return value.map(mask);
    // What Object.fromEntries(Object.entries(value).map(...)) gives, without the entry arrays.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
        const v = mask((value as Record<string, unknown>)[k]);
        if (k === "__proto__") Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
        else out[k] = v;
    }
    return out;
}

const shortHash = fnv1aHex;

/** Output state the mock provider returns: inputs plus the computed properties programs read. */
function computedState(type: string, name: string, inputs: Record<string, any>, region: string | undefined, stackOutputs: RunOptions["stackOutputs"]) {
    const r = region ?? "us-east-1";
    const acct = MOCK_ACCOUNT_ID;
    const [pkg, mod] = type.split(":");
    const service = (mod ?? "").split("/")[0];
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = inputs.bucket ?? `${name}-${shortHash(name)}`;
            return { id: bucket, state: { bucket, arn: `arn:aws:s3:::${bucket}`, region: r, bucketDomainName: `${bucket}.s3.amazonaws.com` } };
        }
        case "aws:kms/key:Key": {
            const keyId = `mrk-${shortHash(name)}${shortHash(name + "k")}`;
            return { id: keyId, state: { keyId, arn: `arn:aws:kms:${r}:${acct}:key/${keyId}` } };
        }
        case "aws:kms/replicaKey:ReplicaKey": {
            const keyId = String(inputs.primaryKeyArn ?? "").split("/").pop() || `mrk-${shortHash(name)}`;
            return { id: keyId, state: { keyId, arn: `arn:aws:kms:${r}:${acct}:key/${keyId}` } };
        }
        case "aws:iam/role:Role": {
            const roleName = inputs.name ?? `${name}-${shortHash(name).slice(0, 7)}`;
            return { id: roleName, state: { name: roleName, arn: `arn:aws:iam::${acct}:role/${roleName}`, uniqueId: `AROA${shortHash(name)}` } };
        }
        case "aws:eks/cluster:Cluster": {
            const clusterName = inputs.name ?? `${name}-${shortHash(name).slice(0, 7)}`;
            const oidcId = shortHash(name + "oidc").toUpperCase().padEnd(32, "0");
            return {
                id: clusterName,
                state: {
                    name: clusterName,
                    arn: `arn:aws:eks:${r}:${acct}:cluster/${clusterName}`,
                    endpoint: `https://${oidcId}.gr7.${r}.eks.amazonaws.com`,
                    certificateAuthority: { data: "bW9jay1jbHVzdGVyLWNh" },
                    identities: [{ oidcs: [{ issuer: `https://oidc.eks.${r}.amazonaws.com/id/${oidcId}` }] }],
                },
            };
        }
        case "aws:acm/certificate:Certificate": {
            const domains: string[] = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].filter((d) => typeof d === "string");
            return {
                id: `${name}-id`,
                state: {
                    arn: `arn:aws:acm:${r}:${acct}:certificate/${shortHash(name)}`,
                    domainValidationOptions: domains.map((d) => ({
                        domainName: d,
                        resourceRecordName: `_${shortHash(d)}.${d}.`,
                        resourceRecordType: "CNAME",
                        resourceRecordValue: `_${shortHash(d + "v")}.acm-validations.aws.`,
                    })),
                },
            };
        }
        case "kubernetes:core/v1:Service":
            // A LoadBalancer Service gets its load balancer's DNS name in status, as on AWS.
            if (inputs.spec?.type === "LoadBalancer") {
                return { id: `${name}-id`, state: { status: { loadBalancer: { ingress: [{ hostname: `${name}-${shortHash(name)}.elb.amazonaws.com` }] } } } };
            }
            return { id: `${name}-id`, state: {} };
        case "pulumi:pulumi:StackReference": {
            const ref = inputs.name as string;
            const other = stackOutputs?.[ref];
            if (!other) throw new Error(`StackReference to "${ref}": no outputs of that stack were given to the mock runtime`);
            return { id: ref, state: { name: ref, outputs: other.outputs, secretOutputNames: [...other.secretOutputNames] } };
        }
        default:
            if (pkg === "aws") return { id: `${name}-id`, state: { arn: `arn:aws:${service}:${r}:${acct}:${name}` } };
            if (pkg === "gcp") return { id: inputs.name ?? `${name}-id`, state: { name: inputs.name ?? name, selfLink: `https://mock.googleapis.com/${name}` } };
            if (pkg === "random") return { id: `${name}-id`, state: { result: `mock-${shortHash(name)}`, hex: shortHash(name) } };
            return { id: `${name}-id`, state: {} };
    }
}

function mockCall(token: string, inputs: Record<string, any>, providerRegion?: string): Record<string, any> {
    switch (token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:sts::${MOCK_ACCOUNT_ID}:assumed-role/fortress-dr-deployer/plan`, userId: "AROAMOCK:plan", id: MOCK_ACCOUNT_ID };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const region = providerRegion ?? "us-east-1";
            const names = ["a", "b", "c"].map((z) => `${region}${z}`);
            return { names, zoneIds: names.map((_, i) => `${region.replace(/-/g, "")}-az${i + 1}`), id: region };
        }
        case "aws:index/getRegion:getRegion":
            return { name: inputs.region ?? "us-east-1", id: inputs.region ?? "us-east-1" };
        case "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            return { emailAddress: `service-000000000000@gs-project-accounts.iam.gserviceaccount.com`, project: inputs.project, id: "gcs-agent" };
        case "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount":
            return { email: `project-000000000000@storage-transfer-service.iam.gserviceaccount.com`, subjectId: "100000000000000000001", project: inputs.project, id: "sts-agent" };
        default:
            throw new Error(`the mock runtime has no answer for invoke ${token}; add one to tools/mock-runtime.ts`);
    }
}

/**
 * What `Struct.fromJavaScript(v).toJavaScript()` returns, without the protobuf objects: a deep
 * copy in which every object's keys come out sorted (a protobuf Struct's map iterates its keys
 * sorted), and which throws the protobuf's own error for a value a Struct cannot hold
 * (undefined, a function, a symbol, a bigint, an array hole). test/tools/mock-runtime.test.ts
 * checks it against the real round trip, on edge cases and on the inputs of every resource of prod.
 */
export function structRoundTrip(value: unknown): unknown {
    if (value === null) return null;
    switch (typeof value) {
        case "string":
        case "number":
        case "boolean":
            return value;
        case "object": {
            if (Array.isArray(value)) {
                const list: unknown[] = [];
                for (let i = 0; i < value.length; i++) list[i] = structRoundTrip(value[i]);
                return list;
            }
            const keys: string[] = [];
            // eslint-disable-next-line guard-for-in -- Struct.fromJavaScript reads every enumerable key, inherited ones too
            for (const k in value) keys.push(k);
            // The protobuf map sorts its keys with the default sort, and toJavaScript assigns them in that order.
            keys.sort();
            const out: Record<string, unknown> = {};
            for (const k of keys) out[k] = structRoundTrip((value as Record<string, unknown>)[k]);
            return out;
        }
        default:
            throw new Error("Unexpected struct type.");
    }
}

/**
 * Under the plan, every registration passes its inputs through a protobuf Struct twice (the
 * SDK to the mock monitor, the mock monitor's answer back to the SDK), and nothing ever
 * encodes one to bytes: building the protobuf objects and reading them back was the largest
 * single cost of the plan's own evaluation. While a program runs under runUnderMocks,
 * `Struct.fromJavaScript` makes a PlainStruct instead: a Struct that holds the converted plain
 * value (structRoundTrip, so the same checks, errors and key order) and hands a fresh copy to
 * `toJavaScript`. Anything else asked of it (its fields map, its bytes) gets a real Struct.
 */
const RealStruct = structPb.Struct;
const realFromJavaScript: (value: unknown) => any = RealStruct.fromJavaScript;
class PlainStruct extends RealStruct {
    private fresh: boolean;
    constructor(private readonly plain: Record<string, unknown>) {
        super();
        this.fresh = true;
    }
    toJavaScript(): Record<string, unknown> {
        // The first reader gets the converted value itself (no one else holds it), later ones a copy.
        if (this.fresh) {
            this.fresh = false;
            return this.plain;
        }
        return structRoundTrip(this.plain) as Record<string, unknown>;
    }
    private real(): any {
        return realFromJavaScript.call(RealStruct, this.fresh ? this.plain : structRoundTrip(this.plain));
    }
    getFieldsMap(): any {
        return this.real().getFieldsMap();
    }
    serializeBinary(): Uint8Array {
        return this.real().serializeBinary();
    }
    toObject(includeInstance?: boolean): unknown {
        return this.real().toObject(includeInstance);
    }
}
function plainFromJavaScript(value: Record<string, unknown>): any {
    // Struct.fromJavaScript takes an object; anything else is its caller's bug, reported by the real one.
    if (value === null || typeof value !== "object" || Array.isArray(value)) return realFromJavaScript.call(RealStruct, value);
    return new PlainStruct(structRoundTrip(value) as Record<string, unknown>);
}

/**
 * The SDK passes every internal promise (a few hundred per resource: four per output property,
 * more per apply) through `debuggablePromise`, which tracks it until it settles (the leak check
 * at exit) and tags it with an id, a label and a captured stack trace. Only the leak report
 * reads the tags, and only when PULUMI_DEBUG_PROMISE_LEAKS is set. Without it, while a program
 * runs under runUnderMocks, the promises are tracked the same way (the same promise chain, so
 * the same order of events, and the same leak check at exit) but not tagged.
 */
const fullDebuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> = debuggable.debuggablePromise;
let leakCheckInstalled = false;
function untaggedDebuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> {
    if (!leakCheckInstalled) {
        // The SDK installs its leak check at exit on the first promise it sees.
        leakCheckInstalled = true;
        return fullDebuggablePromise(p, ctx);
    }
    const store = sdkState.getStore();
    store.leakCandidates.add(p);
    return p
        .then((val) => {
            store.leakCandidates.delete(p);
            return val;
        })
        .catch((err) => {
            store.leakCandidates.delete(p);
            err.promise = p;
            throw err;
        });
}

let running = false;

/**
 * Whether programs run under mocks capture JavaScript stack traces. The SDK captures one per
 * resource (`Resource.callsites`, the source position it sends the engine) and one per
 * internal promise (its leak detector's debugging context): with a few hundred resources that
 * is a third of the plan's own time. The mock monitor reads neither, so the plan CLI turns
 * them off (tools/plan.ts; FORTRESS_PLAN_STACKS=1 keeps them); the tests keep them, for their
 * failure messages. Off, Error.stackTraceLimit is 0 and Resource.callsites returns no frames
 * while the program runs (both restored after): an error thrown by the program still carries
 * its message, without the frames.
 */
let captureStacks = true;
export function setStackCapture(on: boolean): void {
    captureStacks = on;
}

/**
 * What one registration request declared, as the plan records it. `seenInputs` are the inputs
 * the mock monitor already deserialized (read back, not deserialized twice); a provider's
 * location is remembered in `providerRegions` for the resources that use it.
 */
function recordRegistration(req: any, urn: string, seenInputs: Record<string, any> | undefined, providerRegions: Map<string, string | undefined>, stack: string): RecordedResource {
    const type: string = req.getType();
    const inputs = mask(seenInputs ?? pulumi.runtime.deserializeProperties(req.getObject())) as Record<string, any>;
    const provider: string | undefined = req.getProvider() ? String(req.getProvider()).split("::").slice(0, -1).join("::") : undefined;
    if (type.startsWith("pulumi:providers:")) providerRegions.set(urn, providerLocation(type, inputs));
    return {
        type,
        name: req.getName(),
        urn,
        parent: req.getParent() || undefined,
        provider,
        region: resolveRegion(type, inputs, req.getProvider(), providerRegions),
        custom: req.getCustom(),
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        dependsOn: req.getDependenciesList(),
        propertyDependencies: Object.fromEntries(req.getPropertydependenciesMap().toArray().map(([k, v]: [string, any]) => [k, v[0] ?? []])),
        aliases: aliasUrns(req, stack),
        inputs,
    };
}

/** Runs `program` under mocks with the given config and returns what it registered. */
export async function runUnderMocks<T>(options: RunOptions, program: () => Promise<T> | T): Promise<RunResult<T>> {
    if (running) throw new Error("runUnderMocks is not re-entrant: the Pulumi runtime is process-global");
    running = true;
    const resources: RecordedResource[] = [];
    const providerRegions = new Map<string, string | undefined>();
    const failures: unknown[] = [];
    const onRejection = (e: unknown) => failures.push(e);
    process.on("unhandledRejection", onRejection);
    const stackTraceLimit = Error.stackTraceLimit;
    const callsites = Object.getOwnPropertyDescriptor(pulumi.Resource, "callsites")!;
    if (!captureStacks) {
        Error.stackTraceLimit = 0;
        Object.defineProperty(pulumi.Resource, "callsites", { ...callsites, value: () => [] });
    }
    /** The inputs the mock monitor deserialized for the registration in flight (read back below, not deserialized twice). */
    let inFlight: { inputs?: Record<string, any> } | undefined;
    try {
        structPb.Struct.fromJavaScript = plainFromJavaScript;
        if (!debuggable.debugPromiseLeaks) debuggable.debuggablePromise = untaggedDebuggablePromise;
        pulumi.runtime.setAllConfig(options.config, [...(options.secretKeys ?? [])]);
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    if (inFlight) inFlight.inputs = args.inputs;
                    const region = resolveRegion(args.type, args.inputs, args.provider, providerRegions);
                    const { id, state } = computedState(args.type, args.name, args.inputs, region, options.stackOutputs);
                    return { id, state: { ...args.inputs, ...state } };
                },
                call: (args) => mockCall(args.token, args.inputs, resolveRegion(args.token, {}, args.provider, providerRegions)),
            },
            PROJECT,
            options.stack,
            false,
        );
        const monitor = settings.getMonitor();
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
            // The mock monitor calls newResource synchronously, with req's deserialized inputs.
            const seen: { inputs?: Record<string, any> } = {};
            inFlight = seen;
            register(req, (err: any, resp: any) => {
                if (!err && resp) resources.push(recordRegistration(req, resp.getUrn(), seen.inputs, providerRegions, options.stack));
                callback(err, resp);
            });
            inFlight = undefined;
        };
        const outputs = await program();
        await settings.waitForRPCs();
        // Let rejected applies surface before deciding the run succeeded.
        await new Promise((r) => setImmediate(r));
        if (failures.length > 0) throw failures[0];
        return { resources, outputs };
    } finally {
        process.off("unhandledRejection", onRejection);
        structPb.Struct.fromJavaScript = realFromJavaScript;
        debuggable.debuggablePromise = fullDebuggablePromise;
        Error.stackTraceLimit = stackTraceLimit;
        Object.defineProperty(pulumi.Resource, "callsites", callsites);
        running = false;
    }
}

/**
 * The URNs a registration's `aliases` stand for. The SDK sends each alias either as a URN or
 * as a spec (name, type, parent or no parent, stack, project) with the resource's own values
 * for the parts left out; the URN is built the way the engine builds it: the parent's type
 * chain, then `type::name`.
 */
function aliasUrns(req: any, stack: string): string[] {
    const name: string = req.getName();
    const type: string = req.getType();
    const parent: string = req.getParent() || "";
    return req.getAliasesList().map((alias: any) => {
        if (alias.hasUrn()) return alias.getUrn() as string;
        const spec = alias.getSpec();
        const aliasParent: string = spec.getNoparent() ? "" : spec.getParenturn() || parent;
        const prefix = `urn:pulumi:${spec.getStack() || stack}::${spec.getProject() || PROJECT}::`;
        const parentType = aliasParent ? aliasParent.slice(0, aliasParent.lastIndexOf("::")).split("::").pop()! : "";
        const chain = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$` : "";
        return `${prefix}${chain}${spec.getType() || type}::${spec.getName() || name}`;
    });
}

/** Where a provider's resources live: an AWS region, `gcp:<project>`, or `kubernetes:<context>`. */
function providerLocation(type: string, inputs: Record<string, any>): string | undefined {
    if (type === "pulumi:providers:aws") return inputs.region;
    if (type === "pulumi:providers:gcp") return `gcp:${inputs.project ?? "default"}`;
    if (type === "pulumi:providers:kubernetes") return `kubernetes:${inputs.context ?? inputs.cluster ?? "kubeconfig"}`;
    return undefined;
}

function resolveRegion(type: string, inputs: Record<string, any>, providerRef: string | undefined, providerRegions: Map<string, string | undefined>): string | undefined {
    if (type.startsWith("pulumi:providers:")) return providerLocation(type, inputs);
    if (typeof inputs.region === "string") return inputs.region;
    // GCS and Cloud KMS locations are case-insensitive ("us" = "US").
    if (type.startsWith("gcp:") && typeof inputs.location === "string") return inputs.location.toUpperCase();
    if (providerRef) {
        const urn = String(providerRef).split("::").slice(0, -1).join("::");
        return providerRegions.get(urn);
    }
    return undefined;
}

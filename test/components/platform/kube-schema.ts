/**
 * Schema validation of the Kubernetes objects a component declares: core kinds against the
 * Kubernetes OpenAPI schemas compiled into kubernetes-models (4.x: the line that runs on
 * Node 20), custom resources against their CRDs' openAPIV3Schema (the vendored crds/).
 *
 * kubernetes-models checks types, required fields, enums and formats but, like the API
 * server's schema, not unknown fields; those are caught earlier by tsc, because the
 * components build their objects from @pulumi/kubernetes's input types.
 */
import { CrdVersionSchema, formatCrdProblems, validateCustomResource as validateCr } from "../../../crds";
import type { RecordedResource } from "../../../components/core/recorded-resource";


/** The recorded Kubernetes objects (not providers, not Helm releases). */
export function kubernetesObjects(resources: readonly RecordedResource[]): RecordedResource[] {
    return resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && r.type !== "pulumi:providers:kubernetes");
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs with Pulumi's secret wrappers removed (the mock runtime records them as-is). */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value[SECRET_SIG] !== undefined) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function apiVersionKind(r: RecordedResource): { apiVersion: string; kind: string } {
    // kubernetes:<group>/<version>:<Kind>, with core as "core/v1"
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(r.type);
    if (!m) throw new Error(`${r.type} ${r.name}: not a Kubernetes resource type`);
    return { apiVersion: m[1].replace(/^core\//, ""), kind: m[2] };
}

/** A kind of Kubernetes itself (core, apps, batch, policy, *.k8s.io), not an operator's CR. */
export function isCoreKind(r: RecordedResource): boolean {
    const group = /^kubernetes:([^/:]+)\//.exec(r.type)?.[1] ?? "";
    return group === "core" || !group.includes(".") || group.endsWith(".k8s.io");
}

/** Validates one core-kind object; throws naming the resource and the schema error. */
export function validateCoreObject(r: RecordedResource): void {
    const { apiVersion, kind } = apiVersionKind(r);
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const modulePath = group === "" ? `kubernetes-models/v1/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
    let Model: new (data: unknown) => { validate(): void };
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        Model = require(modulePath)[kind];
    } catch {
        throw new Error(`${r.name}: no schema for ${apiVersion} ${kind} in kubernetes-models (${modulePath})`);
    }
    try {
        new Model({ ...unwrapSecrets(r.inputs), apiVersion, kind }).validate();
    } catch (e) {
        throw new Error(`${kind} ${r.name} fails the Kubernetes schema: ${(e as Error).message}`);
    }
}

/**
 * Validates a recorded custom resource against its vendored CRD (crds/, the same validator the
 * CLI runs); throws naming the resource and every problem with its JSON path.
 */
export function validateCustomResource(r: RecordedResource, crds?: readonly CrdVersionSchema[]): void {
    const { apiVersion, kind } = apiVersionKind(r);
    const problems = validateCr({ ...unwrapSecrets(r.inputs), apiVersion, kind }, crds);
    if (problems.length) throw new Error(formatCrdProblems(`${kind} ${r.name}`, problems));
}

/**
 * Validates Kubernetes objects offline: core kinds against the Kubernetes OpenAPI schemas
 * (kubernetes-models), Istio kinds against Istio's CRD schemas (@kubernetes-models/istio).
 *
 * Both validators accept fields the schema does not know (the API server would prune them, or
 * reject them under strict field validation), so every leaf we set is also probed: replaced by
 * an object, it must make validation fail — a leaf whose replacement still validates is a field
 * the schema does not have.
 */
// The Istio models are ES modules only; import() must not be rewritten into require().
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

type Validator = (obj: Record<string, unknown>) => void;

const CORE_GROUPS: Record<string, string> = { v1: "v1", "apps/v1": "apps/v1", "policy/v1": "policy/v1", "storage.k8s.io/v1": "storage.k8s.io/v1", "batch/v1": "batch/v1" };

async function validatorFor(apiVersion: string, kind: string): Promise<Validator> {
    if (apiVersion in CORE_GROUPS || /^[a-z0-9.]*k8s\.io\/v\d+$/.test(apiVersion)) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(`kubernetes-models/${CORE_GROUPS[apiVersion] ?? apiVersion}/${kind}`);
        const Model = mod[kind];
        return (obj) => new Model(obj).validate();
    }
    if (apiVersion === "networking.istio.io/v1") {
        const istio = await importEsm("@kubernetes-models/istio");
        const Model = istio.networkingIstioIo.v1[kind];
        if (!Model) throw new Error(`no Istio schema for ${apiVersion} ${kind}`);
        return (obj) => new Model(obj).validate();
    }
    throw new Error(`no offline schema for ${apiVersion} ${kind}; add its source to test/components/workloads/k8s-schema.ts`);
}

function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
    return [path];
}

function withLeaf(obj: unknown, path: (string | number)[], replacement: unknown): unknown {
    const copy = JSON.parse(JSON.stringify(obj));
    let node = copy;
    for (const p of path.slice(0, -1)) node = node[p];
    node[path[path.length - 1]] = replacement;
    return copy;
}

/** Throws naming the object and the problem: a schema violation or a field the schema lacks. */
export async function validateK8sObject(obj: Record<string, any>): Promise<void> {
    const what = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.name ?? "(unnamed)"}`;
    const validate = await validatorFor(obj.apiVersion, obj.kind);
    try {
        validate(obj);
    } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
    }
    const unknown: string[] = [];
    for (const path of leafPaths(obj)) {
        if (path[0] === "apiVersion" || path[0] === "kind") continue;
        try {
            validate(withLeaf(obj, path, { probe: true }) as Record<string, unknown>);
            unknown.push(path.join("."));
        } catch {
            /* the schema knows this field's type */
        }
    }
    if (unknown.length > 0) throw new Error(`${what}: fields unknown to the schema: ${unknown.join(", ")}`);
}

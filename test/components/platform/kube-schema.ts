/**
 * Schema validation of the Kubernetes objects a component declares: core kinds against the
 * Kubernetes OpenAPI schemas compiled into kubernetes-models (4.x: the line that runs on
 * Node 20), custom resources against their CRDs' openAPIV3Schema (../shared/schemas/).
 *
 * kubernetes-models checks types, required fields, enums and formats but, like the API
 * server's schema, not unknown fields; those are caught earlier by tsc, because the
 * components build their objects from @pulumi/kubernetes's input types.
 */
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import type { RecordedResource } from "../../helpers/pulumi";

export const SHARED_SCHEMAS = path.resolve(__dirname, "..", "..", "..", "..", "shared", "schemas");

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

interface CrdVersionSchema {
    readonly group: string;
    readonly kind: string;
    readonly version: string;
    readonly schema: object;
}

/** The openAPIV3Schema of every CRD version in a YAML file of CRDs. */
export function loadCrds(file: string): CrdVersionSchema[] {
    const out: CrdVersionSchema[] = [];
    for (const d of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
        const crd = d.toJS();
        if (crd?.kind !== "CustomResourceDefinition") continue;
        for (const v of crd.spec.versions) {
            out.push({ group: crd.spec.group, kind: crd.spec.names.kind, version: v.name, schema: v.schema.openAPIV3Schema });
        }
    }
    return out;
}

/**
 * A structural CRD schema as a strict JSON schema: objects with `properties` reject unknown
 * fields (the API server prunes them silently, so a misspelt field would just vanish), the
 * Kubernetes extensions are dropped, `nullable` becomes a null alternative.
 */
export function strictSchema(s: any): any {
    if (Array.isArray(s)) return s.map(strictSchema);
    if (!s || typeof s !== "object") return s;
    const out: any = {};
    for (const [k, v] of Object.entries(s)) {
        if (k.startsWith("x-kubernetes-") || k === "description" || k === "nullable") continue;
        out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([p, ps]) => [p, strictSchema(ps)])) : strictSchema(v);
    }
    if (s.type === "object" && s.properties && !s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties === undefined) {
        out.additionalProperties = false;
    }
    if (s["x-kubernetes-int-or-string"]) {
        delete out.type;
        out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (s.nullable && out.type) out.type = [out.type, "null"];
    return out;
}

// Formats (date-time) appear only in status fields, which components never set.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** Validates a custom resource against its CRD; throws naming the resource and every error. */
export function validateCustomResource(r: RecordedResource, crds: readonly CrdVersionSchema[]): void {
    const { apiVersion, kind } = apiVersionKind(r);
    const [group, version] = apiVersion.split("/");
    const crd = crds.find((c) => c.group === group && c.version === version && c.kind === kind);
    if (!crd) throw new Error(`${kind} ${r.name}: no CRD for ${apiVersion} ${kind}`);
    const validate = ajv.compile(strictSchema(crd.schema));
    const obj = { ...unwrapSecrets(r.inputs), apiVersion, kind };
    if (!validate(obj)) {
        throw new Error(`${kind} ${r.name} fails its CRD schema: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
    }
}

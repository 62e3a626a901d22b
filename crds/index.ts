/**
 * The vendored CustomResourceDefinitions (see README.md beside this file) and a validator of
 * custom resources against them. Used at run time (the `fortress` CLI's Kubernetes driver
 * checks a custom resource before sending it: the API server would silently prune a misspelt
 * field) and by the tests (every custom resource a component declares).
 *
 * Files are found relative to this module, never to the working directory, so the CLI works
 * from any folder; if this module is bundled elsewhere, the parents of the bundle are searched
 * for `crds/<file>`.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";

/**
 * The vendored files and the API groups each one defines. The groups are listed (not read from
 * the files) so a validation loads only the file it needs: the Percona file is 2 MB of YAML.
 * A test checks this table against the files.
 */
export const CRD_FILES = {
    "percona-pg-crd.yaml": { groups: ["pgv2.percona.com"] },
    "velero-crds.yaml": { groups: ["velero.io"] },
} as const satisfies Record<string, { groups: readonly string[] }>;

export type CrdFileName = keyof typeof CRD_FILES;

/** One version of one CRD: what a custom resource of that apiVersion and kind is checked against. */
export interface CrdVersionSchema {
    readonly group: string;
    readonly kind: string;
    readonly version: string;
    /** Whether the API server serves this version (an unserved version is rejected). */
    readonly served: boolean;
    readonly schema: object;
    /** The vendored file it came from. */
    readonly file: string;
}

/** One reason a custom resource fails: a JSON path in the object (`spec.backups.pgbackrest.repos[1].name`) and what is wrong. */
export interface CrdProblem {
    readonly path: string;
    readonly message: string;
}

let crdDirCache: string | undefined;

/** The folder holding the vendored CRD files: this module's own, or the nearest `crds/` above a bundle. */
export function crdDir(): string {
    if (crdDirCache) return crdDirCache;
    const marker = Object.keys(CRD_FILES)[0];
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        for (const candidate of [dir, path.join(dir, "crds")]) {
            if (fs.existsSync(path.join(candidate, marker))) return (crdDirCache = candidate);
        }
        if (path.dirname(dir) === dir) break;
    }
    throw new Error(`crds: ${marker} not found beside ${__dirname} or in a crds/ folder above it; the vendored CRDs must ship with the program (see crds/README.md)`);
}

/** Absolute path of a vendored CRD file. */
export function crdPath(file: CrdFileName): string {
    return path.join(crdDir(), file);
}

/** sha256 (hex) of a vendored CRD file's bytes, as crds/README.md lists it. */
export function crdSha256(file: CrdFileName): string {
    return crypto.createHash("sha256").update(fs.readFileSync(crdPath(file))).digest("hex");
}

/** sha256 of every vendored CRD file, e.g. for an audit record of what a resource was validated against. */
export function crdSha256All(): Record<CrdFileName, string> {
    return Object.fromEntries(Object.keys(CRD_FILES).map((f) => [f, crdSha256(f as CrdFileName)])) as Record<CrdFileName, string>;
}

/** The openAPIV3Schema of every version of every CRD in a YAML file of CRDs (any path). */
export function loadCrdFile(file: string): CrdVersionSchema[] {
    const out: CrdVersionSchema[] = [];
    for (const d of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
        const crd = d.toJS();
        if (crd?.kind !== "CustomResourceDefinition") continue;
        for (const v of crd.spec.versions) {
            out.push({ group: crd.spec.group, kind: crd.spec.names.kind, version: v.name, served: v.served !== false, schema: v.schema.openAPIV3Schema, file: path.basename(file) });
        }
    }
    return out;
}

const loaded = new Map<CrdFileName, CrdVersionSchema[]>();

/** The CRD versions of one vendored file (parsed once per process). */
export function vendoredCrds(file: CrdFileName): CrdVersionSchema[] {
    let crds = loaded.get(file);
    if (!crds) loaded.set(file, (crds = loadCrdFile(crdPath(file))));
    return crds;
}

/** Every vendored CRD version. */
export function allVendoredCrds(): CrdVersionSchema[] {
    return (Object.keys(CRD_FILES) as CrdFileName[]).flatMap(vendoredCrds);
}

/**
 * Velero's `Backup` (velero.io/v1) at v1.18.1, DERIVED from the vendored v1.18.1 Schedule CRD:
 * a Schedule's `spec.template` is Velero's `BackupSpec` type (the Schedule controller creates
 * Backups from it verbatim), so its schema is the Backup CRD's `spec` schema at that version.
 * The upstream `velero.io_backups.yaml` at v1.18.1 could not be vendored here (only an older
 * copy was reachable, see README.md), so its `status` schema is not part of this: the CLI never
 * sends a status, and it reads Backup status by phase names only.
 */
let derivedBackup: CrdVersionSchema | undefined;
export function derivedVeleroBackupCrd(): CrdVersionSchema {
    if (derivedBackup) return derivedBackup;
    const sched = vendoredCrds("velero-crds.yaml").find((c) => c.kind === "Schedule" && c.version === "v1");
    if (!sched) throw new Error("crds: velero-crds.yaml holds no Schedule v1 to derive the Backup schema from");
    const s = sched.schema as { properties: Record<string, any> };
    return (derivedBackup = {
        group: "velero.io",
        kind: "Backup",
        version: "v1",
        served: true,
        file: "velero-crds.yaml#Schedule.spec.template",
        schema: { type: "object", properties: { apiVersion: s.properties.apiVersion, kind: s.properties.kind, metadata: { type: "object" }, spec: s.properties.spec.properties.template } },
    });
}

/** Schemas derived from vendored files (not files of their own), per API group. */
function derivedCrds(group: string): CrdVersionSchema[] {
    return group === "velero.io" ? [derivedVeleroBackupCrd()] : [];
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

// Formats (date-time) appear only in status fields, which nothing here sets.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(crd: CrdVersionSchema): ValidateFunction {
    let v = compiled.get(crd.schema);
    if (!v) compiled.set(crd.schema, (v = ajv.compile(strictSchema(crd.schema))));
    return v;
}

/** A JSON pointer (`/spec/repos/1/name`) as the dotted path people write (`spec.repos[1].name`). */
export function pointerToPath(pointer: string): string {
    let out = "";
    for (const raw of pointer.split("/").slice(1)) {
        const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (/^\d+$/.test(seg)) out += `[${seg}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
        else out += `[${JSON.stringify(seg)}]`;
    }
    return out;
}

function problemOf(e: ErrorObject): CrdProblem {
    const at = pointerToPath(e.instancePath);
    if (e.keyword === "additionalProperties") {
        const field = String((e.params as { additionalProperty: string }).additionalProperty);
        const p = pointerToPath(`${e.instancePath}/${field.replace(/~/g, "~0").replace(/\//g, "~1")}`);
        return { path: p, message: `must NOT have additional properties: "${field}" is not a field of ${at || "the object"} (a misspelling? the API server would drop it silently)` };
    }
    if (e.keyword === "required") {
        const field = String((e.params as { missingProperty: string }).missingProperty);
        return { path: pointerToPath(`${e.instancePath}/${field}`), message: `is required (${e.message})` };
    }
    return { path: at || "(object)", message: e.message ?? e.keyword };
}

/** The CRD files that define an API group, or [] for a group nothing here defines. */
function filesForGroup(group: string): CrdFileName[] {
    return (Object.entries(CRD_FILES) as [CrdFileName, { groups: readonly string[] }][]).filter(([, v]) => v.groups.includes(group)).map(([f]) => f);
}

/**
 * Checks a custom resource (a plain object with apiVersion and kind) against the served
 * version of its vendored CRD. Returns every problem, each naming its JSON path; [] when valid.
 * `crds` overrides the vendored set (tests, or a caller holding other CRDs).
 */
export function validateCustomResource(obj: unknown, crds?: readonly CrdVersionSchema[]): CrdProblem[] {
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return [{ path: "(object)", message: "a custom resource must be an object with apiVersion and kind" }];
    const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
    if (typeof apiVersion !== "string" || !/^[^/\s]+\.[^/\s]+\/[^/\s]+$/.test(apiVersion)) {
        return [{ path: "apiVersion", message: `${JSON.stringify(apiVersion)} is not <group>/<version> of a custom resource (e.g. "pgv2.percona.com/v2")` }];
    }
    if (typeof kind !== "string" || kind === "") return [{ path: "kind", message: `${JSON.stringify(kind)} is not a kind` }];
    const [group, version] = apiVersion.split("/");
    const pool = crds ?? [...filesForGroup(group).flatMap(vendoredCrds), ...derivedCrds(group)];
    const ofKind = pool.filter((c) => c.group === group && c.kind === kind);
    if (ofKind.length === 0) {
        const kinds = [...new Set(pool.filter((c) => c.group === group).map((c) => c.kind))];
        return kinds.length
            ? [{ path: "kind", message: `no CRD of ${group} defines kind ${kind}; it defines ${kinds.join(", ")}` }]
            : [{ path: "apiVersion", message: `no vendored CRD defines the group ${group} (vendored: ${Object.values(CRD_FILES).flatMap((v) => v.groups).join(", ")})` }];
    }
    const crd = ofKind.find((c) => c.version === version && c.served);
    if (!crd) {
        const served = ofKind.filter((c) => c.served).map((c) => c.version);
        return [{ path: "apiVersion", message: `${kind} is not served at ${apiVersion}; served version(s): ${served.map((v) => `${group}/${v}`).join(", ")}` }];
    }
    const validate = validatorFor(crd);
    if (validate(obj)) return [];
    return (validate.errors ?? []).map(problemOf);
}

/** The problems as one message: `<what> fails its CRD schema: <path> <message>; ...`. */
export function formatCrdProblems(what: string, problems: readonly CrdProblem[]): string {
    return `${what} fails its CRD schema: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`;
}

/** Throws one error naming every problem, e.g. before a driver sends the resource. */
export function assertCustomResource(obj: unknown, what?: string, crds?: readonly CrdVersionSchema[]): void {
    const problems = validateCustomResource(obj, crds);
    if (problems.length === 0) return;
    const o = obj as { kind?: unknown; metadata?: { name?: unknown } } | null;
    throw new Error(formatCrdProblems(what ?? `${String(o?.kind ?? "custom resource")} ${String(o?.metadata?.name ?? "")}`.trim(), problems));
}

import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CRD_FILES, CrdFileName, crdDir, crdSha256, loadCrdFile, pointerToPath, validateCustomResource, assertCustomResource } from "../../crds";

const README = path.join(__dirname, "..", "..", "crds", "README.md");

/** `file -> sha256` from the README's table (the last column of each row naming a .yaml file). */
function readmeHashes(): Map<string, string> {
    const out = new Map<string, string>();
    for (const line of fs.readFileSync(README, "utf8").split("\n")) {
        const m = /^\| `([^`]+\.yaml)` \|.*\| `([0-9a-f]{64})` \|$/.exec(line);
        if (m) out.set(m[1], m[2]);
    }
    return out;
}

const schedule = () => ({
    apiVersion: "velero.io/v1",
    kind: "Schedule",
    metadata: { name: "tier2", namespace: "velero" },
    spec: { schedule: "0 */6 * * *", template: { includedNamespaces: ["*"], storageLocation: "tier2", ttl: "720h0m0s" } },
});

describe("crds: the vendored CRDs and their validator", () => {
    it("lists every vendored file in the README with the sha256 of its bytes", () => {
        const hashes = readmeHashes();
        const files = fs.readdirSync(crdDir()).filter((f) => f.endsWith(".yaml")).sort();
        assert.deepStrictEqual([...hashes.keys()].sort(), files, "README table rows vs crds/*.yaml");
        assert.deepStrictEqual(Object.keys(CRD_FILES).sort(), files, "CRD_FILES vs crds/*.yaml");
        for (const f of files) assert.strictEqual(crdSha256(f as CrdFileName), hashes.get(f), `${f}: sha256 differs from crds/README.md`);
    });

    it("knows which API groups each file defines (the table the lazy loader relies on)", () => {
        for (const [file, { groups }] of Object.entries(CRD_FILES)) {
            const found = [...new Set(loadCrdFile(path.join(crdDir(), file)).map((c) => c.group))].sort();
            assert.deepStrictEqual(found, [...groups].sort(), file);
        }
    });

    it("accepts a valid Velero Schedule", () => {
        assert.deepStrictEqual(validateCustomResource(schedule()), []);
    });

    it("rejects a misspelt field naming its JSON path", () => {
        const o: any = schedule();
        o.spec.template.includedNamespacez = ["x"];
        const problems = validateCustomResource(o);
        assert.strictEqual(problems.length, 1, JSON.stringify(problems));
        assert.strictEqual(problems[0].path, "spec.template.includedNamespacez");
        assert.match(problems[0].message, /must NOT have additional properties: "includedNamespacez" is not a field of spec\.template/);
    });

    it("rejects a wrong type and a missing required field, naming each path", () => {
        const o: any = schedule();
        o.spec.paused = "yes";
        delete o.spec.schedule;
        const problems = validateCustomResource(o);
        assert.deepStrictEqual(problems.map((p) => p.path).sort(), ["spec.paused", "spec.schedule"]);
        assert.throws(() => assertCustomResource(o), /^Error: Schedule tier2 fails its CRD schema: .*spec\.paused must be boolean/);
    });

    it("names the array index in a PerconaPGCluster path", () => {
        const problems = validateCustomResource({
            apiVersion: "pgv2.percona.com/v2",
            kind: "PerconaPGCluster",
            metadata: { name: "db" },
            spec: { postgresVersion: 17, instances: [{ name: "a", replicas: "3", dataVolumeClaimSpec: {} }], backups: { pgbackrest: { repos: [{ name: "tier1" }] } } },
        });
        const paths = problems.map((p) => p.path);
        assert.ok(paths.includes("spec.instances[0].replicas"), paths.join(", "));
        assert.ok(paths.includes("spec.backups.pgbackrest.repos[0].name"), paths.join(", "));
    });

    it("rejects an unserved version, an unknown kind and an unknown group at apiVersion/kind", () => {
        assert.deepStrictEqual(validateCustomResource({ ...schedule(), apiVersion: "velero.io/v2" }).map((p) => p.path), ["apiVersion"]);
        assert.match(validateCustomResource({ ...schedule(), apiVersion: "velero.io/v2" })[0].message, /served version\(s\): velero\.io\/v1/);
        assert.deepStrictEqual(validateCustomResource({ ...schedule(), kind: "Backupp" }).map((p) => p.path), ["kind"]);
        assert.match(validateCustomResource({ ...schedule(), apiVersion: "example.com/v1" })[0].message, /no vendored CRD defines the group example\.com/);
        assert.deepStrictEqual(validateCustomResource({ kind: "Schedule" }).map((p) => p.path), ["apiVersion"]);
    });

    it("writes JSON pointers as dotted paths", () => {
        assert.strictEqual(pointerToPath("/spec/repos/1/s3/bucket"), "spec.repos[1].s3.bucket");
        assert.strictEqual(pointerToPath("/metadata/annotations/a~1b"), 'metadata.annotations["a/b"]');
        assert.strictEqual(pointerToPath(""), "");
    });

    it("loads the CRDs with the working directory somewhere else (a fresh process in a temp folder)", () => {
        const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "crds-cwd-"));
        try {
            const mod = path.join(__dirname, "..", "..", "crds", "index.ts");
            const script = `const c = require(${JSON.stringify(mod)});
const bad = c.validateCustomResource({ apiVersion: "velero.io/v1", kind: "Schedule", metadata: { name: "s" }, spec: { schedule: "0 * * * *", template: {}, pausedd: true } });
console.log(JSON.stringify({ cwd: process.cwd(), sha: c.crdSha256("velero-crds.yaml"), bad, pg: c.vendoredCrds("percona-pg-crd.yaml").length }));`;
            const out = JSON.parse(execFileSync(process.execPath, ["--require", require.resolve("tsx/cjs"), "-e", script], { cwd, encoding: "utf8", timeout: 60_000 }));
            assert.strictEqual(fs.realpathSync(out.cwd), fs.realpathSync(cwd));
            assert.strictEqual(out.sha, readmeHashes().get("velero-crds.yaml"));
            assert.deepStrictEqual(out.bad.map((p: { path: string }) => p.path), ["spec.pausedd"]);
            assert.strictEqual(out.pg, 3, "PerconaPGBackup, PerconaPGCluster, PerconaPGRestore at v2");
        } finally {
            fs.rmSync(cwd, { recursive: true, force: true });
        }
    });
});

/**
 * `node -r ts-node/register/transpile-only tools/policy-pack-smoke.ts [stack]`
 *
 * Starts the policy pack the way the Pulumi CLI's nodejs host does — `node
 * <@pulumi/pulumi>/cmd/run-policy-pack <engine> .` with the pack directory as the working
 * directory, so run-policy-pack registers ts-node with type checking and the pack's
 * tsconfig, and @pulumi/policy reads the pack's package.json — then speaks the analyzer gRPC
 * protocol to it on 127.0.0.1: GetAnalyzerInfo, then AnalyzeStack with the stack's resources
 * from the mock runtime, with the stack's config in PULUMI_CONFIG as the CLI passes it. It prints the engine's diagnostics next to what the engine-less
 * runner (policies/runner.ts) found for the same resources, and exits 1 if they differ.
 *
 * What this does not reproduce: the CLI itself (not installable here), a real preview's
 * unknown values and the engine's per-resource Analyze calls during the preview.
 * Never run from the test suite: it starts a server (the process it spawns is stopped here).
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RULES } from "../policies/rules";
import { runRules } from "../policies/runner";
import { evaluateStack } from "./evaluate";
import { readStackFile } from "../config";
import type { RecordedResource } from "../components/core/recorded-resource";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
const structProto = require("google-protobuf/google/protobuf/struct_pb");
const emptyProto = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const POLICIES = path.resolve(__dirname, "..", "policies");
const START_TIMEOUT_MS = 180_000;

/** Starts the pack; `config` is the stack config the CLI's nodejs host passes in PULUMI_CONFIG. */
function startPack(stack: string, config: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICIES] });
    const env = { ...process.env, PULUMI_CONFIG: JSON.stringify(config), PULUMI_NODEJS_STACK: stack, PULUMI_NODEJS_PROJECT: "fortress-dr" };
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: POLICIES, env, stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
        let err = "";
        const timer = setTimeout(() => reject(new Error(`the pack did not print its port within ${START_TIMEOUT_MS / 1000} s; stderr:\n${err}`)), START_TIMEOUT_MS);
        child.stderr!.on("data", (d) => (err += String(d)));
        child.stdout!.on("data", (d) => {
            const m = /^(\d+)\s*$/m.exec(String(d));
            if (m) {
                clearTimeout(timer);
                resolve({ child, port: Number(m[1]) });
            }
        });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the pack exited with ${code} before serving; stderr:\n${err}`));
        });
    });
}

async function struct(value: Record<string, unknown>): Promise<unknown> {
    const serialized = await pulumi.runtime.serializeProperties("smoke", value);
    return structProto.Struct.fromJavaScript(serialized);
}

async function stackRequest(resources: readonly RecordedResource[]): Promise<unknown> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const req = new analyzerProto.AnalyzeStackRequest();
    const list = [];
    for (const r of resources) {
        const ar = new analyzerProto.AnalyzerResource();
        ar.setUrn(r.urn);
        ar.setType(r.type);
        ar.setName(r.name);
        ar.setProperties(await struct(r.inputs));
        const opts = new analyzerProto.AnalyzerResourceOptions();
        opts.setProtect(r.protect);
        if (r.parent) opts.setParent(r.parent);
        ar.setOptions(opts);
        if (r.parent) ar.setParent(r.parent);
        ar.setDependenciesList([...(r.dependsOn ?? [])]);
        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
            const d = new analyzerProto.AnalyzerPropertyDependencies();
            d.setUrnsList([...urns]);
            ar.getPropertydependenciesMap().set(k, d);
        }
        const p = r.provider ? byUrn.get(r.provider) : undefined;
        if (p) {
            const pr = new analyzerProto.AnalyzerProviderResource();
            pr.setType(p.type);
            pr.setName(p.name);
            pr.setUrn(p.urn);
            pr.setProperties(await struct(p.inputs));
            ar.setProvider(pr);
        }
        list.push(ar);
    }
    req.setResourcesList(list);
    return req;
}

const call = (client: any, method: string, req: unknown): Promise<any> =>
    new Promise((resolve, reject) => client[method](req, (err: Error | null, resp: unknown) => (err ? reject(err) : resolve(resp))));

async function main(stack: string): Promise<number> {
    const result = await evaluateStack(stack);
    const expected = await runRules(RULES, result.resources, { stackConfig: result.config });
    const t0 = Date.now();
    const { child, port } = await startPack(stack, readStackFile(stack).config);
    try {
        console.log(`pack started in ${((Date.now() - t0) / 1000).toFixed(1)} s (ts-node with type checking), serving on 127.0.0.1:${port}`);
        const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const info = await call(client, "getAnalyzerInfo", new emptyProto.Empty());
        const served = info.getPoliciesList().map((p: any) => p.getName());
        console.log(`GetAnalyzerInfo: pack ${info.getName()} v${info.getVersion()}, ${served.length} policies`);
        const resp = await call(client, "analyzeStack", await stackRequest(result.resources));
        const diags: { policy: string; level: number; message: string }[] = resp.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
        client.close();
        // Resource policies run per resource in a preview (Analyze); AnalyzeStack runs only stack policies.
        const stackPolicies = new Set(RULES.filter((r) => "validateStack" in r).map((r) => r.name));
        const engine = new Map<string, string[]>();
        for (const d of diags) engine.set(d.policy, [...(engine.get(d.policy) ?? []), d.message]);
        let differ = 0;
        for (const o of expected.filter((x) => stackPolicies.has(x.policy))) {
            const mine = o.findings.map((f) => f.engineMessage).sort();
            const theirs = (engine.get(o.policy) ?? []).sort();
            const same = JSON.stringify(mine) === JSON.stringify(theirs);
            if (!same) differ++;
            console.log(`  ${same ? "same" : "DIFF"}  ${o.policy}: runner ${mine.length}, engine ${theirs.length} diagnostic(s)`);
            if (!same) {
                for (const m of mine.filter((x) => !theirs.includes(x))) console.log(`      runner only: ${m.replace(/\n/g, " | ")}`);
                for (const m of theirs.filter((x) => !mine.includes(x))) console.log(`      engine only: ${m.replace(/\n/g, " | ")}`);
            }
        }
        console.log(`served ${served.length} policies (pack has ${RULES.length}); AnalyzeStack returned ${diags.length} diagnostics; ${differ} policies differ from the runner`);
        return served.length === RULES.length && differ === 0 ? 0 : 1;
    } finally {
        child.kill("SIGTERM");
    }
}

if (require.main === module) {
    main(process.argv[2] ?? "prod").then(
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            console.error(e instanceof Error ? e.message : String(e));
            process.exitCode = 1;
        },
    );
}

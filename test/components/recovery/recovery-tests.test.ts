/**
 * The scheduled recovery tests and the CLI in a pod (components/recovery/, stacks/steps/
 * recovery-tests.ts, the DR erasure replay): the stack file the pods read round-trips through
 * the CLI's own loader to the same FortressConfig, no kubeconfig or secret value reaches a
 * ConfigMap, the CronJobs are shaped so a failed drill shows as failed, and every new
 * Kubernetes object passes its schema. Mock runtime only: no cluster, no image built.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { listStacks, readStackFile, loadStackConfig } from "../../../config/loader";
import { renderStackFile, runtimeIsConfigSecret, STACK_CONFIG_MAP, STACK_OUTPUTS_CONFIG_MAP } from "../../../components/recovery/stack-files";
import { CLI_UID } from "../../../components/recovery/cli-pod";
import { DR_TEST_DEADLINE_SECONDS, drillScratchNamespace, RECOVERY_TEST_SOURCE_RULES, recoveryTestRbacRules } from "../../../components/recovery/recovery-tests";
import { scratchClusterName, scratchNamespace } from "../../../cli/drivers/platform/resources";
import { recoveryTestPolicy } from "../../../components/recovery/recovery-test-policy";
import { evaluateStack, PlanResult } from "../../../tools/evaluate";
import { runUnderMocks } from "../../../tools/mock-runtime";
import { drTest } from "../../../cli/commands/dr-test";
import { ofType } from "../../helpers/pulumi";
import { unwrapSecrets, validateCoreObject } from "../platform/kube-schema";

/** loadStackConfig with FORTRESS_STACKS_DIR pointed at `dir` (the loader reads it when loaded). */
function loadFrom(dir: string, stack: string) {
    const key = require.resolve("../../../config/loader");
    const saved = { env: process.env.FORTRESS_STACKS_DIR, mod: require.cache[key] };
    try {
        process.env.FORTRESS_STACKS_DIR = dir;
        delete require.cache[key];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return (require(key) as typeof import("../../../config/loader")).loadStackConfig(stack);
    } finally {
        if (saved.env === undefined) delete process.env.FORTRESS_STACKS_DIR;
        else process.env.FORTRESS_STACKS_DIR = saved.env;
        require.cache[key] = saved.mod;
    }
}

function tmpStacks(stack: string, text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-stack-files-"));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
    return dir;
}

describe("recovery tests: the CLI's stack file rendered for pods", () => {
    for (const stack of listStacks()) {
        it(`${stack}: the rendered file loads, with the CLI's loader, to the same FortressConfig`, () => {
            const values = readStackFile(stack);
            const text = renderStackFile(stack, values.config, (k) => values.secretKeys.includes(k));
            const loaded = loadFrom(tmpStacks(stack, text), stack);
            assert.deepStrictEqual(loaded.validated, loadStackConfig(stack).validated);
        });
    }

    it("drops kubeconfig and other namespaces, writes a secret as secure (read back as the placeholder), never its value", () => {
        const values = readStackFile("prod");
        const config = { ...values.config, "fortress-dr:kubeconfig": "apiVersion: v1 TOP-SECRET-KUBECONFIG", "aws:region": "us-east-1", "fortress-dr:jobImage": "SECRET-IMAGE-VALUE" };
        const text = renderStackFile("prod", config, (k) => k === "fortress-dr:jobImage" || k === "fortress-dr:kubeconfig");
        assert.doesNotMatch(text, /TOP-SECRET-KUBECONFIG|SECRET-IMAGE-VALUE|aws:region/);
        assert.deepStrictEqual(parseYaml(text).config["fortress-dr:jobImage"], { secure: "[omitted]" });
        const loaded = loadFrom(tmpStacks("prod", text), "prod");
        assert.deepStrictEqual(loaded.secretKeys, ["fortress-dr:jobImage"]);
        assert.strictEqual(loaded.config["fortress-dr:jobImage"], "[secret]");
    });

    it("asks the Pulumi runtime which keys are secret (a key given as secret counts, a plain one does not)", async () => {
        const { outputs } = await runUnderMocks({ stack: "t", config: { "fortress-dr:a": "x", "fortress-dr:b": "y" }, secretKeys: ["fortress-dr:b"] }, async () => {
            const isSecret = runtimeIsConfigSecret();
            return { a: isSecret("fortress-dr:a"), b: isSecret("fortress-dr:b") };
        });
        assert.deepStrictEqual(outputs, { a: false, b: true });
    });
});

describe("recovery tests: the prod stack's scheduled drills", () => {
    let prod: PlanResult;
    before(async () => {
        prod = await evaluateStack("prod", { configOverrides: { "fortress-dr:kubeconfig": "KUBECONFIG-MUST-NOT-LEAK" } });
    });
    const cronJob = (id: string) => ofType(prod.resources, "kubernetes:batch/v1:CronJob").find((r) => r.inputs.metadata.name === `fortress-dr-test-${id}`)!;

    it("runs fortress dr-test weekly from tier 1 and monthly from tier 2, in the CLI image, failed drills never retried", () => {
        for (const [id, tier, schedule] of [["weekly", "tier1", prod.config.recoveryTests.weeklySchedule], ["monthly", "tier2", prod.config.recoveryTests.monthlySchedule]] as const) {
            const j = cronJob(id);
            assert.ok(j, `CronJob fortress-dr-test-${id}`);
            const spec = j.inputs.spec;
            assert.strictEqual(spec.schedule, schedule);
            assert.strictEqual(spec.concurrencyPolicy, "Forbid");
            assert.ok(spec.startingDeadlineSeconds > 0);
            assert.strictEqual(spec.jobTemplate.spec.backoffLimit, 0);
            assert.strictEqual(spec.jobTemplate.spec.activeDeadlineSeconds, drTest.defaultTimeoutSeconds);
            const pod = spec.jobTemplate.spec.template.spec;
            assert.strictEqual(pod.securityContext.runAsUser, CLI_UID);
            const c = pod.containers[0];
            assert.strictEqual(c.image, prod.config.cliImage);
            assert.deepStrictEqual(c.args.slice(0, 7), ["dr-test", "--stack", "prod", "--from", tier, "--into", `drill-${id}`]);
            for (const flag of ["--yes", "--output", "--reason"]) assert.ok(c.args.includes(flag), flag);
            assert.match(c.args[c.args.indexOf("--reason") + 1], /^scheduled /);
            const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
            assert.strictEqual(env.FORTRESS_STACKS_DIR, "/etc/fortress/stacks");
            assert.strictEqual(env.FORTRESS_STACK_OUTPUTS, "/etc/fortress/outputs/outputs.json");
            assert.deepStrictEqual(j.inputs.metadata.labels["fortress/purpose"], "recovery-test");
            assert.deepStrictEqual(j.inputs.metadata.labels["fortress/tier"], tier);
        }
        assert.strictEqual(DR_TEST_DEADLINE_SECONDS, drTest.defaultTimeoutSeconds);
    });

    it("mounts a stack file without the kubeconfig that loads to the stack's config, and the driver's outputs", () => {
        const maps = Object.fromEntries(ofType(prod.resources, "kubernetes:core/v1:ConfigMap").map((r) => [r.inputs.metadata.name, unwrapSecrets(r.inputs)]));
        const text: string = maps[STACK_CONFIG_MAP].data["Pulumi.prod.yaml"];
        assert.doesNotMatch(text, /KUBECONFIG-MUST-NOT-LEAK|fortress-dr:kubeconfig/);
        assert.deepStrictEqual(loadFrom(tmpStacks("prod", text), "prod").validated, loadStackConfig("prod").validated);
        const outputs = JSON.parse(maps[STACK_OUTPUTS_CONFIG_MAP].data["outputs.json"]);
        assert.deepStrictEqual(Object.keys(outputs.tiers).sort(), ["tier1", "tier2", "tier3"]);
        assert.strictEqual(outputs.tiers.tier2.region, prod.config.regions.dr);
        assert.match(outputs.tiers.tier1.bucketName, /tier1/);
        assert.ok(outputs.scratchRestore.readerRoleArn, "scratchRestore.readerRoleArn");
    });

    it("every new Kubernetes object passes its schema", () => {
        const mine = prod.resources.filter((r) => r.type.startsWith("kubernetes:") && (/^recovery-test/.test(r.name) || r.parent?.includes("RecoveryTests")));
        assert.ok(mine.length >= 6, `found ${mine.map((r) => r.name).join(", ")}`);
        for (const r of mine) validateCoreObject(r);
    });

    it("grants the drill only read on the tiers, the audit prefix and the recovery metrics", () => {
        const role = ofType(prod.resources, "aws:iam/rolePolicy:RolePolicy", "recovery-test-policy")[0];
        const policy = JSON.parse(unwrapSecrets(role.inputs.policy));
        const actions = policy.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat());
        assert.ok(!actions.some((a: string) => /Delete|PutBucket|PutLifecycle|\*$/.test(a) && a !== "kms:ReEncrypt*"), actions.join(", "));
        const put = policy.Statement.find((s: { Sid: string }) => s.Sid === "WriteAuditRecords");
        assert.match(put.Resource, /\/fortress-audit\/prod\/\*$/);
        const metrics = policy.Statement.find((s: { Sid: string }) => s.Sid === "PublishRecoveryRuns");
        assert.deepStrictEqual(metrics.Condition, { StringEquals: { "cloudwatch:namespace": "Fortress/BackupSLO" } });
        assert.throws(() => recoveryTestPolicy({ tiers: [], audit: { bucketArn: "b", kmsKeyArn: "k", prefix: "p" }, metricsNamespace: "n" }), /no tier bucket/);
    });

    it("RBAC names the platform driver's calls and nothing cluster-admin-like", () => {
        for (const rule of [...recoveryTestRbacRules([{ into: "x" }]), ...RECOVERY_TEST_SOURCE_RULES]) {
            assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"), JSON.stringify(rule));
        }
        const cr = ofType(prod.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").find((r) => r.inputs.metadata.name === "fortress-recovery-test")!;
        type Rule = { resources: string[]; verbs: string[]; resourceNames?: string[] };
        const rules: Rule[] = cr.inputs.rules;
        assert.ok(rules.some((r) => r.resources.includes("pods/exec") && r.verbs.includes("create")));
        // Cluster-wide, Secrets can be created (copied into the scratch namespace) but never read.
        assert.ok(!rules.some((r) => r.resources.includes("secrets") && r.verbs.some((v) => ["get", "list", "watch"].includes(v))), JSON.stringify(rules));
        // Deleting a namespace or a PerconaPGCluster only by the scheduled drills' scratch names — never the production cluster.
        const cronInto = ofType(prod.resources, "kubernetes:batch/v1:CronJob")
            .filter((c) => /^fortress-dr-test-/.test(c.inputs.metadata.name))
            .map((c) => { const a: string[] = c.inputs.spec.jobTemplate.spec.template.spec.containers[0].args; return a[a.indexOf("--into") + 1]; });
        assert.strictEqual(cronInto.length, 2);
        for (const r of rules.filter((r) => r.verbs.includes("delete") && (r.resources.includes("namespaces") || r.resources.includes("perconapgclusters")))) {
            const expected = r.resources.includes("namespaces") ? cronInto.map(scratchNamespace) : cronInto.map(scratchClusterName);
            assert.deepStrictEqual(r.resourceNames, expected, JSON.stringify(r));
        }
        for (const into of cronInto) assert.strictEqual(drillScratchNamespace(into), scratchNamespace(into));
        const role = ofType(prod.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role").find((r) => r.inputs.metadata.name === "fortress-recovery-test-source")!;
        assert.strictEqual(role.inputs.metadata.namespace, prod.config.kubernetes.namespace);
        assert.deepStrictEqual(role.inputs.rules, RECOVERY_TEST_SOURCE_RULES);
        const binding = ofType(prod.resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").find((r) => r.inputs.metadata.name === "fortress-recovery-test-source")!;
        assert.deepStrictEqual(binding.inputs.subjects.map((s: { name: string }) => s.name), ["fortress-recovery-test"]);
        for (const o of [cr, role, binding]) validateCoreObject(o);
    });
});

describe("DR erasure replay runs the CLI image with the stack files", () => {
    it("prod-dr rebuild: the Job uses cliImage as the CLI user, mounts both ConfigMaps and points the CLI at them", async () => {
        const base = loadStackConfig("prod-dr").config;
        const dr = JSON.parse(base["fortress-dr:dr"]);
        const plan = await evaluateStack("prod-dr", { configOverrides: { "fortress-dr:dr": JSON.stringify({ ...dr, mode: "rebuild", restoreFrom: "tier2" }) } });
        const job = ofType(plan.resources, "kubernetes:batch/v1:Job").find((r) => r.inputs.metadata.name === "erasure-replay");
        assert.ok(job, `no erasure-replay Job (mode ${plan.outputs.mode})`);
        const pod = job.inputs.spec.template.spec;
        assert.strictEqual(pod.containers[0].image, plan.config.cliImage);
        assert.strictEqual(pod.securityContext.runAsUser, CLI_UID);
        assert.deepStrictEqual(pod.volumes.filter((v: { configMap?: { name: string } }) => v.configMap).map((v: { configMap: { name: string } }) => v.configMap.name).sort(), [STACK_CONFIG_MAP, STACK_OUTPUTS_CONFIG_MAP]);
        const env = pod.containers[0].env.map((e: { name: string }) => e.name);
        assert.ok(env.includes("FORTRESS_STACKS_DIR") && env.includes("FORTRESS_STACK_OUTPUTS"));
        const maps = ofType(plan.resources, "kubernetes:core/v1:ConfigMap").filter((r) => /^erasure-replay-/.test(r.name));
        assert.strictEqual(maps.length, 2);
        for (const m of [...maps, job]) validateCoreObject(m);
        const outputs = JSON.parse(unwrapSecrets(maps.find((m) => m.inputs.metadata.name === STACK_OUTPUTS_CONFIG_MAP)!.inputs.data["outputs.json"]));
        assert.ok(outputs.failoverFence && outputs.tiers.tier2.bucketName, JSON.stringify(outputs));
    });
});

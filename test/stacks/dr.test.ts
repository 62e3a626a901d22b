import * as assert from "assert";
import { execFile } from "child_process";
import { promisify } from "util";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { ConfigError } from "../../config";
import { modeVariants, DrModeName } from "../../stacks/steps/dr-mode";
import { REPLICATION_RULES, ROUTE53_METRICS_REGION } from "../../stacks/steps/detection";
import { validateK8sObject } from "../components/workloads/k8s-schema";
import { unwrapSecrets, validateCustomResource } from "../components/platform/kube-schema";
import { vendoredCrds } from "../../crds";
import type { RecordedResource } from "../../components/core/recorded-resource";

const perconaCrds = vendoredCrds("percona-pg-crd.yaml");
const veleroCrds = vendoredCrds("velero-crds.yaml");

const run = promisify(execFile);
const of = (r: PlanResult, type: string) => r.resources.filter((x) => x.type === type);
const withDr = (dr: Record<string, unknown>, extra: Record<string, string> = {}) => ({ configOverrides: { "fortress-dr:dr": JSON.stringify(dr), ...extra } });

async function problemsOf(stack: string, overrides: Record<string, string>): Promise<readonly string[]> {
    try {
        await evaluateStack(stack, { configOverrides: overrides });
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    throw new Error(`${stack} with ${JSON.stringify(overrides)} evaluated without a config error`);
}

/** Every Kubernetes object (not Helm releases, which the charts' own schemas check). */
function k8sObjects(r: PlanResult): RecordedResource[] {
    return r.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:") && !x.type.startsWith("kubernetes:helm.sh/"));
}

describe("detection in the prod plan", () => {
    let prod: PlanResult;
    before(async () => {
        prod = await evaluateStack("prod");
    });

    it("health-checks both regions' endpoints of every hostname: HTTPS, interval 10, threshold 3, ≥ 3 checker regions", () => {
        const checks = of(prod, "aws:route53/healthCheck:HealthCheck");
        for (const h of prod.config.endpoints.hosts) {
            for (const target of [h.primaryTarget, h.drTarget]) {
                const c = checks.filter((x) => x.inputs.fqdn === target);
                assert.ok(c.length >= 1, `no health check on ${target}`);
                for (const x of c) {
                    assert.deepStrictEqual([x.inputs.type, x.inputs.requestInterval, x.inputs.failureThreshold, x.inputs.measureLatency], ["HTTPS", 10, 3, true]);
                    assert.ok(new Set(x.inputs.regions).size >= 3);
                }
            }
        }
        assert.strictEqual(checks.length, 2 * prod.config.endpoints.hosts.length);
    });

    it("has a PRIMARY and a SECONDARY failover record per hostname, TTL 30 (never above 60)", () => {
        const records = of(prod, "aws:route53/record:Record").filter((r) => r.inputs.failoverRoutingPolicies);
        for (const h of prod.config.endpoints.hosts) {
            const mine = records.filter((r) => r.inputs.name === h.hostname);
            assert.deepStrictEqual(mine.map((r) => r.inputs.failoverRoutingPolicies[0].type).sort(), ["PRIMARY", "SECONDARY"]);
            assert.ok(mine.every((r) => r.inputs.ttl === 30 && r.inputs.ttl <= 60 && typeof r.inputs.healthCheckId === "string"));
        }
    });

    it("alarms on health (in us-east-1, Route 53's metric region), replication, backup age and Redis lag, all to an SNS topic", () => {
        const alarms = of(prod, "aws:cloudwatch/metricAlarm:MetricAlarm");
        const topics = of(prod, "aws:sns/topic:Topic");
        const health = alarms.filter((a) => a.inputs.metricName === "HealthCheckStatus");
        assert.strictEqual(health.length, 2 * prod.config.endpoints.hosts.length);
        assert.ok(health.every((a) => a.region === ROUTE53_METRICS_REGION));
        const dr = prod.config.regions.dr;
        for (const metric of ["ReplicationLatency", "NewestBackupAgeSeconds", "ReplicaLagSeconds"]) {
            const found = alarms.filter((a) => a.inputs.metricName === metric);
            assert.ok(found.length > 0, `no ${metric} alarm`);
            assert.ok(found.every((a) => a.region === dr), `${metric} alarms watch the primary from the DR region`);
        }
        assert.ok(alarms.some((a) => a.inputs.metricName === "OperationsFailedReplication"));
        const ages = alarms.filter((a) => a.inputs.metricName === "NewestBackupAgeSeconds").map((a) => `${a.inputs.dimensions.DataClass}/${a.inputs.dimensions.Tier}`);
        const expected = Object.entries(prod.config.tiers).flatMap(([dc, byTier]) => Object.keys(byTier).map((t) => `${dc}/${t}`));
        assert.deepStrictEqual(ages.sort(), expected.sort());
        const topicRegions = new Set(topics.map((t) => t.region));
        for (const a of alarms) {
            assert.ok(topicRegions.has(a.region), `alarm ${a.inputs.name} in ${a.region} has no topic in its region`);
            assert.match(a.inputs.alarmActions[0], new RegExp(`^arn:aws:sns:${a.region}:`));
        }
        const subs = of(prod, "aws:sns/topicSubscription:TopicSubscription");
        assert.deepStrictEqual(new Set(subs.map((s) => s.inputs.endpoint)), new Set(prod.config.alerts.subscribers.map((s) => s.endpoint)));
    });

    it("watches replication rules the storage step really declares (ids are a CloudWatch dimension)", () => {
        const rules = of(prod, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").flatMap((r) => r.inputs.rules.map((x: any) => x.id));
        for (const r of REPLICATION_RULES) assert.ok(rules.includes(r.ruleId), `${r.ruleId} is not a replication rule of the plan (${rules.join(", ")})`);
    });

    it("declares the platform's services at their configured replica counts", () => {
        const deployments = of(prod, "kubernetes:apps/v1:Deployment").filter((d) => d.inputs.metadata.labels?.["app.kubernetes.io/part-of"] === "pat-fortress");
        assert.deepStrictEqual(Object.fromEntries(deployments.map((d) => [d.inputs.metadata.name, d.inputs.spec.replicas])), Object.fromEntries(prod.config.services.map((s) => [s.name, s.replicas])));
    });

    it("every object of the platform's services validates against the Kubernetes and Istio schemas", async () => {
        // Other components' objects (Redis, Velero, ...) are checked by their own tests.
        const mine = k8sObjects(prod).filter((r) => r.component?.startsWith("fortress:workloads:"));
        assert.strictEqual(mine.length, 4 * prod.config.services.length);
        for (const r of mine) await validateK8sObject(r.inputs);
    });
});

describe("the prod-dr stack in every mode", () => {
    const results: Partial<Record<DrModeName, PlanResult>> = {};
    const existing: Partial<Record<DrModeName, PlanResult>> = {};
    const existingCluster = { "fortress-dr:kubernetes": JSON.stringify({ cluster: "existing", context: "pat-fortress-prod-usw2", namespace: "fortress" }) };

    before(async () => {
        const base = await evaluateStack("prod-dr");
        for (const v of modeVariants(base.config)) {
            results[v.name] = await evaluateStack("prod-dr", withDr(v.dr));
            existing[v.name] = await evaluateStack("prod-dr", withDr(v.dr, existingCluster));
        }
    });

    it("evaluates in all three modes with a created EKS cluster (node group, EBS CSI driver, snapshot controller)", () => {
        for (const mode of ["pilot-light", "rebuild", "promote"] as const) {
            const r = results[mode]!;
            assert.strictEqual(r.outputs.mode, mode);
            assert.strictEqual(of(r, "aws:eks/cluster:Cluster").length, 1);
            assert.strictEqual(of(r, "aws:eks/nodeGroup:NodeGroup").length, 1);
            assert.deepStrictEqual(of(r, "aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort(), ["aws-ebs-csi-driver", "snapshot-controller"]);
        }
    });

    it("evaluates in all three modes on an existing cluster, creating no EKS resources", () => {
        for (const mode of ["pilot-light", "rebuild", "promote"] as const) {
            const r = existing[mode]!;
            assert.strictEqual(r.outputs.mode, mode);
            assert.strictEqual(r.resources.filter((x) => x.type.startsWith("aws:eks/") || x.type.startsWith("aws:ec2/")).length, 0);
            const k8sProvider = r.resources.find((x) => x.type === "pulumi:providers:kubernetes")!;
            assert.strictEqual(k8sProvider.inputs.context, "pat-fortress-prod-usw2");
        }
    });

    it("scales the workloads for the mode: critical 1 and others 0 until promoted, then the full counts", () => {
        const replicas = (r: PlanResult) =>
            Object.fromEntries(
                of(r, "kubernetes:apps/v1:Deployment")
                    .filter((d) => d.inputs.metadata.labels?.["app.kubernetes.io/part-of"] === "pat-fortress")
                    .map((d) => [d.inputs.metadata.name, d.inputs.spec.replicas]),
            );
        assert.deepStrictEqual(replicas(results["pilot-light"]!), { api: 1, web: 1, worker: 0 });
        assert.deepStrictEqual(replicas(results.rebuild!), { api: 1, web: 1, worker: 0 });
        assert.deepStrictEqual(replicas(results.promote!), { api: 3, web: 3, worker: 2 });
    });

    it("plans the database per mode: streaming standby, restore from tier 2, promoted", () => {
        assert.deepStrictEqual(results["pilot-light"]!.outputs.plan, { ...(results["pilot-light"]!.outputs.plan as object), database: { standby: true, source: { kind: "stream", fallbackRepo: "repo2" } } });
        assert.deepStrictEqual((results.rebuild!.outputs.plan as any).database, { standby: true, source: { kind: "repo", tier: "tier2", repo: "repo2" } });
        assert.strictEqual((results.promote!.outputs.plan as any).database.standby, false);
        const pitr = modeVariants(results.rebuild!.config).find((v) => v.name === "rebuild")!.dr;
        return evaluateStack("prod-dr", withDr({ ...pitr, restoreFrom: "tier3", targetTime: "2026-11-20T10:00:00Z", promote: true })).then((r) => {
            assert.deepStrictEqual((r.outputs.plan as any).database, { standby: false, source: { kind: "repo", tier: "tier3", repo: "repo3", targetTime: "2026-11-20T10:00:00Z" } });
            assert.strictEqual((r.outputs.plan as any).redis.restoreFrom, "tier3");
        });
    });

    it("alarms on the standby's lag only while there is a standby, to the primary's DR-region topic", () => {
        const lag = (r: PlanResult) => of(r, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.metricName === "StandbyReplayLagSeconds");
        assert.strictEqual(lag(results["pilot-light"]!).length, 1);
        assert.match(lag(results["pilot-light"]!)[0].inputs.alarmActions[0], /^arn:aws:sns:us-west-2:/);
        assert.strictEqual(lag(results.promote!).length, 0);
    });

    it("exposes the DR endpoint the SECONDARY records point to: each drTarget is a CNAME to the ingress load balancer", () => {
        for (const r of Object.values(results)) {
            const recs = of(r!, "aws:route53/record:Record").filter((x) => r!.config.endpoints.hosts.some((h) => h.drTarget === x.inputs.name));
            assert.strictEqual(recs.length, r!.config.endpoints.hosts.length);
            assert.ok(recs.every((x) => x.inputs.type === "CNAME" && /\.elb\.amazonaws\.com$/.test(x.inputs.records[0]) && x.inputs.ttl <= 60));
            const svc = of(r!, "kubernetes:core/v1:Service").find((s) => s.inputs.spec.type === "LoadBalancer")!;
            assert.match(svc.inputs.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"], /^arn:aws:acm:us-west-2:/);
        }
    });

    it("names the steps still waiting for other components instead of skipping them silently", () => {
        const steps = results["pilot-light"]!.outputs.steps as Record<string, { status: string; detail: string }>;
        assert.deepStrictEqual(Object.keys(steps), ["cluster", "mesh", "operators", "database", "redis", "erasure-replay", "workloads", "endpoint", "monitoring"]);
        for (const name of ["cluster", "mesh", "workloads", "endpoint", "monitoring"]) assert.strictEqual(steps[name].status, "declared", name);
        for (const [name, s] of Object.entries(steps)) if (s.status === "pending") assert.match(s.detail, /issue [56]/, name);
    });

    it("every Kubernetes object of every mode validates against the Kubernetes and Istio schemas", async () => {
        for (const r of [...Object.values(results), ...Object.values(existing)]) {
            for (const o of k8sObjects(r!)) {
                // The PerconaPGCluster against the operator's CRD; Secrets with their secret values unwrapped.
                if (o.type.startsWith("kubernetes:pgv2.percona.com/")) validateCustomResource(o, perconaCrds);
                else if (o.type.startsWith("kubernetes:velero.io/")) validateCustomResource(o, veleroCrds);
                else await validateK8sObject(unwrapSecrets(o.inputs));
            }
        }
    });
});

describe("contradictory DR settings fail before anything is declared, naming the keys", () => {
    it("promote on a rebuild without a database source", async () => {
        const problems = await problemsOf("prod-dr", { "fortress-dr:dr": JSON.stringify({ primaryStack: "pat-fortress/fortress-dr/prod", mode: "rebuild", promote: true }) });
        assert.strictEqual(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^fortress-dr:dr\.promote: .*dr\.restoreFrom is "stream".*set dr\.restoreFrom to "tier2" or "tier3"/);
    });

    it("a point-in-time target or a tier source in pilot-light", async () => {
        const problems = await problemsOf("prod-dr", { "fortress-dr:dr": JSON.stringify({ primaryStack: "pat-fortress/fortress-dr/prod", mode: "pilot-light", restoreFrom: "tier3", targetTime: "2026-11-20T10:00:00Z" }) });
        assert.ok(problems.some((p) => p.startsWith("fortress-dr:dr.restoreFrom:")), problems.join("\n"));
        assert.ok(problems.some((p) => p.startsWith("fortress-dr:dr.targetTime:")), problems.join("\n"));
    });

    it("an EKS cluster given a context, and node-group sizes out of order", async () => {
        const problems = await problemsOf("prod-dr", { "fortress-dr:kubernetes": JSON.stringify({ cluster: "eks", context: "x", eks: { minSize: 4, desiredSize: 3, maxSize: 6 } }) });
        assert.ok(problems.some((p) => /^fortress-dr:kubernetes\.context: is for an existing cluster/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /^fortress-dr:kubernetes\.eks\.desiredSize: 3 must lie between/.test(p)), problems.join("\n"));
    });

    it("a hostname no service routes", async () => {
        const problems = await problemsOf("prod", { "fortress-dr:services": JSON.stringify([{ name: "api", image: "x:1", hosts: ["api.patfortress.example"] }]) });
        assert.ok(problems.some((p) => /^fortress-dr:endpoints\.hosts\[0\]\.hostname: "app\.patfortress\.example" is routed by no service/.test(p)), problems.join("\n"));
    });

    it("a DR stack pointed at another environment's primary", async () => {
        await assert.rejects(
            evaluateStack("prod-dr", withDr({ primaryStack: "pat-fortress/fortress-dr/staging", mode: "pilot-light" })),
            /dr\.primaryStack: "pat-fortress\/fortress-dr\/staging" is a staging stack but this stack's environment is prod/,
        );
    });
});

describe("the staging-dr stack", () => {
    it("evaluates on its existing cluster", async () => {
        const r = await evaluateStack("staging-dr");
        assert.strictEqual(r.outputs.mode, "pilot-light");
        assert.strictEqual(of(r, "aws:eks/cluster:Cluster").length, 0);
        assert.strictEqual(of(r, "kubernetes:helm.sh/v3:Release").filter((x) => ["base", "istiod", "gateway"].includes(x.inputs.chart)).length, 0, "Istio is assumed installed on an existing cluster");
    });
});

describe("npm run plan for a DR stack", () => {
    it("prints what each of the three modes declares, and --mode picks the one shown in full", async () => {
        // The plan exits 1 when the policy pack has a mandatory finding; its output is complete either way.
        const { stdout } = await run("node", ["--require", "tsx/cjs", "tools/plan.ts", "prod-dr", "--mode=promote"], { maxBuffer: 64 * 1024 * 1024 }).catch((e: any) =>
            e.code === 1 && /^policy: mandatory violation of /m.test(e.stderr) ? e : Promise.reject(e),
        );
        // The modes table: one row per mode with its resource count; the mode shown in full is starred.
        for (const mode of ["pilot-light", "rebuild", "promote"]) assert.match(stdout, new RegExp(`\\n  ${mode}( \\*)? +\\d+ +`));
        assert.match(stdout, /\n {2}promote \* +\d+ /);
        assert.match(stdout, /Steps in promote \(\* the mode shown\)/);
        assert.match(stdout, /workloads\s+declared\s+api=3, web=3, worker=2/);
        await assert.rejects(run("node", ["--require", "tsx/cjs", "tools/plan.ts", "prod-dr", "--mode=failover"]), (e: any) => e.code === 2 && /--mode=failover: not a DR mode/.test(e.stderr));
    });
});

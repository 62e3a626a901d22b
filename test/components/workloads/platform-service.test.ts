import * as assert from "assert";
import { runUnderMocks } from "../../../tools/mock-runtime";
import { PlatformService, serviceManifests, ServiceSpec } from "../../../components/workloads";
import { validateK8sObject } from "./k8s-schema";

const spec: ServiceSpec = { name: "api", namespace: "fortress", image: "ghcr.io/pat-fortress/api:2.14.0", port: 8080, replicas: 3, healthPath: "/healthz" };

describe("PlatformService", () => {
    it("declares 10 s / 5 s probes: liveness restarts after 3 failures, readiness leaves traffic after 2 (25 s, within the 30 s detection objective)", () => {
        const d = serviceManifests(spec).deployment as any;
        const c = d.spec.template.spec.containers[0];
        for (const [probe, failures] of [[c.livenessProbe, 3], [c.readinessProbe, 2]]) {
            assert.deepStrictEqual(
                { period: probe.periodSeconds, timeout: probe.timeoutSeconds, failures: probe.failureThreshold, path: probe.httpGet.path },
                { period: 10, timeout: 5, failures, path: "/healthz" },
            );
        }
        assert.ok(c.readinessProbe.periodSeconds * c.readinessProbe.failureThreshold + c.readinessProbe.timeoutSeconds <= 30);
        assert.deepStrictEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
        assert.strictEqual(d.spec.replicas, 3);
    });

    it("uses a PDB of maxUnavailable 1, so a one-replica pilot light never blocks a node drain", () => {
        const pdb = serviceManifests({ ...spec, replicas: 1 }).podDisruptionBudget as any;
        assert.strictEqual(pdb.spec.maxUnavailable, 1);
        assert.strictEqual(pdb.spec.minAvailable, undefined);
    });

    it("declares an Istio DestinationRule whose outlier detection ejects failing pods", () => {
        const dr = serviceManifests(spec).destinationRule;
        assert.strictEqual(dr.apiVersion, "networking.istio.io/v1");
        assert.strictEqual(dr.spec.host, "api.fortress.svc.cluster.local");
        assert.deepStrictEqual(dr.spec.trafficPolicy.outlierDetection, { consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 50 });
    });

    it("every object validates against the Kubernetes and Istio schemas", async () => {
        for (const obj of Object.values(serviceManifests(spec))) await validateK8sObject(obj as Record<string, any>);
        for (const obj of Object.values(serviceManifests({ ...spec, replicas: 0 }))) await validateK8sObject(obj as Record<string, any>);
    });

    it("the schema check catches a wrong type and a misspelt field", async () => {
        const m = serviceManifests(spec);
        const badType = JSON.parse(JSON.stringify(m.destinationRule));
        badType.spec.trafficPolicy.outlierDetection.interval = 10;
        await assert.rejects(validateK8sObject(badType), /interval must be string/);
        const misspelt = JSON.parse(JSON.stringify(m.destinationRule));
        misspelt.spec.trafficPolicy.outlierDetection.consecutive5xxError = 5;
        await assert.rejects(validateK8sObject(misspelt), /fields unknown to the schema: spec\.trafficPolicy\.outlierDetection\.consecutive5xxError/);
        const probeTypo = JSON.parse(JSON.stringify(m.deployment));
        probeTypo.spec.template.spec.containers[0].livenessProbe.periodSecond = 10;
        await assert.rejects(validateK8sObject(probeTypo), /periodSecond/);
    });

    it("rejects bad arguments naming each field and its fix", () => {
        assert.throws(
            () => serviceManifests({ ...spec, name: "API_v2", replicas: -1, probes: { timeoutSeconds: 10, periodSeconds: 10 } }),
            (e: Error) =>
                /name: "API_v2" must be a DNS-1123 label/.test(e.message) &&
                /replicas: -1 must be a whole number ≥ 0/.test(e.message) &&
                /probes.timeoutSeconds: 10 must be shorter than probes.periodSeconds \(10\)/.test(e.message),
        );
    });

    it("registers its four children under the component, named from it", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new PlatformService("web", { namespace: "fortress", image: "ghcr.io/pat-fortress/web:1", replicas: 2 });
        });
        const parent = resources.find((r) => r.type === "fortress:workloads:PlatformService")!;
        const children = resources.filter((r) => r.parent === parent.urn);
        assert.deepStrictEqual(children.map((r) => r.type).sort(), [
            "kubernetes:apps/v1:Deployment",
            "kubernetes:core/v1:Service",
            "kubernetes:networking.istio.io/v1:DestinationRule",
            "kubernetes:policy/v1:PodDisruptionBudget",
        ]);
        assert.ok(children.every((r) => r.name.startsWith("web-")));
    });
});

import * as assert from "assert";
import { statefulResourcesProtected } from "../../../policies/rules/stateful-resources-protected";
import { workloadProbesAndPdb } from "../../../policies/rules/workload-probes-and-pdb";
import { check, compliantPrimary, violations } from "../fixtures";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

describe("policy stateful-resources-protected", () => {
    it("passes in prod when buckets, keys, the database and the Redis volumes are protected", async () => {
        assert.deepStrictEqual(violations(await check(statefulResourcesProtected, compliantPrimary().fixture.records)), []);
    });

    it("fails in prod for an unprotected bucket, key, database and StatefulSet with volumes", async () => {
        const { fixture } = compliantPrimary();
        fixture.setProtect("aws:s3/bucket:Bucket", "tier2", false);
        fixture.setProtect("aws:kms/key:Key", "backup-key", false);
        fixture.setProtect("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", false);
        fixture.setProtect("kubernetes:apps/v1:StatefulSet", "fortress-redis", false);
        assert.deepStrictEqual(violations(await check(statefulResourcesProtected, fixture.records)), [
            "Key backup-key holds data but is not protected; a destroy or replacement would delete it",
            "Bucket tier2 holds data but is not protected; a destroy or replacement would delete it",
            "StatefulSet fortress-redis holds data but is not protected; a destroy or replacement would delete it",
            "PerconaPGCluster fortress-pg holds data but is not protected; a destroy or replacement would delete it",
        ]);
    });

    it("is not applicable outside prod", async () => {
        const o = await check(statefulResourcesProtected, compliantPrimary("staging").fixture.records);
        assert.strictEqual(o.status, "not-applicable");
        assert.deepStrictEqual(o.notApplicable, ["environment staging: protection is required in prod only"]);
    });
});

describe("policy workload-probes-and-pdb", () => {
    it("passes: probes on every container, a PDB selecting each workload", async () => {
        assert.strictEqual((await check(workloadProbesAndPdb, compliantPrimary().fixture.records)).status, "pass");
    });

    it("fails: a container without a liveness probe", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(DEPLOYMENT, "api-deployment", (i) => delete i.spec.template.spec.containers[0].livenessProbe);
        assert.deepStrictEqual(violations(await check(workloadProbesAndPdb, fixture.records)), [
            "Deployment api-deployment container api: no livenessProbe; a hung process would keep receiving traffic or never restart",
        ]);
    });

    it("fails: no PDB, a PDB in another namespace, a PDB whose selector does not match", async () => {
        for (const change of [
            (f: ReturnType<typeof compliantPrimary>["fixture"]) => f.remove(PDB, "api-pdb"),
            (f: ReturnType<typeof compliantPrimary>["fixture"]) => f.edit(PDB, "api-pdb", (i) => (i.metadata.namespace = "other")),
            (f: ReturnType<typeof compliantPrimary>["fixture"]) => f.edit(PDB, "api-pdb", (i) => (i.spec.selector.matchLabels = { "app.kubernetes.io/name": "web" })),
        ]) {
            const { fixture } = compliantPrimary();
            change(fixture);
            assert.deepStrictEqual(violations(await check(workloadProbesAndPdb, fixture.records)), [
                'Deployment api-deployment: no PodDisruptionBudget in namespace fortress selects its pods ({"app.kubernetes.io/name":"api"}); a drain could evict every replica at once',
            ]);
        }
    });

    it("takes a workload's namespace from its provider when the object sets none", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(DEPLOYMENT, "api-deployment", (i) => delete i.metadata.namespace);
        assert.strictEqual((await check(workloadProbesAndPdb, fixture.records)).status, "pass");
    });
});

/**
 * The prod stack, mutated the ways the objectives exist to catch, fails the rule that names
 * the mistake — and the plan built on the same findings exits 1 naming that rule.
 *
 * A config mutation re-evaluates prod with the changed value; the three mutations no config
 * key can express (AWS has no two regions 10 km apart, archive_timeout is derived from the
 * RPO, writer policies are code) edit the evaluated resources, as a careless code change would.
 */
import * as assert from "assert";

import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { planFindings, renderFindings, PlanFindings } from "../../tools/plan-findings";
import { evaluateWith } from "../helpers/stacks";
import type { RecordedResource } from "../../components/core/recorded-resource";

let prod: PlanResult;
let baseline: PlanFindings;

function mutated(change: (resources: RecordedResource[]) => RecordedResource[]): PlanResult {
    return { ...prod, resources: change(prod.resources.map((r) => ({ ...r, inputs: JSON.parse(JSON.stringify(r.inputs)) }))) as PlanResult["resources"] };
}

function messagesOf(pf: PlanFindings, rule: string): string[] {
    return pf.findings.filter((f) => f.policy === rule && f.enforcementLevel === "mandatory").map((f) => f.message);
}

function assertPlanFails(pf: PlanFindings, rule: string) {
    assert.strictEqual(pf.exitCode, 1);
    assert.ok(pf.mandatoryViolations.includes(rule), `${rule} not among ${pf.mandatoryViolations.join(", ")}`);
    assert.match(renderFindings(pf), new RegExp(`rule\\(s\\) with a mandatory violation: .*${rule}`));
}

describe("mutated prod fails with the right rule and message", function () {
    this.timeout(120_000);

    before(async () => {
        prod = await evaluateStack("prod");
        baseline = await planFindings(prod);
    });

    it("a 30 s health-check interval: route53-health-check-fast, and S3 detection over its objective", async () => {
        assert.deepStrictEqual(messagesOf(baseline, "route53-health-check-fast"), []);
        const pf = await planFindings(await evaluateWith("prod", [{ key: "endpoints", path: ["healthCheck", "intervalSeconds"], value: 30 }]));
        assertPlanFails(pf, "route53-health-check-fast");
        const hc = messagesOf(pf, "route53-health-check-fast");
        assert.ok(hc.length > 0 && hc.every((m) => /requestInterval 30 s; use 10 s \(detection is interval x threshold = 90 s\)$/.test(m)), hc.join("\n"));
        const objectives = messagesOf(pf, "objectives-within-budget");
        assert.ok(objectives.some((m) => /^S3 complete infrastructure failure \/ services \/ detection \[S3\.services\.detect\]: 108 s via Route 53 health check .* is not under the objective < 60 s$/.test(m)), objectives.join("\n"));
        assert.ok(!messagesOf(baseline, "objectives-within-budget").some((m) => /S3 complete infrastructure failure \/ services \/ detection/.test(m)));
    });

    it("tier 2 in a place 10 km away (and in the primary region itself): tier2-geo-separation", async () => {
        assert.deepStrictEqual(messagesOf(baseline, "tier2-geo-separation"), []);
        const near = mutated((rs) => {
            const provider = { ...rs.find((r) => r.type === "pulumi:providers:aws")!, name: "aws-ashburn-colo-2", urn: "urn:pulumi:prod::fortress-dr::pulumi:providers:aws::aws-ashburn-colo-2", inputs: { region: "ashburn-colo-2" } };
            return [provider, ...rs.map((r) => (r.type === "aws:s3/bucket:Bucket" && r.inputs.tags?.["fortress:tier"] === "tier2" ? { ...r, provider: provider.urn } : r))];
        });
        // No two AWS regions are 10 km apart, so the place's coordinates come from the policy config.
        const pf = await planFindings(near, { policyConfig: { "tier2-geo-separation": { extraLocations: { "ashburn-colo-2": { lat: 39.13, lon: -77.49, source: "test site" } } } } });
        assertPlanFails(pf, "tier2-geo-separation");
        assert.deepStrictEqual(messagesOf(pf, "tier2-geo-separation"), [
            "Bucket tier2 is in ashburn-colo-2, 10 km from the primary (us-east-1); tier 2 must be at least 80 km away to survive a regional disaster",
        ]);
        const same = mutated((rs) => {
            const primary = rs.find((r) => r.type === "pulumi:providers:aws" && r.inputs.region === "us-east-1")!;
            return rs.map((r) => (r.type === "aws:s3/bucket:Bucket" && r.inputs.tags?.["fortress:tier"] === "tier2" ? { ...r, provider: primary.urn } : r));
        });
        const pf0 = await planFindings(same);
        assertPlanFails(pf0, "tier2-geo-separation");
        assert.deepStrictEqual(messagesOf(pf0, "tier2-geo-separation"), ["Bucket tier2 is in us-east-1, 0 km from the primary (us-east-1); tier 2 must be at least 80 km away to survive a regional disaster"]);
    });

    it("a five-minute archive_timeout: backup-schedule-meets-rpo, and the database RPO over its objective", async function () {
        const pgs = prod.resources.filter((r) => r.type === "kubernetes:pgv2.percona.com/v2:PerconaPGCluster" && r.inputs.spec?.standby?.enabled !== true);
        assert.strictEqual(pgs.length, 1, "prod declares its PostgreSQL cluster");
        assert.deepStrictEqual(messagesOf(baseline, "backup-schedule-meets-rpo"), []);
        const pf = await planFindings(
            mutated((rs) =>
                rs.map((r) => {
                    if (r.urn !== pgs[0].urn) return r;
                    r.inputs.spec.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout = "5min";
                    return r;
                }),
            ),
        );
        assertPlanFails(pf, "backup-schedule-meets-rpo");
        assert.deepStrictEqual(messagesOf(pf, "backup-schedule-meets-rpo"), [
            `PerconaPGCluster ${pgs[0].inputs.metadata.name}: archive_timeout 5min lets up to 300 s of committed WAL wait unarchived; the 60 s database RPO needs at most 30s (50% of the RPO; the rest is the archiver's delivery budget)`,
        ]);
        const objectives = messagesOf(pf, "objectives-within-budget");
        assert.ok(objectives.some((m) => /^S3 complete infrastructure failure \/ database \/ RPO \[S3\.database\.rpo\]: 3\d\d(\.\d)? s via WAL archived to .*\[archive_timeout 5min = 300 s/.test(m)), objectives.join("\n"));
    });

    it("a writer role allowed s3:DeleteObjectVersion: backup-writer-cannot-destroy", async () => {
        assert.deepStrictEqual(messagesOf(baseline, "backup-writer-cannot-destroy"), []);
        let target = "";
        const pf = await planFindings(
            mutated((rs) =>
                rs.map((r) => {
                    if (target || r.type !== "aws:iam/rolePolicy:RolePolicy" || !/tier1-writer/.test(r.name)) return r;
                    const doc = JSON.parse(r.inputs.policy);
                    doc.Statement.find((s: any) => s.Sid === "WriteBackups").Action.push("s3:DeleteObjectVersion");
                    r.inputs.policy = JSON.stringify(doc);
                    target = r.name;
                    return r;
                }),
            ),
        );
        assert.ok(target, "prod declares a tier-1 writer role policy");
        assertPlanFails(pf, "backup-writer-cannot-destroy");
        assert.deepStrictEqual(messagesOf(pf, "backup-writer-cannot-destroy"), [
            `RolePolicy ${target} writes backups and allows s3:DeleteObjectVersion (statement WriteBackups); a backup writer must not destroy versions or change what keeps them`,
        ]);
    });
});

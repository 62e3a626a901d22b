import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, runPlan } from "../helpers/plan-cli";


const plan = runPlan;

/**
 * The plan exits 1 exactly when the policy pack reports a mandatory violation (its own tests:
 * test/tools/plan-findings.test.ts); anything else that is not 0 is a failure of the plan.
 */
function assertPlanRan(r: { code: number | null; stderr: string }) {
    assert.strictEqual(r.code, /^policy: mandatory violation of /m.test(r.stderr) ? 1 : 0, r.stderr);
}

/** A scratch stacks directory holding prod's file with an edit applied to its text. */
function scratchStacks(edit: (text: string) => string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-stacks-"));
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), edit(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8")));
    return dir;
}

describe("npm run plan", () => {
    it("prints the readable summary: resources by location, tiers, schedules; --details each component's resources", () => {
        const r = plan(["prod"]);
        assertPlanRan(r);
        assert.match(r.stdout, /^ {2}us-east-1 +primary +\d+ +storage \d+/m);
        assert.match(r.stdout, /^ {2}us-west-2 +DR \/ tier 2 +\d+ /m);
        assert.match(r.stdout, /^ {2}us-east-2 +tier 3 +\d+ /m);
        assert.match(r.stdout, /tier3\s+us-east-2\s+pat-fortress-prod-tier3-us-east-2\s+SSE-KMS .*COMPLIANCE 365d/);
        assert.match(r.stdout, /redis\s+tier1\s+snapshot "\*\/4 \* \* \* \*"\s+4m\s+1d/);
        const details = plan(["prod", "--details"]);
        assertPlanRan(details);
        assert.match(details.stdout, /^ {2}us-east-1 \(primary\): \d+$/m);
        assert.match(details.stdout, /^ {4}fortress:storage:TierBucket tier1: +Bucket, BucketOwnershipControls, /m);
    });

    it("--json prints one document with resources {type, name, parent, region, inputs} and the resolved config", () => {
        const r = plan(["prod", "--json"]);
        assertPlanRan(r);
        const doc = JSON.parse(r.stdout);
        assert.strictEqual(doc.stack, "prod");
        assert.strictEqual(doc.config.environment, "prod");
        const bucket = doc.resources.find((x: any) => x.type === "aws:s3/bucket:Bucket" && x.name === "tier2");
        assert.deepStrictEqual(Object.keys(bucket).slice(0, 5), ["type", "name", "parent", "region", "urn"]);
        assert.strictEqual(bucket.parent, "tier2");
        assert.strictEqual(bucket.region, "us-west-2");
        assert.strictEqual(bucket.inputs.bucket, "pat-fortress-prod-tier2-us-west-2");
    });

    it("never decrypts or prints a secure: value", () => {
        const dir = scratchStacks((t) => t.replace("config:\n", "config:\n  fortress-dr:kubeconfig:\n    secure: v1:Q0lQSEVSVEVYVC1ORVZFUi1QUklOVA==\n"));
        const text = plan(["prod"], dir);
        const json = plan(["prod", "--json"], dir);
        assertPlanRan(text);
        assertPlanRan(json);
        for (const out of [text.stdout + text.stderr, json.stdout + json.stderr]) assert.ok(!out.includes("Q0lQSEVSVEVYVC1ORVZFUi1QUklOVA"), "ciphertext leaked");
        // The resolved config records that a kubeconfig is set, never its value.
        const doc = JSON.parse(json.stdout);
        assert.strictEqual(doc.config.hasKubeconfig, true);
        // Outputs exported as secrets (the backup passphrases the DR stack reads) stay masked.
        const passphrases = doc.outputs.backupPassphrases as Record<string, unknown>;
        assert.ok(Object.keys(passphrases).length > 0);
        for (const [name, value] of Object.entries(passphrases)) assert.strictEqual(value, "[secret]", `output backupPassphrases.${name}`);
    });

    it("exits 1 with only the validation errors for a mistyped region and cron", () => {
        const dir = scratchStacks((t) => t.replace("dr: us-west-2", "dr: us-wets-2").replace("config:\n", 'config:\n  fortress-dr:tiers:\n    redis:\n      tier1: { snapshot: "*/5 * * *", retentionDays: 1 }\n'));
        const r = plan(["prod"], dir);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stdout, "", "nothing but the errors");
        assert.match(r.stderr, /Pulumi\.prod\.yaml: invalid stack configuration \(2 problems\)/);
        assert.match(r.stderr, /fortress-dr:regions\.dr: "us-wets-2" is not a known AWS region; use one of/);
        assert.match(r.stderr, /fortress-dr:tiers\.redis\.tier1\.snapshot: cron "\*\/5 \* \* \*": expected 5 fields/);
    });

    it("exits 2 with usage for bad arguments, and 1 naming the stacks for an unknown stack", () => {
        assert.strictEqual(plan([]).code, 2);
        const flag = plan(["prod", "--yaml"]);
        assert.strictEqual(flag.code, 2);
        assert.match(flag.stderr, /unknown option --yaml/);
        const missing = plan(["prdo"]);
        assert.strictEqual(missing.code, 1);
        assert.match(missing.stderr, /no stack "prdo".*stacks are dev, prod, prod-dr, staging, staging-dr/);
    });
});

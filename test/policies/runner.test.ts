/**
 * The engine-less runner behaves like @pulumi/policy's analyzer server for everything the
 * rules rely on: enforcement levels, type filtering, notApplicable, preview-time unknowns,
 * resource links in stack policies, and the message format.
 */
import * as assert from "assert";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { resourceRule, stackRule, validateTyped } from "../../policies/lib/rule";
import { mandatoryFindings, runRules } from "../../policies/runner";
import { StackFixture } from "./fixtures";

const meta = { severity: "low" as const, compliance: [], remediationSteps: "-" };

const noPublicBucket = resourceRule({
    ...meta,
    name: "test-no-public-acl",
    description: "Buckets are not public.",
    enforcementLevel: "mandatory",
    validateResource: validateTyped<{ acl?: string }>("aws:s3/bucket:Bucket", (b, args, report) => {
        if (b.acl === "public-read") report(`bucket ${args.name} is public`);
    }),
});

function twoBuckets() {
    const f = new StackFixture();
    const p = f.provider("eu-west-1");
    f.add("aws:s3/bucket:Bucket", "open", { bucket: "open", acl: "public-read" }, { provider: p, protect: true });
    f.add("aws:s3/bucket:Bucket", "closed", { bucket: "closed" }, { provider: p });
    f.add("aws:kms/key:Key", "key", {});
    return f;
}

describe("policy runner (engine semantics without the engine)", () => {
    it("reports a violation as the engine does: description, newline, message; the resource named", async () => {
        const [o] = await runRules([noPublicBucket], twoBuckets().records);
        assert.strictEqual(o.status, "fail");
        assert.strictEqual(o.findings.length, 1);
        const f = o.findings[0];
        assert.strictEqual(f.engineMessage, "Buckets are not public.\nbucket open is public");
        assert.strictEqual(f.resource, "Bucket open");
        assert.strictEqual(f.urn, "urn:pulumi:test::fortress-dr::aws:s3/bucket:Bucket::open");
        assert.deepStrictEqual(mandatoryFindings([o]).map((x) => x.policy), ["test-no-public-acl"]);
    });

    it("applies the enforcement level: config over policy over pack; disabled skips; remediate reports as mandatory", async () => {
        const records = twoBuckets().records;
        const [advisory] = await runRules([noPublicBucket], records, { policyConfig: { "test-no-public-acl": { enforcementLevel: "advisory" } } });
        assert.deepStrictEqual([advisory.status, advisory.findings[0].enforcementLevel], ["warn", "advisory"]);
        const [disabled] = await runRules([noPublicBucket], records, { policyConfig: { "test-no-public-acl": { enforcementLevel: "disabled" } } });
        assert.deepStrictEqual([disabled.status, disabled.findings.length], ["disabled", 0]);
        const [remediate] = await runRules([{ ...noPublicBucket, enforcementLevel: "remediate" }], records);
        assert.strictEqual(remediate.findings[0].enforcementLevel, "mandatory");
        const { enforcementLevel: _omit, ...levelless } = noPublicBucket;
        const [packDefault] = await runRules([levelless as typeof noPublicBucket], records);
        assert.strictEqual(packDefault.enforcementLevel, "advisory", "@pulumi/policy's default pack level");
    });

    it("skips other types by the validation's __pulumiType, and is not applicable when nothing matches", async () => {
        const seen: string[] = [];
        const spy = resourceRule({
            ...meta,
            name: "spy",
            description: "d",
            enforcementLevel: "advisory",
            validateResource: validateTyped("aws:kms/key:Key", (_p, args) => void seen.push(args.name)),
        });
        await runRules([spy], twoBuckets().records);
        assert.deepStrictEqual(seen, ["key"]);
        const [o] = await runRules([spy], twoBuckets().remove("aws:kms/key:Key").records);
        assert.strictEqual(o.status, "not-applicable");
    });

    it("records notApplicable reasons instead of reporting them", async () => {
        const rule = stackRule({ ...meta, name: "na", description: "d", enforcementLevel: "mandatory", validateStack: (args) => args.notApplicable("nothing to check") });
        const [o] = await runRules([rule], []);
        assert.deepStrictEqual([o.status, o.notApplicable, o.findings.length], ["not-applicable", ["nothing to check"], 0]);
    });

    it("turns a preview-time unknown into the engine's advisory, whatever the rule's level", async () => {
        const { unknownStringValue } = require("@pulumi/policy/proxy");
        const f = twoBuckets();
        f.add("aws:s3/bucket:Bucket", "pending", { bucket: "pending", acl: unknownStringValue });
        const [o] = await runRules([noPublicBucket], f.records);
        const unknown = o.findings.find((x) => x.kind === "preview-unknown")!;
        assert.strictEqual(unknown.enforcementLevel, "advisory");
        assert.strictEqual(unknown.message, "can't run policy 'test-no-public-acl' during preview: string value at .acl can't be known during preview");
        assert.strictEqual(o.status, "fail", "the known public bucket still fails");
    });

    it("gives stack policies linked resources: parent, provider with its props, dependencies, property dependencies, protect", async () => {
        const f = new StackFixture();
        const p = f.provider("us-west-2");
        const parent = f.add("fortress:storage:TierBucket", "tier2", {});
        const b = f.add("aws:s3/bucket:Bucket", "tier2", { bucket: "b" }, { parent, provider: p, protect: true });
        f.add("aws:s3/bucketVersioning:BucketVersioning", "v", { bucket: "b" }, { deps: { bucket: [b] } });
        let checked = false;
        const rule = stackRule({
            ...meta,
            name: "links",
            description: "d",
            enforcementLevel: "mandatory",
            validateStack: (args) => {
                const bucket = args.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
                const v = args.resources.find((r) => r.name === "v")!;
                assert.strictEqual(bucket.parent?.type, "fortress:storage:TierBucket");
                assert.strictEqual(bucket.provider?.props.region, "us-west-2");
                assert.strictEqual(bucket.opts.protect, true);
                assert.strictEqual(v.propertyDependencies.bucket[0], bucket);
                assert.strictEqual(v.dependencies[0], bucket);
                checked = true;
            },
        });
        const [o] = await runRules([rule], f.records);
        assert.ok(checked);
        assert.strictEqual(o.status, "pass");
    });

    it("implements isType/asType against the SDK classes' __pulumiType", async () => {
        const aws = await import("@pulumi/aws");
        const calls: [boolean, unknown][] = [];
        const rule = resourceRule({
            ...meta,
            name: "types",
            description: "d",
            enforcementLevel: "advisory",
            validateResource: (args: ResourceValidationArgs) => void calls.push([args.isType(aws.s3.Bucket), args.asType(aws.s3.Bucket)?.bucket]),
        });
        await runRules([rule], twoBuckets().records);
        assert.deepStrictEqual(calls.filter(([is]) => is).map(([, bucket]) => bucket), ["open", "closed"]);
        assert.strictEqual(calls.filter(([is]) => !is).length, 2, "the provider and the key");
    });

    it("fails loudly, naming the policy, when a rule throws", async () => {
        const rule = stackRule({ ...meta, name: "broken", description: "d", enforcementLevel: "mandatory", validateStack: () => { throw new Error("boom"); } });
        await assert.rejects(runRules([rule], []), /Error validating the stack with policy 'broken': boom/);
    });
});

import * as assert from "assert";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { listStacks } from "../../config";
import { MANIFEST_KEY } from "../../components/core/names";
import { ofType, one } from "../helpers/pulumi";

describe("primary stacks", () => {
    const results: Record<string, PlanResult> = {};
    before(async () => {
        for (const stack of ["dev", "staging", "prod"]) results[stack] = await evaluateStack(stack);
    });

    it("has a config file for every stack the architecture names", () => {
        assert.deepStrictEqual(listStacks(), ["dev", "prod", "prod-dr", "staging", "staging-dr"]);
    });

    it("prod puts a hardened bucket in each of three regions, one per tier", () => {
        const rs = results.prod.resources;
        const tierBuckets = ofType(rs, "aws:s3/bucket:Bucket").filter((b) => /^tier[123]$/.test(b.name));
        assert.deepStrictEqual(
            tierBuckets.map((b) => `${b.name}@${b.region}`).sort(),
            ["tier1@us-east-1", "tier2@us-west-2", "tier3@us-east-2"],
        );
        for (const b of ofType(rs, "aws:s3/bucket:Bucket")) {
            for (const [type, suffix] of [
                ["aws:s3/bucketVersioning:BucketVersioning", "versioning"],
                ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse"],
                ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access"],
                ["aws:s3/bucketPolicy:BucketPolicy", "policy"],
                ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle"],
            ]) {
                const child = one(rs, type, `${b.name}-${suffix}`);
                assert.strictEqual(child.region, b.region, `${child.name} in the bucket's region`);
            }
            assert.strictEqual(b.protect, true, `${b.name} protected in prod`);
        }
        for (const t of ["tier1", "tier2", "tier3"]) {
            const sse = one(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", `${t}-sse`).inputs.rules[0];
            assert.strictEqual(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
            assert.match(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, new RegExp(`^arn:aws:kms:${one(rs, "aws:s3/bucket:Bucket", t).region}:`), `${t} uses its region's key`);
        }
    });

    it("prod encrypts with one multi-Region key replicated to the DR and tier-3 regions", () => {
        const rs = results.prod.resources;
        assert.strictEqual(one(rs, "aws:kms/key:Key", "backup-key").inputs.multiRegion, true);
        assert.deepStrictEqual(ofType(rs, "aws:kms/replicaKey:ReplicaKey", /^backup-key-/).map((r) => r.region).sort(), ["us-east-2", "us-west-2"]);
    });

    it("prod locks tier 3 in COMPLIANCE mode and replicates tier 1 with RTC", () => {
        const rs = results.prod.resources;
        const lock = one(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "tier3-object-lock");
        assert.strictEqual(lock.region, "us-east-2");
        assert.deepStrictEqual(lock.inputs.rule.defaultRetention, { mode: "COMPLIANCE", days: 365 });
        const replication = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "tier1-replication-config");
        assert.ok(replication.inputs.rules.every((r: any) => r.destination.replicationTime.status === "Enabled"));
        assert.deepStrictEqual(
            replication.inputs.rules.map((r: any) => r.destination.bucket),
            ["arn:aws:s3:::pat-fortress-prod-tier2-us-west-2", "arn:aws:s3:::pat-fortress-prod-tier3-us-east-2"],
        );
    });

    it("prod copies tier 3 to a locked GCS bucket with a daily Storage Transfer job", () => {
        const rs = results.prod.resources;
        const gcs = one(rs, "gcp:storage/bucket:Bucket");
        assert.strictEqual(gcs.inputs.retentionPolicy.isLocked, true);
        assert.strictEqual(gcs.region, "US");
        const job = one(rs, "gcp:storage/transferJob:TransferJob");
        assert.strictEqual(job.inputs.transferSpec.awsS3DataSource.bucketName, "pat-fortress-prod-tier3-us-east-2");
        assert.strictEqual(job.inputs.schedule.repeatInterval, "86400s");
    });

    it("derives each bucket's lifecycle from the tiers config (no second copy of the numbers)", () => {
        const { config, resources } = results.prod;
        const rules = one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "tier2-lifecycle").inputs.rules;
        const db = rules.find((r: any) => r.filter.prefix === "tier2/database/");
        // 30 days retention + 1 day (the 4-hourly full rounds up) + 1 day margin.
        assert.strictEqual(config.tiers.database.tier2.retentionDays, 30);
        assert.strictEqual(db.expiration.days, 32);
        // dev shortens retention in its stack file and the lifecycle follows.
        const devRules = one(results.dev.resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "tier2-lifecycle").inputs.rules;
        assert.strictEqual(devRules.find((r: any) => r.filter.prefix === "tier2/database/").expiration.days, 3 + 1 + 1);
    });

    it("writes the resolved config as the DR manifest into tier 1", () => {
        const manifest = ofType(results.prod.resources, "aws:s3/bucketObjectv2:BucketObjectv2").find((o) => o.inputs.key === MANIFEST_KEY)!;
        const doc = JSON.parse(manifest.inputs.content);
        assert.strictEqual(doc.environment, "prod");
        assert.deepStrictEqual(doc.objectives, results.prod.config.objectives);
        assert.deepStrictEqual(doc.tiers, results.prod.config.tiers);
    });

    it("dev and staging are not protected; dev uses GOVERNANCE locks", () => {
        for (const stack of ["dev", "staging"]) {
            assert.ok(ofType(results[stack].resources, "aws:s3/bucket:Bucket").every((b) => !b.protect), `${stack} buckets unprotected`);
        }
        assert.strictEqual(one(results.dev.resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "tier3-object-lock").inputs.rule.defaultRetention.mode, "GOVERNANCE");
    });

    it("every resource name is unique per type and every child name starts with its parent's", () => {
        for (const [stack, { resources }] of Object.entries(results)) {
            const keys = resources.map((r) => `${r.type}::${r.name}`);
            assert.strictEqual(new Set(keys).size, keys.length, `${stack}: duplicate resource names`);
            const byUrn = new Map(resources.map((r) => [r.urn, r]));
            for (const r of resources) {
                if (!r.parentName || r.type.startsWith("pulumi:")) continue;
                // An IrsaRole's role and policy keep the names they had before the component existed
                // (they are aliased to their old parent), so they are named after the IrsaRole's parent.
                const parent = r.parent ? byUrn.get(r.parent) : undefined;
                const stem = parent?.type === "fortress:core:IrsaRole" && parent.parentName ? parent.parentName : r.parentName;
                assert.ok(r.name.startsWith(stem), `${stack}: ${r.type} ${r.name} is not named after its parent ${stem}`);
            }
        }
    });
});

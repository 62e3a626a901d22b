import * as assert from "assert";
import { gcsRetentionLocked } from "../../../policies/rules/gcs-retention-locked";
import { lifecycleMatchesTierRetention } from "../../../policies/rules/lifecycle-matches-tier-retention";
import { tier3ObjectLockCompliance } from "../../../policies/rules/tier3-object-lock-compliance";
import { check, compliantPrimary, violations } from "../fixtures";

const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";
const LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";
const MANIFEST = "aws:s3/bucketObjectv2:BucketObjectv2";

describe("policy lifecycle-matches-tier-retention", () => {
    it("passes: every tier's rules match the default tiers (numbers written by hand in the fixture)", async () => {
        assert.deepStrictEqual(violations(await check(lifecycleMatchesTierRetention, compliantPrimary().fixture.records)), []);
    });

    it("fails: a rule that expires before the engine is done, one that keeps too long, one that never expires", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(LIFECYCLE, "tier2-lifecycle", (i) => {
            i.rules[0].expiration.days = 30; // database tier 2: retention 30 + 1 day interval -> horizon 31
            i.rules[1].expiration.days = 90; // redis tier 2: at most 32
            delete i.rules[2].expiration; // configuration tier 2
        });
        assert.deepStrictEqual(violations(await check(lifecycleMatchesTierRetention, fixture.records)), [
            "Bucket tier2 rule retain-tier2-database (tier2/database/): expires current versions after 30 days, before the backup engine is done with them (retention 30 days + one full-backup interval = 31 days); a restore point inside the retention would lose its base backup",
            "Bucket tier2 rule retain-tier2-redis (tier2/redis/): keeps current versions 90 days, longer than the 30-day retention needs (32)",
            "Bucket tier2 rule retain-tier2-configuration (tier2/configuration/): current versions never expire, but tiers.configuration.tier2.retentionDays is 30; expire them after 32 days",
        ]);
    });

    it("fails: noncurrent versions kept forever, or under the 7-day undo window", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(LIFECYCLE, "tier3-lifecycle", (i) => {
            delete i.rules[0].noncurrentVersionExpiration;
            i.rules[1].noncurrentVersionExpiration.noncurrentDays = 3;
        });
        const v = violations(await check(lifecycleMatchesTierRetention, fixture.records));
        assert.deepStrictEqual(v, [
            "Bucket tier3 rule retain-tier3-database (tier3/database/): noncurrent versions never expire; keep them 365 days",
            "Bucket tier3 rule retain-tier3-redis (tier3/redis/): noncurrent versions expire after 3 days, under the 7-day undo window against a bad delete",
        ]);
    });

    it("fails: a data class of the tier with no rule, and access logs kept less than the compliance retention", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(LIFECYCLE, "tier3-lifecycle", (i) => i.rules.splice(3, 1));
        fixture.edit(LIFECYCLE, "access-logs-lifecycle", (i) => (i.rules[0].expiration.days = 365));
        assert.deepStrictEqual(violations(await check(lifecycleMatchesTierRetention, fixture.records)), [
            "Bucket access-logs: access logs expire after 365 days; storage.complianceRetentionDays asks for 2557",
            "Bucket tier3: no enabled lifecycle rule for tier3/secrets/, so tiers.secrets.tier3.retentionDays (365) is not enforced",
        ]);
    });

    it("fails: the GCS copy's retention shorter than tier 3, or never deleting", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("gcp:storage/bucket:Bucket", "gcs-tier3", (i) => {
            i.retentionPolicy.retentionPeriod = String(30 * 86_400);
            i.lifecycleRules = i.lifecycleRules.filter((r: any) => r.action.type !== "Delete");
        });
        assert.deepStrictEqual(violations(await check(lifecycleMatchesTierRetention, fixture.records)), [
            "Bucket gcs-tier3: retentionPolicy.retentionPeriod 2592000 s is shorter than tier 3's 365 days (31536000 s)",
            "Bucket gcs-tier3: no Delete lifecycle rule; copies would be kept forever after the 365-day retention",
        ]);
    });

    it("fails naming the missing manifest, since the tiers come from it", async () => {
        const { fixture } = compliantPrimary();
        fixture.remove(MANIFEST);
        const [m] = violations(await check(lifecycleMatchesTierRetention, fixture.records));
        assert.match(m, /^cannot check retention: no DR manifest \(the stack declares no aws:s3\/bucketObjectv2:BucketObjectv2 with key "tier1\/configuration\/fortress-manifest.json"/);
    });
});

describe("policy tier3-object-lock-compliance", () => {
    it("passes: COMPLIANCE in prod, GOVERNANCE accepted in dev", async () => {
        assert.strictEqual((await check(tier3ObjectLockCompliance, compliantPrimary("prod").fixture.records)).status, "pass");
        assert.strictEqual((await check(tier3ObjectLockCompliance, compliantPrimary("dev").fixture.records)).status, "pass");
    });

    it("fails: GOVERNANCE in prod and in staging", async () => {
        for (const env of ["prod", "staging"] as const) {
            const { fixture } = compliantPrimary(env);
            fixture.edit(LOCK, "tier3-object-lock", (i) => (i.rule.defaultRetention.mode = "GOVERNANCE"));
            assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), [
                `Bucket tier3: default retention mode is GOVERNANCE; ${env} requires COMPLIANCE (GOVERNANCE can be bypassed by a privileged user)`,
            ]);
        }
    });

    it("fails: no Object Lock on the bucket, no default retention, a shorter retention than configured", async () => {
        let { fixture } = compliantPrimary();
        fixture.edit("aws:s3/bucket:Bucket", "tier3", (i) => (i.objectLockEnabled = false));
        assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), ["Bucket tier3: objectLockEnabled is not true; Object Lock can only be turned on when the bucket is created"]);
        ({ fixture } = compliantPrimary());
        fixture.remove(LOCK);
        assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), ["Bucket tier3: no BucketObjectLockConfiguration with a default retention; objects would be stored unlocked"]);
        ({ fixture } = compliantPrimary());
        fixture.edit(LOCK, "tier3-object-lock", (i) => (i.rule.defaultRetention.days = 30));
        assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), ["Bucket tier3: default retention 30 days is shorter than storage.tier3.objectLock.days (365)"]);
    });

    it("fails: no tier-3 bucket at all; without a manifest it assumes prod", async () => {
        let { fixture } = compliantPrimary();
        fixture.edit("aws:s3/bucket:Bucket", "tier3", (i) => (i.tags = {}));
        assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), [
            "no tier-3 bucket (an aws.s3.Bucket tagged fortress:tier = tier3) is declared: there is no immutable copy of the backups",
        ]);
        ({ fixture } = compliantPrimary("dev"));
        fixture.remove(MANIFEST);
        assert.deepStrictEqual(violations(await check(tier3ObjectLockCompliance, fixture.records)), [
            "Bucket tier3: default retention mode is GOVERNANCE; without a DR manifest the rule assumes prod and requires COMPLIANCE (GOVERNANCE can be bypassed by a privileged user)",
        ]);
    });
});

describe("policy gcs-retention-locked", () => {
    it("passes: locked in prod; unlocked accepted in staging", async () => {
        assert.strictEqual((await check(gcsRetentionLocked, compliantPrimary("prod").fixture.records)).status, "pass");
        assert.strictEqual((await check(gcsRetentionLocked, compliantPrimary("staging").fixture.records)).status, "pass");
    });

    it("fails: unlocked in prod, no retention policy, no GCS copy", async () => {
        let { fixture } = compliantPrimary();
        fixture.edit("gcp:storage/bucket:Bucket", "gcs-tier3", (i) => (i.retentionPolicy.isLocked = false));
        assert.deepStrictEqual(violations(await check(gcsRetentionLocked, fixture.records)), ["Bucket gcs-tier3: the retention policy is not locked; prod requires isLocked: true"]);
        ({ fixture } = compliantPrimary("staging"));
        fixture.edit("gcp:storage/bucket:Bucket", "gcs-tier3", (i) => delete i.retentionPolicy);
        assert.deepStrictEqual(violations(await check(gcsRetentionLocked, fixture.records)), ["Bucket gcs-tier3: no retentionPolicy; any principal with storage.objects.delete can remove the copy"]);
        ({ fixture } = compliantPrimary());
        fixture.remove("gcp:storage/bucket:Bucket");
        assert.deepStrictEqual(violations(await check(gcsRetentionLocked, fixture.records)), ["no GCS tier-3 copy (a gcp.storage.Bucket labelled fortress-tier = tier3) is declared: tier 3 has no copy outside AWS"]);
    });
});

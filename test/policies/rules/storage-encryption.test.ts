import * as assert from "assert";
import { gcsBucketCmek } from "../../../policies/rules/gcs-bucket-cmek";
import { kmsKeyRotationAndDeletionWindow } from "../../../policies/rules/kms-key-rotation-and-deletion-window";
import { s3BucketCustomerManagedKms } from "../../../policies/rules/s3-bucket-customer-managed-kms";
import { check, compliantPrimary, violations } from "../fixtures";

const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";

describe("policy s3-bucket-customer-managed-kms", () => {
    it("passes: tier buckets on the customer-managed key, the access-log target on SSE-S3", async () => {
        const o = await check(s3BucketCustomerManagedKms, compliantPrimary().fixture.records);
        assert.deepStrictEqual(violations(o), []);
        assert.strictEqual(o.status, "pass");
    });

    it("fails: a bucket without default encryption", async () => {
        const { fixture } = compliantPrimary();
        fixture.remove(SSE, "tier2-sse");
        assert.deepStrictEqual(violations(await check(s3BucketCustomerManagedKms, fixture.records)), [
            'Bucket tier2: no default encryption is declared; add a BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms"',
        ]);
    });

    it("fails: a backup bucket on SSE-S3", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(SSE, "tier3-sse", (i) => (i.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]));
        const [m] = violations(await check(s3BucketCustomerManagedKms, fixture.records));
        assert.match(m, /^Bucket tier3: default encryption is "AES256"; backups must use "aws:kms"/);
    });

    it("fails: SSE-KMS with the AWS-managed aws/s3 key (by alias, or by leaving the key out)", async () => {
        for (const key of ["alias/aws/s3", undefined]) {
            const { fixture } = compliantPrimary();
            // Drop the dependency on the declared key: the key is what the input names.
            const r = fixture.find(SSE, "tier1-sse");
            fixture.records[fixture.records.indexOf(r)] = { ...r, propertyDependencies: { bucket: r.propertyDependencies!.bucket } };
            fixture.edit(SSE, "tier1-sse", (i) => (i.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", ...(key ? { kmsMasterKeyId: key } : {}) } }]));
            const [m] = violations(await check(s3BucketCustomerManagedKms, fixture.records));
            assert.match(m, key ? /kmsMasterKeyId "alias\/aws\/s3" is an AWS-managed key/ : /without kmsMasterKeyId uses the AWS-managed key aws\/s3/);
        }
    });

    it("fails: an access-log target on SSE-KMS, which S3 log delivery cannot write", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(SSE, "access-logs-sse", (i) => (i.rules = [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/x" } }]));
        const [m] = violations(await check(s3BucketCustomerManagedKms, fixture.records));
        assert.match(m, /^Bucket access-logs receives server access logs, and S3 log delivery cannot write to a bucket whose default encryption is aws:kms/);
    });

    it("is not applicable without buckets", async () => {
        assert.strictEqual((await check(s3BucketCustomerManagedKms, [])).status, "not-applicable");
    });
});

describe("policy gcs-bucket-cmek", () => {
    it("passes with encryption.defaultKmsKeyName", async () => {
        assert.strictEqual((await check(gcsBucketCmek, compliantPrimary().fixture.records)).status, "pass");
    });
    it("fails without a customer-managed key", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("gcp:storage/bucket:Bucket", "gcs-tier3", (i) => delete i.encryption);
        assert.deepStrictEqual(violations(await check(gcsBucketCmek, fixture.records)), ["gcs bucket gcs-tier3: no encryption.defaultKmsKeyName; objects would be encrypted with a Google-managed key"]);
    });
});

describe("policy kms-key-rotation-and-deletion-window", () => {
    it("passes: rotation on, 365-day period, 30-day windows, GCP key rotating every 90 days", async () => {
        assert.deepStrictEqual(violations(await check(kmsKeyRotationAndDeletionWindow, compliantPrimary().fixture.records)), []);
    });

    it("fails: rotation off, a period over a year, a short deletion window", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("aws:kms/key:Key", "backup-key", (i) => Object.assign(i, { enableKeyRotation: false, rotationPeriodInDays: 400, deletionWindowInDays: 7 }));
        fixture.edit("aws:kms/replicaKey:ReplicaKey", "backup-key-dr", (i) => (i.deletionWindowInDays = 10));
        assert.deepStrictEqual(violations(await check(kmsKeyRotationAndDeletionWindow, fixture.records)), [
            "kms key backup-key: enableKeyRotation is false; set it to true",
            "kms key backup-key: rotationPeriodInDays 400 exceeds the 365-day cryptoperiod",
            "kms key backup-key: deletionWindowInDays 7 is below 30; a scheduled deletion must leave time to notice and cancel it",
            "kms replica key backup-key-dr: deletionWindowInDays 10 is below 30",
        ]);
    });

    it("fails: a GCP key without rotation, or rotating too slowly, or with a short destroy window", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("gcp:kms/cryptoKey:CryptoKey", "gcs-key", (i) => delete i.rotationPeriod);
        assert.deepStrictEqual(violations(await check(kmsKeyRotationAndDeletionWindow, fixture.records)), ["gcp crypto key gcs-key: no rotationPeriod; set one of at most 31536000s"]);
        fixture.edit("gcp:kms/cryptoKey:CryptoKey", "gcs-key", (i) => Object.assign(i, { rotationPeriod: "40000000s", destroyScheduledDuration: "86400s" }));
        assert.deepStrictEqual(violations(await check(kmsKeyRotationAndDeletionWindow, fixture.records)), [
            "gcp crypto key gcs-key: rotationPeriod 40000000s exceeds the 365-day cryptoperiod",
            "gcp crypto key gcs-key: destroyScheduledDuration 86400s is below 30 days",
        ]);
    });

    it("honours the pack config's thresholds (--policy-pack-config)", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("aws:kms/key:Key", "backup-key", (i) => (i.deletionWindowInDays = 14));
        const o = await check(kmsKeyRotationAndDeletionWindow, fixture.records, { policyConfig: { "kms-key-rotation-and-deletion-window": { minDeletionWindowDays: 14 } } });
        assert.deepStrictEqual(violations(o), []);
    });

    it("skips asymmetric keys, which cannot rotate", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("aws:kms/key:Key", "backup-key", (i) => Object.assign(i, { customerMasterKeySpec: "RSA_2048", enableKeyRotation: false }));
        const o = await check(kmsKeyRotationAndDeletionWindow, fixture.records);
        assert.deepStrictEqual(violations(o), []);
        assert.ok(o.notApplicable.some((r) => /RSA_2048 keys cannot rotate/.test(r)));
    });
});

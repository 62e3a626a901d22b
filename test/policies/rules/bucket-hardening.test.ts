import * as assert from "assert";
import { s3TlsOnly } from "../../../policies/rules/s3-tls-only";
import { s3VersioningEnabled } from "../../../policies/rules/s3-versioning-enabled";
import { storagePublicAccessBlocked } from "../../../policies/rules/storage-public-access-blocked";
import { check, compliantPrimary, violations } from "../fixtures";

const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";

describe("policy s3-tls-only", () => {
    it("passes: every bucket policy denies aws:SecureTransport false", async () => {
        assert.strictEqual((await check(s3TlsOnly, compliantPrimary().fixture.records)).status, "pass");
    });

    it("fails: a bucket with no policy", async () => {
        const { fixture } = compliantPrimary();
        fixture.remove(POLICY, "tier2-policy");
        assert.deepStrictEqual(violations(await check(s3TlsOnly, fixture.records)), [
            "Bucket tier2: no bucket policy is declared, so plain-HTTP requests are not refused; add the DenyInsecureTransport statement",
        ]);
    });

    it("fails: a policy without the TLS deny, or with it scoped to one principal", async () => {
        for (const statement of [
            { Sid: "Other", Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "*" },
            { Sid: "OnlyOne", Effect: "Deny", Principal: { AWS: "arn:aws:iam::1:role/x" }, Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ]) {
            const { fixture } = compliantPrimary();
            fixture.edit(POLICY, "tier1-policy", (i) => (i.policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement] })));
            assert.deepStrictEqual(violations(await check(s3TlsOnly, fixture.records)), [
                'Bucket tier1: its policy (BucketPolicy tier1-policy) has no Deny of s3:* for aws:SecureTransport "false" to every principal',
            ]);
        }
    });
});

describe("policy storage-public-access-blocked", () => {
    it("passes: all four S3 blocks, GCS prevention enforced with uniform access", async () => {
        assert.strictEqual((await check(storagePublicAccessBlocked, compliantPrimary().fixture.records)).status, "pass");
    });

    it("fails: a missing block, a block with a flag off, a public ACL", async () => {
        const { fixture } = compliantPrimary();
        fixture.remove(PAB, "tier3-public-access");
        fixture.edit(PAB, "tier1-public-access", (i) => (i.restrictPublicBuckets = false));
        fixture.edit("aws:s3/bucket:Bucket", "tier2", (i) => (i.acl = "public-read"));
        assert.deepStrictEqual(violations(await check(storagePublicAccessBlocked, fixture.records)), [
            "Bucket tier1: BucketPublicAccessBlock tier1-public-access leaves restrictPublicBuckets off; set all four to true",
            'Bucket tier2: acl "public-read" grants public access',
            "Bucket tier3: no BucketPublicAccessBlock is declared; a later policy or ACL could make backups public",
        ]);
    });

    it("fails: a GCS bucket without public access prevention or uniform access", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("gcp:storage/bucket:Bucket", "gcs-tier3", (i) => Object.assign(i, { publicAccessPrevention: "inherited", uniformBucketLevelAccess: false }));
        assert.deepStrictEqual(violations(await check(storagePublicAccessBlocked, fixture.records)), [
            'Bucket gcs-tier3: publicAccessPrevention is "inherited"; set "enforced"',
            "Bucket gcs-tier3: uniformBucketLevelAccess is off, so object ACLs could grant access one object at a time; set it to true",
        ]);
    });
});

describe("policy s3-versioning-enabled", () => {
    it("passes: every bucket versioned", async () => {
        assert.strictEqual((await check(s3VersioningEnabled, compliantPrimary().fixture.records)).status, "pass");
    });

    it("fails: versioning missing, or Suspended", async () => {
        const { fixture } = compliantPrimary();
        fixture.remove(VERSIONING, "tier1-versioning");
        fixture.edit(VERSIONING, "tier2-versioning", (i) => (i.versioningConfiguration.status = "Suspended"));
        assert.deepStrictEqual(violations(await check(s3VersioningEnabled, fixture.records)), [
            "Bucket tier1: no BucketVersioning is declared; a delete or overwrite would destroy the only copy",
            'Bucket tier2: versioning status is "Suspended"; set "Enabled"',
        ]);
    });

    it("reads the relation through the engine's property dependencies when the bucket name is unknown", async () => {
        const { fixture } = compliantPrimary();
        // During a first preview the bucket's ID (the `bucket` input) is unknown; only the dependency is.
        const { unknownStringValue } = require("@pulumi/policy/proxy");
        fixture.edit(VERSIONING, "tier2-versioning", (i) => (i.versioningConfiguration.status = "Suspended"));
        const r = fixture.find(VERSIONING, "tier2-versioning");
        fixture.records[fixture.records.indexOf(r)] = { ...r, inputs: { ...r.inputs, bucket: unknownStringValue } };
        assert.deepStrictEqual(violations(await check(s3VersioningEnabled, fixture.records)), ['Bucket tier2: versioning status is "Suspended"; set "Enabled"']);
    });
});

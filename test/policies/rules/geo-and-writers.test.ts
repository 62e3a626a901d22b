import * as assert from "assert";
import { backupWriterCannotDestroy } from "../../../policies/rules/backup-writer-cannot-destroy";
import { tier2GeoSeparation } from "../../../policies/rules/tier2-geo-separation";
import { PRIMARY, WRITER_POLICY, check, compliantPrimary, violations } from "../fixtures";

const BUCKET = "aws:s3/bucket:Bucket";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** Moves a bucket to another region's provider. */
function moveBucket(fixture: ReturnType<typeof compliantPrimary>["fixture"], name: string, region: string) {
    const r = fixture.find(BUCKET, name);
    fixture.records[fixture.records.indexOf(r)] = { ...r, provider: fixture.provider(region).urn };
}

describe("policy tier2-geo-separation", () => {
    it("passes: tier 2 (bucket and pgBackRest repo2) in us-west-2, over 3,000 km from us-east-1", async () => {
        assert.strictEqual((await check(tier2GeoSeparation, compliantPrimary().fixture.records)).status, "pass");
    });

    it("fails: the tier-2 bucket in the primary region", async () => {
        const { fixture } = compliantPrimary();
        moveBucket(fixture, "tier2", PRIMARY);
        assert.deepStrictEqual(violations(await check(tier2GeoSeparation, fixture.records)), [
            "Bucket tier2 is in us-east-1, 0 km from the primary (us-east-1); tier 2 must be at least 80 km away to survive a regional disaster",
        ]);
    });

    it("fails: tier 2 at a site 10 km from the primary (coordinates given in the policy config)", async () => {
        const { fixture } = compliantPrimary();
        moveBucket(fixture, "tier2", "ashburn-colo-2");
        // 0.09 degrees of latitude north of the us-east-1 entry (39.04, -77.49) is 10.0 km.
        const policyConfig = { "tier2-geo-separation": { extraLocations: { "ashburn-colo-2": { lat: 39.13, lon: -77.49, source: "test site" } } } };
        assert.deepStrictEqual(violations(await check(tier2GeoSeparation, fixture.records, { policyConfig })), [
            "Bucket tier2 is in ashburn-colo-2, 10 km from the primary (us-east-1); tier 2 must be at least 80 km away to survive a regional disaster",
        ]);
    });

    it("fails: pgBackRest's tier-2 repository in the primary region", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", (i) => (i.spec.backups.pgbackrest.repos[1].s3.region = PRIMARY));
        assert.deepStrictEqual(violations(await check(tier2GeoSeparation, fixture.records)), [
            "PerconaPGCluster fortress-pg repo2 (s3://b-tier2) is in us-east-1, 0 km from the primary (us-east-1); tier 2 must be at least 80 km away to survive a regional disaster",
        ]);
    });

    it("fails: a region with no coordinates, never guessed; and no tier 2 at all", async () => {
        let { fixture } = compliantPrimary();
        moveBucket(fixture, "tier2", "me-central-1");
        assert.deepStrictEqual(violations(await check(tier2GeoSeparation, fixture.records)), [
            'Bucket tier2: no coordinates for "me-central-1" in components/core/regions.ts; add the region with its source (or extraLocations in the policy config) so its distance can be checked',
        ]);
        ({ fixture } = compliantPrimary());
        fixture.edit(BUCKET, "tier2", (i) => (i.tags = {}));
        fixture.remove("kubernetes:pgv2.percona.com/v2:PerconaPGCluster");
        assert.deepStrictEqual(violations(await check(tier2GeoSeparation, fixture.records)), [
            "no tier-2 store is declared (an aws.s3.Bucket tagged fortress:tier = tier2): nothing survives the primary region",
        ]);
    });
});

describe("policy backup-writer-cannot-destroy", () => {
    it("passes: the writer allows writes only and denies every destructive action", async () => {
        assert.deepStrictEqual(violations(await check(backupWriterCannotDestroy, compliantPrimary().fixture.records)), []);
    });

    it("fails: a writer allowed s3:DeleteObjectVersion, even with the Deny still there", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(ROLE_POLICY, "tier1-writer-policy", (i) => {
            const doc = JSON.parse(i.policy);
            doc.Statement[1].Action.push("s3:DeleteObjectVersion");
            i.policy = JSON.stringify(doc);
        });
        assert.deepStrictEqual(violations(await check(backupWriterCannotDestroy, fixture.records)), [
            "RolePolicy tier1-writer-policy writes backups and allows s3:DeleteObjectVersion (statement WriteBackups); a backup writer must not destroy versions or change what keeps them",
        ]);
    });

    it("fails: a wildcard grant (s3:*) that covers lifecycle, versioning, replication and Object Lock changes", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(ROLE_POLICY, "tier1-writer-policy", (i) => {
            const doc = JSON.parse(i.policy);
            doc.Statement[1].Action = "s3:*";
            i.policy = JSON.stringify(doc);
        });
        const [m] = violations(await check(backupWriterCannotDestroy, fixture.records));
        assert.match(m, /^RolePolicy tier1-writer-policy writes backups and allows s3:DeleteObjectVersion \(statement WriteBackups\), s3:DeleteBucket .*s3:PutLifecycleConfiguration .*s3:PutBucketVersioning .*s3:PutReplicationConfiguration .*s3:PutBucketObjectLockConfiguration/);
    });

    it("fails: a backup writer role without the explicit Deny", async () => {
        const { fixture } = compliantPrimary();
        fixture.edit(ROLE_POLICY, "tier1-writer-policy", (i) => (i.policy = JSON.stringify({ ...WRITER_POLICY, Statement: WRITER_POLICY.Statement.slice(0, 2) })));
        const [m] = violations(await check(backupWriterCannotDestroy, fixture.records));
        assert.match(m, /^Role tier1-writer is assumed by the backup writers' service accounts but has no explicit Deny on Resource "\*" of s3:DeleteObjectVersion, s3:DeleteBucket, /);
    });

    it("fails: AmazonS3FullAccess attached to a writer", async () => {
        const { fixture } = compliantPrimary();
        const role = fixture.find("aws:iam/role:Role", "tier1-writer");
        fixture.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "writer-s3-full", { role: "tier1-writer-id", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { deps: { role: [role] } });
        assert.deepStrictEqual(violations(await check(backupWriterCannotDestroy, fixture.records)), [
            "RolePolicyAttachment writer-s3-full attaches AmazonS3FullAccess to Role tier1-writer: it allows every destructive S3 action",
        ]);
    });

    it("cannot run during a first preview when a policy document is still unknown (the engine's advisory)", async () => {
        const { fixture } = compliantPrimary();
        const { unknownStringValue } = require("@pulumi/policy/proxy");
        fixture.edit(ROLE_POLICY, "tier1-writer-policy", () => {});
        const r = fixture.find(ROLE_POLICY, "tier1-writer-policy");
        fixture.records[fixture.records.indexOf(r)] = { ...r, inputs: { ...r.inputs, policy: unknownStringValue } };
        const o = await check(backupWriterCannotDestroy, fixture.records);
        assert.strictEqual(o.status, "warn");
        assert.deepStrictEqual(o.findings.map((f) => [f.kind, f.enforcementLevel]), [["preview-unknown", "advisory"]]);
        assert.match(o.findings[0].message, /^can't run policy 'backup-writer-cannot-destroy' during preview: string value at \.policy can't be known during preview/);
    });
});

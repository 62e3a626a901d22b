import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccessLogBucket, BackupAccess, BackupKey, Replication, TierBucket, TierBucketArgs } from "../../../components/storage";
import { DESTRUCTIVE_S3_ACTIONS } from "../../../components/storage/policy-documents";
import { childrenOf, errorOf, ofType, one, policyOf, recordResources } from "../../helpers/pulumi";

const tierArgs = (over: Partial<TierBucketArgs> = {}): TierBucketArgs => ({
    tier: "tier2",
    bucketName: "acme-test-tier2-us-west-2",
    kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1",
    prefixRules: [{ prefix: "tier2/database/", currentExpirationDays: 32, noncurrentExpirationDays: 30 }],
    undoWindowDays: 30,
    accessLogBucket: "acme-test-access-logs-us-west-2",
    breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
    ...over,
});

describe("storage/TierBucket", () => {
    it("declares a versioned, SSE-KMS, public-blocked, TLS-only bucket with lifecycle and access logs", async () => {
        const rs = await recordResources(() => {
            new TierBucket("tier2", tierArgs());
        });
        const component = one(rs, "fortress:storage:TierBucket", "tier2");
        const bucket = one(rs, "aws:s3/bucket:Bucket", "tier2");
        assert.strictEqual(bucket.parent, component.urn);
        assert.strictEqual(bucket.inputs.bucket, "acme-test-tier2-us-west-2");
        assert.strictEqual(bucket.inputs.objectLockEnabled, false);
        assert.strictEqual(bucket.retainOnDelete, true, "backups must survive a stack teardown");
        assert.strictEqual(one(rs, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status, "Enabled");
        const sse = one(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0];
        assert.deepStrictEqual(sse, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:us-west-2:123456789012:key/mrk-1" }, bucketKeyEnabled: true });
        const pab = one(rs, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
        assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets);
        const statements = policyOf(one(rs, "aws:s3/bucketPolicy:BucketPolicy")).Statement;
        const tls = statements.find((s) => s.Sid === "DenyInsecureTransport");
        assert.deepStrictEqual(tls.Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.strictEqual(tls.Effect, "Deny");
        const versions = statements.find((s) => s.Sid === "DenyVersionDeletionExceptBreakGlass");
        assert.deepStrictEqual(versions.Condition, { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/break-glass" } });
        const rules = one(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
        const retain = rules.find((r: any) => r.id === "retain-tier2-database");
        assert.deepStrictEqual(retain.filter, { prefix: "tier2/database/" });
        assert.deepStrictEqual(retain.expiration, { days: 32 });
        assert.deepStrictEqual(retain.noncurrentVersionExpiration, { noncurrentDays: 30 });
        assert.ok(rules.some((r: any) => r.id === "undo-window" && r.noncurrentVersionExpiration.noncurrentDays === 30));
        assert.strictEqual(one(rs, "aws:s3/bucketLogging:BucketLogging").inputs.targetBucket, "acme-test-access-logs-us-west-2");
        assert.strictEqual(ofType(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length, 0, "no lock outside tier 3");
        // Every child hangs under the component.
        assert.strictEqual(childrenOf(rs, component).length, 8);
    });

    it("adds Object Lock in the given mode on tier 3, and a live-document prefix never expires", async () => {
        const rs = await recordResources(() => {
            new TierBucket(
                "tier3",
                tierArgs({
                    tier: "tier3",
                    bucketName: "acme-test-tier3-us-east-2",
                    prefixRules: [
                        { prefix: "tier3/database/", currentExpirationDays: 367, noncurrentExpirationDays: 365 },
                        { prefix: "tier1/configuration/", noncurrentExpirationDays: 365 },
                    ],
                    transitions: [{ afterDays: 30, storageClass: "GLACIER_IR" }],
                    objectLock: { mode: "COMPLIANCE", days: 365 },
                }),
            );
        });
        assert.strictEqual(one(rs, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, true);
        const lock = one(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs;
        assert.deepStrictEqual(lock.rule, { defaultRetention: { mode: "COMPLIANCE", days: 365 } });
        const rules = one(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
        const live = rules.find((r: any) => r.id === "retain-tier1-configuration");
        assert.strictEqual(live.expiration, undefined);
        assert.deepStrictEqual(rules.find((r: any) => r.id === "retain-tier3-database").transitions, [{ days: 30, storageClass: "GLACIER_IR" }]);
    });

    it("two instances do not collide", async () => {
        const rs = await recordResources(() => {
            new TierBucket("a", tierArgs({ bucketName: "acme-a" }));
            new TierBucket("b", tierArgs({ bucketName: "acme-b" }));
        });
        const urns = rs.map((r) => r.urn);
        assert.strictEqual(new Set(urns).size, urns.length);
        assert.strictEqual(ofType(rs, "aws:s3/bucket:Bucket").length, 2);
    });

    it("rejects bad arguments with the field and the fix", async () => {
        const lockOnTier2 = await errorOf(() => recordResources(() => void new TierBucket("t", tierArgs({ objectLock: { mode: "COMPLIANCE", days: 30 } }))));
        assert.match(lockOnTier2.message, /TierBucket t: objectLock is for tier 3 only/);
        const longLock = await errorOf(() =>
            recordResources(() => void new TierBucket("t", tierArgs({ tier: "tier3", objectLock: { mode: "COMPLIANCE", days: 400 } }))),
        );
        assert.match(longLock.message, /objectLock.days 400 outlives every retention rule \(longest 32 days\)/);
        const badName = await errorOf(() => recordResources(() => void new TierBucket("t", tierArgs({ bucketName: "Acme_Backups" }))));
        assert.match(badName.message, /bucketName "Acme_Backups" is not a valid S3 bucket name/);
        const dup = await errorOf(() =>
            recordResources(
                () =>
                    void new TierBucket(
                        "t",
                        tierArgs({ prefixRules: [{ prefix: "tier2/x/", noncurrentExpirationDays: 7 }, { prefix: "tier2/x/", noncurrentExpirationDays: 9 }] }),
                    ),
            ),
        );
        assert.match(dup.message, /prefix "tier2\/x\/" has two rules/);
    });
});

describe("storage/AccessLogBucket", () => {
    it("uses SSE-S3 (log delivery cannot write SSE-KMS) and admits only S3 log delivery from this account", async () => {
        const rs = await recordResources(() => {
            new AccessLogBucket("logs", { bucketName: "acme-logs", accountId: "123456789012", retentionDays: 2557, breakGlassRoleArn: "arn:aws:iam::123456789012:role/bg" });
        });
        const sse = one(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules[0];
        assert.deepStrictEqual(sse.applyServerSideEncryptionByDefault, { sseAlgorithm: "AES256" });
        const delivery = policyOf(one(rs, "aws:s3/bucketPolicy:BucketPolicy")).Statement.find((s) => s.Sid === "S3ServerAccessLogDelivery");
        assert.deepStrictEqual(delivery.Principal, { Service: "logging.s3.amazonaws.com" });
        assert.deepStrictEqual(delivery.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
        assert.strictEqual(one(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[0].expiration.days, 2557);
    });
});

describe("storage/BackupKey", () => {
    it("declares a rotating multi-Region key with replicas and a policy that denies destruction to all but admins", async () => {
        const rs = await recordResources(() => {
            const west = new aws.Provider("west", { region: "us-west-2" });
            const east2 = new aws.Provider("east2", { region: "us-east-2" });
            new BackupKey("k", { description: "test", accountId: "123456789012", adminRoleArns: ["arn:aws:iam::123456789012:role/deployer"], replicas: { "us-west-2": west, "us-east-2": east2 } });
        });
        const key = one(rs, "aws:kms/key:Key");
        assert.strictEqual(key.inputs.multiRegion, true);
        assert.strictEqual(key.inputs.enableKeyRotation, true);
        assert.strictEqual(key.inputs.deletionWindowInDays, 30);
        const replicas = ofType(rs, "aws:kms/replicaKey:ReplicaKey");
        assert.deepStrictEqual(replicas.map((r) => r.region).sort(), ["us-east-2", "us-west-2"]);
        const deny = policyOf(key).Statement.find((s) => s.Sid === "DenyDestructionExceptAdministrators");
        assert.strictEqual(deny.Effect, "Deny");
        assert.ok(deny.Action.includes("kms:ScheduleKeyDeletion") && deny.Action.includes("kms:DisableKey") && deny.Action.includes("kms:PutKeyPolicy"));
        assert.deepStrictEqual(deny.Condition, { ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::123456789012:role/deployer"] } });
        for (const r of replicas) assert.strictEqual(r.inputs.policy, key.inputs.policy, "replicas carry the same policy");
    });

    it("rejects a deletion window KMS does not accept", async () => {
        const e = await errorOf(() => recordResources(() => void new BackupKey("k", { description: "t", accountId: "1", adminRoleArns: [], replicas: {}, deletionWindowInDays: 3 })));
        assert.match(e.message, /deletionWindowInDays 3 is outside 7-30/);
    });
});

describe("storage/Replication", () => {
    const args = () => ({
        sourceBucketName: "src",
        sourceBucketArn: "arn:aws:s3:::src",
        sourceKmsKeyArn: "arn:aws:kms:us-east-1:1:key/a",
        sourceVersioning: new pulumi.ComponentResource("test:index:Versioning", "v"),
        destinations: [
            { id: "to-tier2", bucketArn: "arn:aws:s3:::t2", kmsKeyArn: "arn:aws:kms:us-west-2:1:key/a", prefix: "tier1/" },
            { id: "to-tier3", bucketArn: "arn:aws:s3:::t3", kmsKeyArn: "arn:aws:kms:us-east-2:1:key/a", prefix: "tier1/configuration/" },
        ],
    });

    it("replicates with RTC and metrics, never delete markers, under a least-privilege role", async () => {
        const rs = await recordResources(() => void new Replication("r", args()));
        const config = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs;
        assert.strictEqual(config.rules.length, 2);
        for (const rule of config.rules) {
            assert.deepStrictEqual(rule.deleteMarkerReplication, { status: "Disabled" });
            assert.deepStrictEqual(rule.destination.replicationTime, { status: "Enabled", time: { minutes: 15 } });
            assert.deepStrictEqual(rule.destination.metrics, { status: "Enabled", eventThreshold: { minutes: 15 } });
            assert.ok(rule.destination.encryptionConfiguration.replicaKmsKeyId.startsWith("arn:aws:kms:"));
        }
        assert.deepStrictEqual(config.rules.map((r: any) => r.filter.prefix), ["tier1/", "tier1/configuration/"]);
        const actions = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy")).Statement.flatMap((s) => [s.Action].flat());
        assert.ok(!actions.includes("s3:ReplicateDelete"), "deletes must not replicate");
        assert.ok(!actions.some((a: string) => a === "s3:*" || a === "*"));
    });

    it("rejects an empty or duplicated destination list", async () => {
        const empty = await errorOf(() => recordResources(() => void new Replication("r", { ...args(), destinations: [] })));
        assert.match(empty.message, /destinations is empty/);
        const a = args();
        const dup = await errorOf(() => recordResources(() => void new Replication("r", { ...a, destinations: [a.destinations[0], a.destinations[0]] })));
        assert.match(dup.message, /destination id "to-tier2" is used twice/);
    });
});

describe("storage/BackupAccess", () => {
    it("gives each tier a writer that can never destroy a version and a reader that cannot write", async () => {
        const rs = await recordResources(
            () =>
                void new BackupAccess("access", {
                    oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
                    accountId: "123456789012",
                    namespace: "fortress",
                    writerServiceAccounts: ["fortress-backup"],
                    readerServiceAccounts: ["fortress-restore"],
                    tiers: { tier1: { bucketArn: "arn:aws:s3:::t1", kmsKeyArn: "k1" }, tier2: { bucketArn: "arn:aws:s3:::t2", kmsKeyArn: "k2" } },
                }),
        );
        assert.strictEqual(ofType(rs, "aws:iam/role:Role").length, 4);
        const writer = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "access-tier2-writer-policy")).Statement;
        const allowed = writer.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat());
        assert.ok(!allowed.includes("s3:DeleteObjectVersion"));
        assert.ok(allowed.includes("s3:DeleteObject"), "pgBackRest expire needs delete markers");
        const denied = writer.find((s) => s.Sid === "NeverDestroyBackups");
        assert.strictEqual(denied.Effect, "Deny");
        for (const a of DESTRUCTIVE_S3_ACTIONS) assert.ok(denied.Action.includes(a), `writer must be denied ${a}`);
        const reader = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "access-tier2-reader-policy")).Statement;
        assert.ok(!reader.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat()).includes("s3:PutObject"));
        const trust = policyOf(one(rs, "aws:iam/role:Role", "access-tier1-writer"), "assumeRolePolicy").Statement[0];
        assert.deepStrictEqual(trust.Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], ["system:serviceaccount:fortress:fortress-backup"]);
    });

    it("rejects a writer list that names no service account", async () => {
        const e = await errorOf(() =>
            recordResources(
                () =>
                    void new BackupAccess("a", { oidcIssuer: "x", accountId: "1", namespace: "n", writerServiceAccounts: [], readerServiceAccounts: [], tiers: { tier1: { bucketArn: "b", kmsKeyArn: "k" } } }),
            ),
        );
        assert.match(e.message, /writerServiceAccounts is empty/);
    });
});

describe("storage/GcsVault", () => {
    const vaultArgs = (over: Partial<import("../../../components/storage").GcsVaultArgs> = {}) => ({
        project: "p",
        location: "US",
        bucketName: "acme-tier3-us",
        retentionDays: 365,
        lockRetention: true,
        sourceBucketName: "acme-tier3-us-east-2",
        sourceBucketArn: "arn:aws:s3:::acme-tier3-us-east-2",
        sourceKmsKeyArn: "arn:aws:kms:us-east-2:1:key/mrk-1",
        transferRoleName: "fortress-gcs-transfer",
        excludePrefixes: ["tier3/database/backup/db/backup.info"],
        startTimeOfDay: { hours: 4, minutes: 35 },
        archiveAfterDays: 30,
        ...over,
    });

    it("declares a CMEK bucket with a locked retention policy and a never-overwriting daily transfer through a federated role", async () => {
        const { GcsVault } = await import("../../../components/storage");
        const rs = await recordResources(() => void new GcsVault("vault", vaultArgs()));
        const bucket = one(rs, "gcp:storage/bucket:Bucket").inputs;
        assert.deepStrictEqual(bucket.retentionPolicy, { retentionPeriod: String(365 * 86_400), isLocked: true });
        assert.strictEqual(bucket.versioning, undefined, "GCS forbids versioning with a retention policy");
        assert.ok(bucket.encryption.defaultKmsKeyName, "CMEK");
        assert.strictEqual(one(rs, "gcp:kms/keyRing:KeyRing").inputs.location, "us", "key in the bucket's location");
        assert.ok(bucket.lifecycleRules.some((r: any) => r.action.storageClass === "ARCHIVE"));
        const job = one(rs, "gcp:storage/transferJob:TransferJob").inputs;
        assert.strictEqual(job.transferSpec.transferOptions.overwriteWhen, "NEVER");
        assert.strictEqual(job.transferSpec.transferOptions.deleteObjectsUniqueInSink, false);
        assert.deepStrictEqual(job.transferSpec.objectConditions.excludePrefixes, ["tier3/database/backup/db/backup.info"]);
        assert.strictEqual(job.transferSpec.awsS3DataSource.roleArn, "arn:aws:iam::123456789012:role/fortress-gcs-transfer");
        assert.strictEqual(job.transferSpec.awsS3DataSource.awsAccessKey, undefined, "no long-lived keys");
        assert.deepStrictEqual(job.schedule.startTimeOfDay, { hours: 4, minutes: 35, seconds: 0, nanos: 0 });
        const trust = policyOf(one(rs, "aws:iam/role:Role"), "assumeRolePolicy").Statement[0];
        assert.deepStrictEqual(trust.Principal, { Federated: "accounts.google.com" });
        assert.ok(trust.Condition.StringEquals["accounts.google.com:sub"]);
    });

    it("leaves the retention policy unlocked when asked and rejects archiving after expiry", async () => {
        const { GcsVault } = await import("../../../components/storage");
        const rs = await recordResources(() => void new GcsVault("vault", vaultArgs({ lockRetention: false })));
        assert.strictEqual(one(rs, "gcp:storage/bucket:Bucket").inputs.retentionPolicy.isLocked, false);
        const e = await errorOf(() => recordResources(() => void new GcsVault("v", vaultArgs({ retentionDays: 7 }))));
        assert.match(e.message, /archiveAfterDays 30 must be below retentionDays 7/);
        const noArchive = await recordResources(() => void new GcsVault("v", vaultArgs({ retentionDays: 7, archiveAfterDays: undefined })));
        assert.ok(!one(noArchive, "gcp:storage/bucket:Bucket").inputs.lifecycleRules.some((r: any) => r.action.type === "SetStorageClass"));
    });
});

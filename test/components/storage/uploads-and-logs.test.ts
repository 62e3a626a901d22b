import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { LogArchive, LogArchiveArgs } from "../../../components/storage/log-archive";
import { Uploads, UploadsArgs } from "../../../components/storage/uploads";
import { configSchema } from "../../../config";
import { errorOf, ofType, one, policyOf, recordResources } from "../../helpers/pulumi";

const complianceDays = configSchema.shape.storage.parse(undefined).complianceRetentionDays;

function uploads(over: Partial<UploadsArgs> = {}) {
    return () => {
        const primary = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
        const dr = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
        new Uploads("uploads", {
            bucketName: "acme-prod-uploads-us-east-1",
            replicaBucketName: "acme-prod-uploads-us-west-2",
            kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/mrk-1",
            replicaKmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1",
            accessLogBucket: "acme-prod-access-logs-us-east-1",
            replicaAccessLogBucket: "acme-prod-access-logs-us-west-2",
            breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
            replicaProvider: dr,
            rpoSeconds: 300,
            replicaAlarmTopicArn: "arn:aws:sns:us-west-2:123456789012:alerts",
            ...over,
        }, { provider: primary });
    };
}

describe("storage/Uploads", () => {
    it("declares a versioned, SSE-KMS, TLS-only uploads bucket and its replica in the DR region", async () => {
        const rs = await recordResources(uploads());
        const buckets = ofType(rs, "aws:s3/bucket:Bucket");
        assert.deepStrictEqual(buckets.map((b) => [b.inputs.bucket, b.region]).sort(), [
            ["acme-prod-uploads-us-east-1", "us-east-1"],
            ["acme-prod-uploads-us-west-2", "us-west-2"],
        ]);
        for (const v of ofType(rs, "aws:s3/bucketVersioning:BucketVersioning")) assert.strictEqual(v.inputs.versioningConfiguration.status, "Enabled");
        const sse = ofType(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        assert.deepStrictEqual(sse.map((s) => [s.region, s.inputs.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId]).sort(), [
            ["us-east-1", "arn:aws:kms:us-east-1:123456789012:key/mrk-1"],
            ["us-west-2", "arn:aws:kms:us-west-2:123456789012:key/mrk-1"],
        ]);
        for (const p of ofType(rs, "aws:s3/bucketPolicy:BucketPolicy")) {
            assert.ok(policyOf(p).Statement.some((s) => s.Sid === "DenyInsecureTransport"));
        }
        assert.ok(buckets.every((b) => b.retainOnDelete), "uploads survive a stack teardown");
    });

    it("replicates with RTC to the DR region and alarms at the 5-minute objective", async () => {
        const rs = await recordResources(uploads());
        const rule = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs.rules[0];
        assert.strictEqual(rule.destination.replicationTime.status, "Enabled");
        assert.strictEqual(rule.destination.bucket, "arn:aws:s3:::acme-prod-uploads-us-west-2");
        assert.strictEqual(rule.deleteMarkerReplication.status, "Disabled");
        const alarm = one(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.strictEqual(alarm.region, "us-west-2", "S3 publishes ReplicationLatency in the destination's region");
        assert.strictEqual(alarm.inputs.metricName, "ReplicationLatency");
        assert.strictEqual(alarm.inputs.threshold, 300);
        assert.deepStrictEqual(alarm.inputs.dimensions, { SourceBucket: "acme-prod-uploads-us-east-1", DestinationBucket: "acme-prod-uploads-us-west-2", RuleId: "uploads-to-dr" });
    });

    it("refuses an objective finer than the replication metrics", async () => {
        assert.match((await errorOf(() => recordResources(uploads({ rpoSeconds: 10 })))).message, /rpoSeconds 10 is below a minute/);
    });
});

function archive(over: Partial<LogArchiveArgs> = {}) {
    return () => {
        const east = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
        const west = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
        new LogArchive("log-archive", {
            bucketName: "acme-prod-log-archive-us-east-1",
            region: "us-east-1",
            accountId: "123456789012",
            adminRoleArns: ["arn:aws:iam::123456789012:role/deployer"],
            replica: { bucketName: "acme-prod-log-archive-us-west-2", region: "us-west-2", provider: west, rpoSeconds: 300, alarmTopicArn: "arn:aws:sns:us-west-2:123456789012:alerts" },
            retentionDays: complianceDays,
            breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
            trailName: "fortress-prod",
            dataEventBucketArns: ["arn:aws:s3:::acme-prod-tier1-us-east-1"],
            accessLogSources: [{ bucketName: "acme-prod-access-logs-us-west-2", bucketArn: "arn:aws:s3:::acme-prod-access-logs-us-west-2", provider: west }],
            ...over,
        }, { provider: east });
    };
}

describe("storage/LogArchive", () => {
    it("locks the archive and its DR copy in COMPLIANCE mode for seven years, under a multi-Region key", async () => {
        const rs = await recordResources(archive());
        assert.strictEqual(complianceDays, 2557, "seven years");
        const buckets = ofType(rs, "aws:s3/bucket:Bucket");
        assert.deepStrictEqual(buckets.map((b) => [b.inputs.bucket, b.region, b.inputs.objectLockEnabled]).sort(), [
            ["acme-prod-log-archive-us-east-1", "us-east-1", true],
            ["acme-prod-log-archive-us-west-2", "us-west-2", true],
        ]);
        for (const lock of ofType(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) {
            assert.deepStrictEqual(lock.inputs.rule.defaultRetention, { mode: "COMPLIANCE", days: 2557 });
        }
        for (const rule of ofType(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").map((l) => l.inputs.rules[0])) {
            assert.ok(rule.expiration.days > 2557, "the lifecycle never expires a locked log");
        }
        const key = one(rs, "aws:kms/key:Key", "log-archive-key");
        assert.strictEqual(key.inputs.multiRegion, true);
        assert.strictEqual(key.inputs.enableKeyRotation, true);
        assert.strictEqual(one(rs, "aws:kms/replicaKey:ReplicaKey").region, "us-west-2");
        for (const sse of ofType(rs, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
            assert.strictEqual(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        }
        const trailStatement = policyOf(key).Statement.find((st) => st.Sid === "CloudTrailEncryptsThisTrail");
        assert.strictEqual(trailStatement.Condition.StringEquals["aws:SourceArn"], "arn:aws:cloudtrail:us-east-1:123456789012:trail/fortress-prod");
    });

    it("receives a multi-Region CloudTrail trail with log-file validation, encrypted with the archive key; only that trail may write", async () => {
        const rs = await recordResources(archive());
        const trail = one(rs, "aws:cloudtrail/trail:Trail").inputs;
        assert.strictEqual(trail.isMultiRegionTrail, true);
        assert.strictEqual(trail.enableLogFileValidation, true);
        assert.strictEqual(trail.s3BucketName, "acme-prod-log-archive-us-east-1");
        assert.match(trail.kmsKeyId, /^arn:aws:kms:/);
        assert.deepStrictEqual(trail.eventSelectors[0].dataResources[0].values, ["arn:aws:s3:::acme-prod-tier1-us-east-1/"]);
        const write = policyOf(one(rs, "aws:s3/bucketPolicy:BucketPolicy", "log-archive-policy")).Statement.find((st) => st.Sid === "CloudTrailWrite");
        assert.strictEqual(write.Condition.StringEquals["aws:SourceArn"], "arn:aws:cloudtrail:us-east-1:123456789012:trail/fortress-prod");
    });

    it("copies the archive to the DR region with RTC and alarms at the logs objective", async () => {
        const rs = await recordResources(archive());
        const rule = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "log-archive-replication-config").inputs.rules[0];
        assert.strictEqual(rule.destination.bucket, "arn:aws:s3:::acme-prod-log-archive-us-west-2");
        assert.strictEqual(rule.destination.replicationTime.status, "Enabled");
        const alarm = one(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.strictEqual(alarm.region, "us-west-2");
        assert.strictEqual(alarm.inputs.threshold, 300);
        assert.strictEqual(alarm.inputs.dimensions.RuleId, "log-archive-to-dr");
    });

    it("copies each region's access logs into both copies by replication from that region", async () => {
        const rs = await recordResources(archive());
        const rep = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "log-archive-from-0");
        assert.strictEqual(rep.region, "us-west-2");
        assert.strictEqual(rep.inputs.bucket, "acme-prod-access-logs-us-west-2");
        assert.deepStrictEqual(rep.inputs.rules.map((r: any) => r.destination.bucket), ["arn:aws:s3:::acme-prod-log-archive-us-east-1", "arn:aws:s3:::acme-prod-log-archive-us-west-2"]);
        assert.strictEqual(ofType(rs, "aws:s3/bucketLogging:BucketLogging").length, 0, "the archive does not log itself into a bucket that replicates back");
    });

    it("refuses a retention under a year", async () => {
        assert.match((await errorOf(() => recordResources(archive({ retentionDays: 30 })))).message, /retentionDays 30 is under a year/);
    });
});

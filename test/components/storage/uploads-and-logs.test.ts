import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { LogArchive, LogArchiveArgs } from "../../../components/storage/log-archive";
import { Uploads, UploadsArgs } from "../../../components/storage/uploads";
import { configSchema } from "../../../stacks/schema";
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
        const west = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
        new LogArchive("log-archive", {
            bucketName: "acme-prod-log-archive-us-east-1",
            accountId: "123456789012",
            retentionDays: complianceDays,
            breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
            trailName: "fortress-prod",
            dataEventBucketArns: ["arn:aws:s3:::acme-prod-tier1-us-east-1"],
            accessLogSources: [{ bucketName: "acme-prod-access-logs-us-west-2", bucketArn: "arn:aws:s3:::acme-prod-access-logs-us-west-2", provider: west }],
            ...over,
        });
    };
}

describe("storage/LogArchive", () => {
    it("locks the archive in COMPLIANCE mode for seven years", async () => {
        const rs = await recordResources(archive());
        assert.strictEqual(complianceDays, 2557, "seven years");
        assert.strictEqual(one(rs, "aws:s3/bucket:Bucket").inputs.objectLockEnabled, true);
        const lock = one(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule.defaultRetention;
        assert.deepStrictEqual(lock, { mode: "COMPLIANCE", days: 2557 });
        const rule = one(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[0];
        assert.ok(rule.expiration.days > 2557, "the lifecycle never expires a locked log");
    });

    it("receives a multi-Region CloudTrail trail with log-file validation, and only that trail may write", async () => {
        const rs = await recordResources(archive());
        const trail = one(rs, "aws:cloudtrail/trail:Trail").inputs;
        assert.strictEqual(trail.isMultiRegionTrail, true);
        assert.strictEqual(trail.enableLogFileValidation, true);
        assert.strictEqual(trail.s3BucketName, "acme-prod-log-archive-us-east-1");
        assert.deepStrictEqual(trail.eventSelectors[0].dataResources[0].values, ["arn:aws:s3:::acme-prod-tier1-us-east-1/"]);
        const write = policyOf(one(rs, "aws:s3/bucketPolicy:BucketPolicy")).Statement.find((s) => s.Sid === "CloudTrailWrite");
        assert.strictEqual(write.Condition.StringEquals["aws:SourceArn"], "arn:aws:cloudtrail:us-east-1:123456789012:trail/fortress-prod");
    });

    it("copies each region's access logs in by replication from that region", async () => {
        const rs = await recordResources(archive());
        const rep = one(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        assert.strictEqual(rep.region, "us-west-2");
        assert.strictEqual(rep.inputs.bucket, "acme-prod-access-logs-us-west-2");
        assert.strictEqual(rep.inputs.rules[0].destination.bucket, "arn:aws:s3:::acme-prod-log-archive-us-east-1");
        assert.strictEqual(ofType(rs, "aws:s3/bucketLogging:BucketLogging").length, 0, "the archive does not log itself into a bucket that replicates back");
    });

    it("refuses a retention under a year", async () => {
        assert.match((await errorOf(() => recordResources(archive({ retentionDays: 30 })))).message, /retentionDays 30 is under a year/);
    });
});

import * as assert from "assert";
import { runUnderMocks } from "../../../tools/mock-runtime";
import {
    AlarmSet,
    AlertTopic,
    FailoverEndpoint,
    backupAgeAlarms,
    backupGraceSeconds,
    replicationAlarms,
    validateAlarms,
    validateFailoverArgs,
    MAX_ALARM_WINDOW_SECONDS,
} from "../../../components/detection";
import type { RecordedResource } from "../../../components/core/recorded-resource";

const args = {
    zoneId: "Z0TEST",
    hostname: "app.example.com",
    primaryTarget: "primary-lb.elb.us-east-1.amazonaws.com",
    drTarget: "dr.app.example.com",
};
const of = (rs: RecordedResource[], type: string) => rs.filter((r) => r.type === type);

describe("FailoverEndpoint", () => {
    it("checks both regions over HTTPS every 10 s, 3 failures, from three checker regions, latency measured", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new FailoverEndpoint("app", args);
        });
        const checks = of(resources, "aws:route53/healthCheck:HealthCheck");
        assert.deepStrictEqual(checks.map((c) => c.inputs.fqdn).sort(), [args.drTarget, args.primaryTarget].sort());
        for (const c of checks) {
            assert.strictEqual(c.inputs.type, "HTTPS");
            assert.strictEqual(c.inputs.requestInterval, 10);
            assert.strictEqual(c.inputs.failureThreshold, 3);
            assert.strictEqual(c.inputs.measureLatency, true);
            assert.strictEqual(c.inputs.resourcePath, "/healthz");
            assert.ok(new Set(c.inputs.regions).size >= 3);
        }
    });

    it("declares a PRIMARY and a SECONDARY CNAME with a 30 s TTL, each tied to its region's check", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new FailoverEndpoint("app", args);
        });
        const records = of(resources, "aws:route53/record:Record");
        const byRole = Object.fromEntries(records.map((r) => [r.inputs.failoverRoutingPolicies[0].type, r]));
        assert.deepStrictEqual(Object.keys(byRole).sort(), ["PRIMARY", "SECONDARY"]);
        assert.deepStrictEqual(byRole.PRIMARY.inputs.records, [args.primaryTarget]);
        assert.deepStrictEqual(byRole.SECONDARY.inputs.records, [args.drTarget]);
        assert.strictEqual(byRole.PRIMARY.inputs.healthCheckId, "app-primary-id");
        assert.strictEqual(byRole.SECONDARY.inputs.healthCheckId, "app-dr-id");
        for (const r of records) {
            assert.strictEqual(r.inputs.type, "CNAME");
            assert.strictEqual(r.inputs.ttl, 30);
            assert.strictEqual(r.inputs.name, args.hostname);
        }
    });

    it("after a promotion (activeRegion dr) the PRIMARY record points at the DR region, so nothing fails back on its own", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new FailoverEndpoint("app", { ...args, activeRegion: "dr" });
        });
        const primary = of(resources, "aws:route53/record:Record").find((r) => r.inputs.failoverRoutingPolicies[0].type === "PRIMARY")!;
        assert.deepStrictEqual(primary.inputs.records, [args.drTarget]);
        assert.strictEqual(primary.inputs.healthCheckId, "app-dr-id");
    });

    it("rejects a TTL over 60 s, two checker regions, an interval Route 53 does not offer, naming each field", () => {
        assert.throws(
            () => validateFailoverArgs("app", { ...args, ttlSeconds: 300, checkerRegions: ["us-east-1", "eu-west-1"], intervalSeconds: 15 as 10 }),
            (e: Error) => /ttlSeconds: 300 must be 1\.\.60/.test(e.message) && /checkerRegions: 2 given/.test(e.message) && /intervalSeconds: 15/.test(e.message),
        );
        assert.throws(() => validateFailoverArgs("app", { ...args, checkerRegions: ["us-east-1", "us-west-2", "eu-central-1"] }), /eu-central-1 cannot run Route 53 health checkers/);
    });
});

describe("alarm rules", () => {
    it("backup age: one interval plus grace per data class and tier, silence breaching only where the window fits in a day", () => {
        const specs = backupAgeAlarms({ redis: { tier1: { snapshot: "*/5 * * * *", retentionDays: 1 } }, configuration: { tier3: { snapshot: "0 4 * * 0", retentionDays: 365 } } });
        const redis = specs.find((s) => s.name === "backup-age-redis-tier1")!;
        assert.strictEqual(redis.threshold, 300 + backupGraceSeconds(300));
        assert.strictEqual(redis.treatMissingData, "breaching");
        assert.deepStrictEqual(redis.dimensions, { DataClass: "redis", Tier: "tier1" });
        assert.strictEqual(redis.home, "dr");
        const weekly = specs.find((s) => s.name === "backup-age-configuration-tier3")!;
        assert.strictEqual(weekly.threshold, 7 * 86_400 + backupGraceSeconds(7 * 86_400));
        assert.strictEqual(weekly.periodSeconds * weekly.evaluationPeriods <= MAX_ALARM_WINDOW_SECONDS, true);
        assert.strictEqual(weekly.treatMissingData, "notBreaching");
    });

    it("replication: latency alarm in the DR region (where S3 publishes it), failures in the source region", () => {
        const specs = replicationAlarms({ ruleId: "tier1-to-tier2", sourceBucket: "a", destinationBucket: "b", destinationIsDr: true }, 300);
        assert.deepStrictEqual(specs.map((s) => [s.metricName, s.home]), [["ReplicationLatency", "dr"], ["OperationsFailedReplication", "primary"]]);
        assert.deepStrictEqual(specs[0].dimensions, { SourceBucket: "a", DestinationBucket: "b", RuleId: "tier1-to-tier2" });
        assert.strictEqual(replicationAlarms({ ruleId: "x", sourceBucket: "a", destinationBucket: "c", destinationIsDr: false }, 300).length, 1);
    });

    it("refuses a window over one day and a period CloudWatch does not take", () => {
        const [base] = backupAgeAlarms({ redis: { tier1: { snapshot: "*/5 * * * *", retentionDays: 1 } } });
        assert.throws(() => validateAlarms("x", [{ ...base, periodSeconds: 3600, evaluationPeriods: 25 }]), /exceeds CloudWatch's one-day limit/);
        assert.throws(() => validateAlarms("x", [{ ...base, periodSeconds: 45 }]), /periodSeconds: 45/);
    });

    it("AlarmSet tells its topic on ALARM and OK; AlertTopic lets only this account's CloudWatch publish", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            const topic = new AlertTopic("alerts", { topicName: "t", accountId: "123456789012", subscribers: [{ protocol: "email", endpoint: "oncall@example.com" }] });
            new AlarmSet("alarms", { alarms: backupAgeAlarms({ redis: { tier1: { snapshot: "*/5 * * * *", retentionDays: 1 } } }), namePrefix: "p", topicArn: topic.arn });
        });
        const alarm = of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")[0];
        assert.strictEqual(alarm.inputs.name, "p-backup-age-redis-tier1");
        assert.deepStrictEqual(alarm.inputs.alarmActions, alarm.inputs.okActions);
        assert.match(alarm.inputs.alarmActions[0], /^arn:aws:sns:/);
        const policy = JSON.parse(of(resources, "aws:sns/topicPolicy:TopicPolicy")[0].inputs.policy);
        const allow = policy.Statement.find((s: any) => s.Effect === "Allow");
        assert.deepStrictEqual(allow.Principal, { Service: "cloudwatch.amazonaws.com" });
        assert.deepStrictEqual(allow.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
        assert.strictEqual(of(resources, "aws:sns/topicSubscription:TopicSubscription")[0].inputs.endpoint, "oncall@example.com");
    });
});

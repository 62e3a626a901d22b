import * as assert from "assert";
import { AlertTopic, SecurityDetection, TAMPER_CALLS, findingsPattern, tamperingPattern, validateSecurityDetectionArgs } from "../../../components/detection";
import { REQUIRED_TAMPER_CALLS } from "../../../objectives";
import { childrenOf, one, ofType, policyOf, recordResources } from "../../helpers/pulumi";

const args = { namePrefix: "pat-fortress-prod", alertTopicArn: "arn:aws:sns:us-east-1:111111111111:pat-fortress-prod-alerts", watchedBucketPrefixes: ["pat-fortress-prod-"] };
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";

describe("SecurityDetection", () => {
    it("enables GuardDuty (15-minute updates) with S3 data-event and EKS audit-log protection", async () => {
        const rs = await recordResources(() => void new SecurityDetection("security-us-east-1", args));
        const detector = one(rs, "aws:guardduty/detector:Detector");
        assert.deepStrictEqual([detector.inputs.enable, detector.inputs.findingPublishingFrequency], [true, "FIFTEEN_MINUTES"]);
        const features = ofType(rs, "aws:guardduty/detectorFeature:DetectorFeature");
        assert.deepStrictEqual(features.map((f) => [f.inputs.name, f.inputs.status]).sort(), [["EKS_AUDIT_LOGS", "ENABLED"], ["S3_DATA_EVENTS", "ENABLED"]]);
        const parent = one(rs, "fortress:detection:SecurityDetection");
        assert.strictEqual(childrenOf(rs, parent).length, 7, "detector, 2 features, 2 rules, 2 targets");
        const without = await recordResources(() => void new SecurityDetection("s", { ...args, eksProtection: false }));
        assert.deepStrictEqual(ofType(without, "aws:guardduty/detectorFeature:DetectorFeature").map((f) => f.inputs.name), ["S3_DATA_EVENTS"]);
    });

    it("routes findings of severity 7+ and the tampering calls to the alert topic", async () => {
        const rs = await recordResources(() => void new SecurityDetection("security-us-east-1", args));
        const findings = one(rs, RULE, "security-us-east-1-findings");
        assert.deepStrictEqual(JSON.parse(findings.inputs.eventPattern), { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { severity: [{ numeric: [">=", 7] }] } });
        const tampering = one(rs, RULE, "security-us-east-1-tampering");
        const p = JSON.parse(tampering.inputs.eventPattern);
        assert.deepStrictEqual(p["detail-type"], ["AWS API Call via CloudTrail"]);
        const s3 = p.detail.$or.find((o: any) => o.eventSource[0] === "s3.amazonaws.com");
        assert.deepStrictEqual(s3.requestParameters.bucketName, [{ prefix: "pat-fortress-prod-" }]);
        assert.ok(s3.eventName.includes("PutObjectLockConfiguration") && s3.eventName.includes("DeleteBucketPolicy"));
        assert.deepStrictEqual(p.detail.$or.find((o: any) => o.eventSource[0] === "cloudtrail.amazonaws.com").eventName, [...TAMPER_CALLS["cloudtrail.amazonaws.com"]]);
        const targets = ofType(rs, TARGET);
        assert.deepStrictEqual(targets.map((t) => [t.inputs.rule, t.inputs.arn]).sort(), [
            ["pat-fortress-prod-backup-tampering", args.alertTopicArn],
            ["pat-fortress-prod-guardduty-findings", args.alertTopicArn],
        ]);
    });

    it("covers every call the objectives model requires of a tampering rule", () => {
        const names = new Set(JSON.stringify(tamperingPattern(["x-y-"])).match(/"[A-Za-z]+"/g)!.map((n) => n.slice(1, -1)));
        for (const alts of REQUIRED_TAMPER_CALLS) assert.ok(alts.some((a) => names.has(a)), `missing ${alts.join("/")}`);
        assert.deepStrictEqual((findingsPattern(4) as any).detail.severity, [{ numeric: [">=", 4] }]);
    });

    it("two regions' instances do not collide: children named from the instance, rule names per region", async () => {
        const rs = await recordResources(() => {
            new SecurityDetection("security-us-east-1", args);
            new SecurityDetection("security-us-west-2", { ...args, alertTopicArn: "arn:aws:sns:us-west-2:111111111111:t" });
        });
        const names = rs.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type}::${r.name}`);
        assert.strictEqual(new Set(names).size, names.length, "no two resources share type and name");
        assert.strictEqual(ofType(rs, "aws:guardduty/detector:Detector").length, 2);
        for (const r of rs.filter((x) => x.type.startsWith("aws:"))) assert.match(r.name, /^security-us-(east-1|west-2)-/);
    });

    it("rejects bad args, naming each field", () => {
        assert.throws(
            () => validateSecurityDetectionArgs("s", { ...args, namePrefix: "a b", minimumSeverity: 11, watchedBucketPrefixes: ["x", "x"] }),
            (e: Error) => /namePrefix: "a b"/.test(e.message) && /minimumSeverity: 11 must be 1\.\.10/.test(e.message) && /watchedBucketPrefixes: "x" is not the start/.test(e.message) && /x is listed twice/.test(e.message),
        );
        assert.throws(() => validateSecurityDetectionArgs("s", { ...args, watchedBucketPrefixes: [] }), /watchedBucketPrefixes: empty/);
    });
});

describe("AlertTopic policy", () => {
    it("lets EventBridge rules of this account publish, as well as CloudWatch alarms", async () => {
        const rs = await recordResources(() => void new AlertTopic("alerts-us-east-1", { topicName: "t", accountId: "111111111111" }));
        const stmts = policyOf(one(rs, "aws:sns/topicPolicy:TopicPolicy")).Statement;
        const events = stmts.find((s) => s.Principal?.Service === "events.amazonaws.com");
        assert.ok(events, "an Allow for events.amazonaws.com");
        assert.deepStrictEqual([events.Effect, events.Action, events.Condition], ["Allow", "sns:Publish", { StringEquals: { "aws:SourceAccount": "111111111111" } }]);
        assert.ok(stmts.some((s) => s.Principal?.Service === "cloudwatch.amazonaws.com"));
    });
});

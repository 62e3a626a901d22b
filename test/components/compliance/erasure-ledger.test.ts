import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { ErasureLedger, ErasureLedgerArgs } from "../../../components/compliance/erasure-ledger";
import { LEDGER_FORBIDDEN_S3_ACTIONS } from "../../../components/compliance/erasure-ledger-policy";
import { errorOf, ofType, policyOf, recordResources } from "../../helpers/pulumi";

function ledger(over: Partial<ErasureLedgerArgs> = {}) {
    return () => {
        const primary = new aws.Provider("aws-us-east-1", { region: "us-east-1" });
        const dr = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
        new ErasureLedger(
            "erasure-ledger",
            {
                bucketName: "acme-prod-erasure-ledger-us-east-1",
                replicaBucketName: "acme-prod-erasure-ledger-us-west-2",
                replicaProvider: dr,
                kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/mrk-1",
                replicaKmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/mrk-1",
                retentionDays: 2557,
                longestBackupRetentionDays: 365,
                breakGlassRoleArn: "arn:aws:iam::123456789012:role/break-glass",
                accountId: "123456789012",
                oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
                appender: { namespace: "platform", serviceAccounts: ["api"] },
                reader: { namespace: "fortress", serviceAccounts: ["fortress-restore"] },
                replicaAlarmTopicArn: "arn:aws:sns:us-west-2:123456789012:alerts",
                ...over,
            },
            { provider: primary },
        );
    };
}

describe("compliance/ErasureLedger", () => {
    it("declares two Object Lock (COMPLIANCE, 7 years) buckets, one per region, tagged as the ledger", async () => {
        const rs = await recordResources(ledger());
        const buckets = ofType(rs, "aws:s3/bucket:Bucket");
        assert.deepStrictEqual(buckets.map((b) => [b.inputs.bucket, b.region, b.inputs.objectLockEnabled, b.inputs.tags["fortress:purpose"]]).sort(), [
            ["acme-prod-erasure-ledger-us-east-1", "us-east-1", true, "erasure-ledger"],
            ["acme-prod-erasure-ledger-us-west-2", "us-west-2", true, "erasure-ledger"],
        ]);
        const locks = ofType(rs, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
        assert.deepStrictEqual(locks.map((l) => l.inputs.rule.defaultRetention), [{ mode: "COMPLIANCE", days: 2557 }, { mode: "COMPLIANCE", days: 2557 }]);
        for (const l of ofType(rs, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")) {
            assert.strictEqual(l.inputs.rules[0].transitions, undefined, "no Deep Archive: a replay must read every entry during a restore");
            assert.strictEqual(l.inputs.rules[0].expiration.days, 2558);
        }
        assert.ok(buckets.every((b) => b.retainOnDelete));
    });

    it("replicates the ledger prefix to the DR copy with RTC, and alarms there", async () => {
        const rs = await recordResources(ledger());
        const [rep] = ofType(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        assert.strictEqual(rep.inputs.rules[0].destination.bucket, "arn:aws:s3:::acme-prod-erasure-ledger-us-west-2");
        assert.strictEqual(rep.inputs.rules[0].filter.prefix, "erasure-ledger/");
        assert.strictEqual(rep.inputs.rules[0].destination.replicationTime.status, "Enabled");
        const [alarm] = ofType(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.strictEqual(alarm.region, "us-west-2");
    });

    it("both bucket policies refuse a PUT without If-None-Match and a delete by anyone but break-glass", async () => {
        const rs = await recordResources(ledger());
        const policies = ofType(rs, "aws:s3/bucketPolicy:BucketPolicy");
        assert.strictEqual(policies.length, 2);
        for (const p of policies) {
            const st = policyOf(p).Statement;
            const put = st.find((s) => s.Sid === "DenyOverwriteOfEntries")!;
            assert.deepStrictEqual([put.Effect, put.Principal, put.Action, put.Condition], ["Deny", "*", "s3:PutObject", { Null: { "s3:if-none-match": "true" } }]);
            assert.ok(st.some((s) => s.Sid === "DenyHidingEntriesExceptBreakGlass" && (s.Action as string[]).includes("s3:DeleteObject")));
            assert.ok(st.some((s) => s.Sid === "DenyInsecureTransport"));
        }
    });

    it("the appender may only PUT new keys under erasure-ledger/ and is denied every destructive action; the reader only reads", async () => {
        const rs = await recordResources(ledger());
        const byName = Object.fromEntries(ofType(rs, "aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, policyOf(p).Statement]));
        const app = byName["erasure-ledger-appender-policy"];
        const allows = app.filter((s) => s.Effect === "Allow");
        assert.deepStrictEqual(allows.map((s) => s.Action), ["s3:PutObject", ["kms:GenerateDataKey", "kms:DescribeKey"]]);
        assert.deepStrictEqual(allows[0].Resource, "arn:aws:s3:::acme-prod-erasure-ledger-us-east-1/erasure-ledger/*");
        assert.deepStrictEqual(allows[0].Condition, { Null: { "s3:if-none-match": "false" } });
        const never = app.find((s) => s.Sid === "NeverDestroyTheLedger")!;
        assert.deepStrictEqual(never.Action, [...LEDGER_FORBIDDEN_S3_ACTIONS]);
        for (const a of ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy"]) {
            assert.ok((never.Action as string[]).includes(a), a);
        }
        const reader = byName["erasure-ledger-reader-policy"];
        assert.ok(reader.find((s) => s.Sid === "NeverWriteOrDestroyTheLedger" && (s.Action as string[]).includes("s3:PutObject")));
        const trust = ofType(rs, "aws:iam/role:Role", /-(appender|reader)$/).map((r) => JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub"]);
        assert.deepStrictEqual(trust.sort(), [["system:serviceaccount:fortress:fortress-restore"], ["system:serviceaccount:platform:api"]]);
    });

    it("refuses a retention shorter than the longest backup's, naming the fix", async () => {
        const e = (await errorOf(ledger({ retentionDays: 400, longestBackupRetentionDays: 730 }))).message;
        assert.match(e, /retentionDays 400 is shorter than the longest backup retention \(730 days\).*raise storage.complianceRetentionDays/);
    });

    it("refuses an appender without service accounts", async () => {
        const e = (await errorOf(ledger({ appender: { namespace: "platform", serviceAccounts: [] } }))).message;
        assert.match(e, /appender.serviceAccounts is empty; name the application's service accounts \(erasure.ledger.appenderServiceAccounts\)/);
    });
});

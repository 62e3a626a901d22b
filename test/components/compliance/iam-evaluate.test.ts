import * as assert from "assert";
import { appenderPolicy, ledgerBucketPolicy, ledgerReaderPolicy } from "../../../components/compliance/erasure-ledger-policy";
import { evaluate } from "../../../components/compliance/iam-evaluate";

const B = "arn:aws:s3:::acme-prod-erasure-ledger-us-east-1";
const K = "arn:aws:kms:us-east-1:1:key/mrk-1";
const BG = "arn:aws:iam::1:role/break-glass";
const APP = "arn:aws:iam::1:role/erasure-ledger-appender";
const ENTRY = `${B}/erasure-ledger/2026/12/20261203T060000000Z-r1.json`;
const TLS = { "aws:SecureTransport": "true" };

/** The appender's view: its role policy and the bucket policy together. */
const asAppender = (action: string, resource: string, context: Record<string, string> = TLS) =>
    evaluate([appenderPolicy(B, K), ledgerBucketPolicy(B, BG)], { action, resource, principalArn: APP, context });

describe("the ledger's IAM documents under policy evaluation (components/compliance/iam-evaluate.ts)", () => {
    it("the appender may PUT a new entry with If-None-Match", () => assert.strictEqual(asAppender("s3:PutObject", ENTRY, { ...TLS, "s3:if-none-match": "*" }), "allow"));

    it("a PUT without If-None-Match (an overwrite) is an explicit deny", () => assert.strictEqual(asAppender("s3:PutObject", ENTRY), "explicit-deny"));

    it("a PUT over plain HTTP is an explicit deny even with the header", () => assert.strictEqual(asAppender("s3:PutObject", ENTRY, { "aws:SecureTransport": "false", "s3:if-none-match": "*" }), "explicit-deny"));

    it("outside the prefix the appender writes nothing", () => assert.strictEqual(asAppender("s3:PutObject", `${B}/cloudtrail/x`, { ...TLS, "s3:if-none-match": "*" }), "implicit-deny"));

    for (const [action, resource] of [
        ["s3:DeleteObject", ENTRY],
        ["s3:DeleteObjectVersion", ENTRY],
        ["s3:PutObjectRetention", ENTRY],
        ["s3:PutObjectLegalHold", ENTRY],
        ["s3:BypassGovernanceRetention", ENTRY],
        ["s3:PutLifecycleConfiguration", B],
        ["s3:PutBucketPolicy", B],
        ["s3:DeleteBucketPolicy", B],
        ["s3:PutBucketObjectLockConfiguration", B],
        ["s3:PutBucketVersioning", B],
        ["s3:DeleteBucket", B],
    ]) {
        it(`the appender's ${action} is an explicit deny`, () => assert.strictEqual(asAppender(action, resource, { ...TLS, "s3:if-none-match": "*" }), "explicit-deny"));
    }

    it("the appender cannot read the ledger (append only)", () => assert.strictEqual(asAppender("s3:GetObject", ENTRY), "implicit-deny"));

    it("the reader reads every version and writes nothing", () => {
        const docs = [ledgerReaderPolicy([B], [K]), ledgerBucketPolicy(B, BG)];
        const r = (action: string, resource: string, extra: Record<string, string> = {}) => evaluate(docs, { action, resource, principalArn: "arn:aws:iam::1:role/reader", context: { ...TLS, ...extra } });
        assert.strictEqual(r("s3:GetObjectVersion", ENTRY), "allow");
        assert.strictEqual(r("s3:ListBucketVersions", B), "allow");
        assert.strictEqual(r("s3:PutObject", ENTRY, { "s3:if-none-match": "*" }), "explicit-deny");
        assert.strictEqual(r("s3:DeleteObject", ENTRY), "explicit-deny");
    });

    it("the bucket policy alone stops any principal's overwrite and delete; break-glass may delete a version", () => {
        const bp = [ledgerBucketPolicy(B, BG), { Version: "2012-10-17" as const, Statement: [{ Sid: "Admin", Effect: "Allow" as const, Action: "s3:*", Resource: "*" }] }];
        const as = (principalArn: string, action: string, extra: Record<string, string> = {}) => evaluate(bp, { action, resource: ENTRY, principalArn, context: { ...TLS, ...extra } });
        assert.strictEqual(as("arn:aws:iam::1:role/admin", "s3:PutObject"), "explicit-deny");
        assert.strictEqual(as("arn:aws:iam::1:role/admin", "s3:DeleteObject"), "explicit-deny");
        assert.strictEqual(as("arn:aws:iam::1:role/admin", "s3:DeleteObjectVersion"), "explicit-deny");
        assert.strictEqual(as(BG, "s3:DeleteObjectVersion"), "allow");
    });

    it("refuses an operator it does not know rather than guessing", () =>
        assert.throws(() => evaluate([{ Version: "2012-10-17", Statement: [{ Sid: "X", Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { NumericLessThan: { "s3:max-keys": "5" } } }] }], { action: "s3:ListBucket", resource: B }), /NumericLessThan is not supported/));
});

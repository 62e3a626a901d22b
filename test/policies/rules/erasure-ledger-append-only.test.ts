import * as assert from "assert";
import { erasureLedgerAppendOnly } from "../../../policies/rules/erasure-ledger-append-only";
import { RULES } from "../../../policies/rules";
import { DR, PRIMARY, StackFixture, check, compliantPrimary, fixtureConfig, hardenedBucket, violations } from "../fixtures";

const BUCKET = "aws:s3/bucket:Bucket";
const LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";
const POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MANIFEST = "aws:s3/bucketObjectv2:BucketObjectv2";

const ERASURE = { ledger: { appenderServiceAccounts: ["api"] }, database: { routine: "select erase_subject($1)", verify: "select subject_rows($1)" } };

const FORBIDDEN = [
    "s3:DeleteObjectVersion", "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
    "s3:PutReplicationConfiguration", "s3:DeleteReplicationConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention", "s3:PutEncryptionConfiguration", "s3:DeleteObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutBucketAcl",
    "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
];

/** The appender's policy, written out by hand (not from the component under test). */
const APPENDER = {
    Version: "2012-10-17",
    Statement: [
        { Sid: "AppendNewEntriesOnly", Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::b-ledger/erasure-ledger/*", Condition: { Null: { "s3:if-none-match": "false" } } },
        { Sid: "EncryptEntries", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: "arn:aws:kms:us-east-1:123456789012:key/mrk-1" },
        { Sid: "NeverDestroyTheLedger", Effect: "Deny", Action: FORBIDDEN, Resource: "*" },
    ],
};

const ledgerPolicy = (arn: string) =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
            { Sid: "DenyOverwriteOfEntries", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: [`${arn}/erasure-ledger/*`], Condition: { Null: { "s3:if-none-match": "true" } } },
        ],
    });

/** The compliant primary plus an erasure section and the ledger: two locked buckets, the appender. */
function withLedger(environment: "prod" | "dev" = "prod"): StackFixture {
    const { fixture: f } = compliantPrimary(environment);
    const tier1 = f.find(BUCKET, "tier1");
    f.remove(MANIFEST, "dr-manifest");
    f.manifest(fixtureConfig(environment, (raw) => (raw.erasure = ERASURE)), tier1);
    for (const [name, region] of [["ledger", PRIMARY], ["ledger-replica", DR]] as const) {
        hardenedBucket(f, name, region, { tags: { "fortress:purpose": "erasure-ledger" }, lifecycle: [], objectLockDays: 2557, objectLockMode: environment === "dev" ? "GOVERNANCE" : "COMPLIANCE", protect: true });
        f.edit(POLICY, `${name}-policy`, (i) => (i.policy = ledgerPolicy(`arn:aws:s3:::b-${name}`)));
    }
    const role = f.add("aws:iam/role:Role", "ledger-appender", { assumeRolePolicy: "{}" });
    f.add(ROLE_POLICY, "ledger-appender-policy", { role: "ledger-appender-id", policy: JSON.stringify(APPENDER) }, { deps: { role: [role] } });
    return f;
}

function editAppender(f: StackFixture, change: (doc: typeof APPENDER) => void): StackFixture {
    return f.edit(ROLE_POLICY, "ledger-appender-policy", (i) => {
        const d = JSON.parse(i.policy);
        change(d);
        i.policy = JSON.stringify(d);
    });
}

describe("policy erasure-ledger-append-only", () => {
    it("is registered in the pack and serves GDPR Art. 17", () => {
        assert.ok(RULES.includes(erasureLedgerAppendOnly));
        assert.ok(erasureLedgerAppendOnly.compliance.some((c) => c.framework === "GDPR" && c.control.startsWith("Art. 17")));
    });

    it("passes: locked ledger in two regions, append-only appender", async () => {
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, withLedger().records)), []);
        assert.strictEqual((await check(erasureLedgerAppendOnly, withLedger().records)).status, "pass");
    });

    it("passes in dev with GOVERNANCE", async () => assert.strictEqual((await check(erasureLedgerAppendOnly, withLedger("dev").records)).status, "pass"));

    it("not applicable: no ledger and no erasure config", async () => {
        const o = await check(erasureLedgerAppendOnly, compliantPrimary().fixture.records);
        assert.deepStrictEqual(violations(o), []);
        assert.ok(o.notApplicable);
    });

    it("fails: erasure procedures declared but no ledger", async () => {
        const f = withLedger().remove(BUCKET, "ledger").remove(BUCKET, "ledger-replica");
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "the stack config declares erasure procedures (erasure) but no erasure ledger bucket (tag fortress:purpose: erasure-ledger); without it a restore brings erased subjects back unnoticed",
        ]);
    });

    it("not applicable: a DR stack with an erasure section reads the primary's ledger and declares none", async () => {
        const { fixture: f } = compliantPrimary();
        f.remove(MANIFEST, "dr-manifest");
        f.manifest(fixtureConfig("prod", (raw) => Object.assign(raw, { role: "dr", erasure: ERASURE, dr: { primaryStack: "o/fortress-dr/prod" } })), f.find(BUCKET, "tier1"));
        const o = await check(erasureLedgerAppendOnly, f.records);
        assert.deepStrictEqual(violations(o), []);
        assert.ok(o.notApplicable);
    });

    it("fails: a ledger bucket without Object Lock", async () => {
        const f = withLedger().edit(BUCKET, "ledger", (i) => (i.objectLockEnabled = false)).remove(LOCK, "ledger-object-lock");
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "Bucket ledger: objectLockEnabled is not true; the ledger must be under Object Lock so no one can delete an entry",
            "Bucket ledger: no Object Lock default retention is declared (BucketObjectLockConfiguration); without it new entries are not locked",
        ]);
    });

    it("fails: GOVERNANCE lock in prod", async () => {
        const f = withLedger().edit(LOCK, "ledger-replica-object-lock", (i) => (i.rule.defaultRetention.mode = "GOVERNANCE"));
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "Bucket ledger-replica: Object Lock mode GOVERNANCE; the ledger needs COMPLIANCE (GOVERNANCE can be bypassed; it is for dev only)",
        ]);
    });

    it("fails: a bucket policy that lets anyone PUT without If-None-Match", async () => {
        const f = withLedger().edit(POLICY, "ledger-policy", (i) => {
            const d = JSON.parse(i.policy);
            d.Statement = d.Statement.filter((s: { Sid: string }) => s.Sid !== "DenyOverwriteOfEntries");
            i.policy = JSON.stringify(d);
        });
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "Bucket ledger: its bucket policy does not deny s3:PutObject without s3:if-none-match to every principal; a writer could replace an entry's current version",
        ]);
    });

    it("fails: no copy in a second region", async () => {
        const f = withLedger().remove(BUCKET, "ledger-replica");
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "the erasure ledger has no copy in a second region (ledger buckets in us-east-1); a regional disaster would lose the record of every erasure",
        ]);
    });

    it("fails: the writer may overwrite (PutObject without the If-None-Match condition)", async () => {
        const f = editAppender(withLedger(), (d) => delete (d.Statement[0] as { Condition?: unknown }).Condition);
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            'Role ledger-appender may PUT into the erasure ledger b-ledger without s3:if-none-match (statement AppendNewEntriesOnly), so it could overwrite an entry; require the header (Condition Null s3:if-none-match "false") or deny its absence',
        ]);
    });

    it("passes: an unconditioned PutObject Allow is fine when a Deny refuses a PUT without If-None-Match", async () => {
        const f = editAppender(withLedger(), (d) => {
            delete (d.Statement[0] as { Condition?: unknown }).Condition;
            d.Statement.push({ Sid: "DenyOverwrite", Effect: "Deny", Action: "s3:PutObject", Resource: "arn:aws:s3:::b-ledger/erasure-ledger/*", Condition: { Null: { "s3:if-none-match": "true" } } } as never);
        });
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), []);
    });

    it("fails: the writer is allowed to delete (and has lost part of its Deny)", async () => {
        const f = editAppender(withLedger(), (d) => {
            d.Statement.push({ Sid: "Cleanup", Effect: "Allow", Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resource: "arn:aws:s3:::b-ledger/*" } as never);
            (d.Statement[2] as { Action: string[] }).Action = FORBIDDEN.filter((a) => a !== "s3:DeleteObjectVersion" && a !== "s3:DeleteObject");
        });
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            "Role ledger-appender writes the erasure ledger b-ledger and is allowed s3:DeleteObjectVersion, s3:DeleteObject on it",
            'Role ledger-appender writes the erasure ledger but has no explicit Deny on Resource "*" of s3:DeleteObjectVersion, s3:DeleteObject; an Allow attached later would let it destroy the ledger',
        ]);
    });

    it("fails: the writer's Deny does not cover governance bypass, retention, legal hold or lifecycle", async () => {
        const gone = ["s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutLifecycleConfiguration"];
        const f = editAppender(withLedger(), (d) => ((d.Statement[2] as { Action: string[] }).Action = FORBIDDEN.filter((a) => !gone.includes(a))));
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), [
            'Role ledger-appender writes the erasure ledger but has no explicit Deny on Resource "*" of s3:PutLifecycleConfiguration, s3:PutObjectRetention, s3:PutObjectLegalHold, s3:BypassGovernanceRetention; an Allow attached later would let it destroy the ledger',
        ]);
    });

    it("fails: a role with s3:* on every bucket writes the ledger too", async () => {
        const f = withLedger();
        const role = f.add("aws:iam/role:Role", "ops", { assumeRolePolicy: "{}" });
        f.add(ROLE_POLICY, "ops-policy", { role: "ops-id", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "*" }] }) }, { deps: { role: [role] } });
        const v = violations(await check(erasureLedgerAppendOnly, f.records));
        assert.strictEqual(v.length, 5, v.join("\n"));
        assert.match(v[0], /^Role ops writes the erasure ledger b-ledger and is allowed s3:DeleteObjectVersion, .*s3:DeleteObject/);
        assert.match(v[1], /^Role ops may PUT into the erasure ledger b-ledger without s3:if-none-match \(statement All\)/);
        assert.match(v[2], /^Role ops writes the erasure ledger b-ledger-replica and is allowed/);
        assert.match(v[4], /^Role ops writes the erasure ledger but has no explicit Deny/);
    });

    it("fails: AmazonS3FullAccess attached to any role", async () => {
        const f = withLedger();
        const role = f.find("aws:iam/role:Role", "ledger-appender");
        f.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "appender-full", { role: "ledger-appender-id", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }, { deps: { role: [role] } });
        assert.deepStrictEqual(violations(await check(erasureLedgerAppendOnly, f.records)), ["Role ledger-appender has AmazonS3FullAccess attached: it could delete or overwrite the erasure ledger"]);
    });
});

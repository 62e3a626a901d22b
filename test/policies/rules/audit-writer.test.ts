/**
 * backup-writer-cannot-destroy and the CLI's audit records: a role whose every write lands under
 * `fortress-audit/` (the scheduled recovery tests) writes no backup, so the Object Lock
 * retention its PUT carries (s3:PutObjectRetention) is allowed; the exemption stops there.
 */
import * as assert from "assert";
import { backupWriterCannotDestroy } from "../../../policies/rules/backup-writer-cannot-destroy";
import { check, compliantPrimary, violations } from "../fixtures";

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

function withWrite(resource: string, extraActions: string[]) {
    const { fixture } = compliantPrimary();
    fixture.edit(ROLE_POLICY, "tier1-writer-policy", (i) => {
        const doc = JSON.parse(i.policy);
        doc.Statement[1] = { Sid: "WriteAuditRecords", Effect: "Allow", Action: ["s3:PutObject", "s3:PutObjectRetention", ...extraActions], Resource: resource };
        i.policy = JSON.stringify(doc);
    });
    return fixture.records;
}

describe("policy backup-writer-cannot-destroy: the CLI's audit records", () => {
    it("passes: PutObject with its retention only under fortress-audit/<stack>/", async () => {
        assert.deepStrictEqual(violations(await check(backupWriterCannotDestroy, withWrite("arn:aws:s3:::b-tier3/fortress-audit/prod/*", []))), []);
    });

    it("fails: the same grant on the whole bucket (backups too)", async () => {
        assert.deepStrictEqual(violations(await check(backupWriterCannotDestroy, withWrite("arn:aws:s3:::b-tier3/*", []))), [
            "RolePolicy tier1-writer-policy writes backups and allows s3:PutObjectRetention (statement WriteAuditRecords); a backup writer must not destroy versions or change what keeps them",
        ]);
    });

    it("fails: a wildcard under the prefix root, or the governance bypass even under the prefix", async () => {
        assert.strictEqual(violations(await check(backupWriterCannotDestroy, withWrite("arn:aws:s3:::b-tier3/fortress-audit/*", []))).length, 1);
        const [m] = violations(await check(backupWriterCannotDestroy, withWrite("arn:aws:s3:::b-tier3/fortress-audit/prod/*", ["s3:BypassGovernanceRetention"])));
        assert.match(m, /allows s3:BypassGovernanceRetention/);
    });
});

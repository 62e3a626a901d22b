/**
 * Step 5 of the erasure drill: the ledger under attack. The appender tries to delete, overwrite,
 * unlock and re-configure the ledger; an admin tries to destroy a locked version.
 *
 * Each attempt is made against moto and judged by the ledger's policies (components/compliance/
 * iam-evaluate.ts). moto enforces IAM actions and resources, Object Lock on deletes and
 * If-None-Match, but (5.2.1) maps ?retention and ?legal-hold PUTs to s3:PutObject, does not
 * evaluate request condition keys (s3:if-none-match), and lets a COMPLIANCE retention be
 * replaced: for those three the policy evaluation is the proof, and they run last.
 */
import { DeleteObjectCommand, GetObjectCommand, PutBucketLifecycleConfigurationCommand, PutBucketPolicyCommand, PutObjectCommand, PutObjectLegalHoldCommand, PutObjectRetentionCommand } from "@aws-sdk/client-s3";
import { appenderPolicy, ledgerBucketPolicy } from "../../components/compliance/erasure-ledger-policy";
import { evaluate } from "../../components/compliance/iam-evaluate";
import type { ErasureDrill } from "./context";
import type { RecordedErasure } from "./ledger-lab";

/** The actions moto cannot judge (see above): the policy evaluation decides them. */
const MOTO_CANNOT_JUDGE = new Set(["s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutObject"]);

/** One destructive attempt: who, what, the endpoint's answer and (for the appender) the policy evaluation. */
interface Attempt {
    what: string;
    by: string;
    action: string;
    endpoint: string;
    refusedByEndpoint: boolean;
    policy?: string;
}

/** Every attempt on `target` (the first recorded entry), in order: what moto can judge first. */
async function attackLedger(drill: ErasureDrill, target: RecordedErasure): Promise<Attempt[]> {
    const { ledger, admin } = drill;
    const appender = ledger.client("appender");
    const B = ledger.ledgerBucket;
    const bucketArn = `arn:aws:s3:::${B}`;
    const policies = [appenderPolicy(bucketArn, "arn:aws:kms:eu-west-1:1:key/k"), ledgerBucketPolicy(bucketArn, "arn:aws:iam::1:role/break-glass")];
    const attempts: Attempt[] = [];
    const attempt = async (what: string, by: "appender" | "admin", action: string, resource: string, context: Record<string, string>, f: () => Promise<unknown>) => {
        let endpoint = "accepted";
        let refusedByEndpoint = false;
        try {
            await f();
        } catch (e) {
            refusedByEndpoint = true;
            endpoint = `${(e as { name?: string }).name} ${(e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? ""}`.trim();
        }
        const policy = by === "appender" ? evaluate(policies, { action, resource, principalArn: "arn:aws:iam::1:role/erasure-ledger-appender", context: { "aws:SecureTransport": "true", ...context } }) : undefined;
        attempts.push({ what, by, action, endpoint, refusedByEndpoint, policy });
    };
    const obj = `${bucketArn}/${target.key}`;
    const INM = { "s3:if-none-match": "*" };
    await attempt("overwrite with If-None-Match", "appender", "s3:PutObject", obj, INM, () => appender.send(new PutObjectCommand({ Bucket: B, Key: target.key, Body: "{}", IfNoneMatch: "*" })));
    await attempt("delete (delete marker)", "appender", "s3:DeleteObject", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key })));
    await attempt("delete the version", "appender", "s3:DeleteObjectVersion", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId })));
    await attempt("delete the version bypassing governance", "appender", "s3:BypassGovernanceRetention", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, BypassGovernanceRetention: true })));
    await attempt("add a lifecycle expiring entries", "appender", "s3:PutLifecycleConfiguration", bucketArn, {}, () => appender.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Days: 1 } }] } })));
    await attempt("replace the bucket policy", "appender", "s3:PutBucketPolicy", bucketArn, {}, () => appender.send(new PutBucketPolicyCommand({ Bucket: B, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) })));
    await attempt("delete the locked version (Object Lock COMPLIANCE)", "admin", "s3:DeleteObjectVersion", obj, {}, () => admin.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId })));
    await attempt("delete the locked version bypassing governance", "admin", "s3:BypassGovernanceRetention", obj, {}, () => admin.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, BypassGovernanceRetention: true })));
    // Last: what moto cannot judge (see above).
    await attempt("shorten the retention", "appender", "s3:PutObjectRetention", obj, {}, () => appender.send(new PutObjectRetentionCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 60_000) } })));
    await attempt("set a legal hold off", "appender", "s3:PutObjectLegalHold", obj, {}, () => appender.send(new PutObjectLegalHoldCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, LegalHold: { Status: "OFF" } })));
    await attempt("overwrite without If-None-Match (a forged, narrower entry)", "appender", "s3:PutObject", obj, {}, () =>
        appender.send(new PutObjectCommand({ Bucket: B, Key: target.key, Body: JSON.stringify({ ...target.entry, dataClasses: ["uploads"] }) + "\n", ChecksumAlgorithm: "SHA256" })),
    );
    return attempts;
}

/** The writer cannot delete, overwrite, unlock or re-configure the ledger; Object Lock refuses even an admin's version delete. */
export async function checkLedgerAttacksRefused(drill: ErasureDrill, recorded: readonly RecordedErasure[]): Promise<void> {
    const attempts = await attackLedger(drill, recorded[0]);
    const byEndpoint = attempts.filter((a) => a.refusedByEndpoint).length;
    const appenderAttempts = attempts.filter((a) => a.by === "appender");
    // A create-only PUT (If-None-Match) is what the policy allows; S3 itself refuses it over an existing key (412).
    const refusedWriter = (a: Attempt) => a.refusedByEndpoint || (MOTO_CANNOT_JUDGE.has(a.action) && a.policy === "explicit-deny");
    const byPolicyOnly = appenderAttempts.filter((a) => !a.refusedByEndpoint && refusedWriter(a)).length;
    drill.fig("erasure.ledger.attempts_refused_by_endpoint", "destructive attempts refused by the S3 endpoint (moto, IAM + Object Lock)", `${byEndpoint}/${attempts.length}`, "attempts");
    drill.fig("erasure.ledger.writer_attempts_refused", "writer attempts refused (endpoint, or policy evaluation where moto cannot judge)", `${appenderAttempts.filter(refusedWriter).length}/${appenderAttempts.length} (${byPolicyOnly} by evaluation)`, "attempts");
    const describeA = (a: Attempt) => `${a.by} ${a.what}: endpoint ${a.endpoint}${a.policy ? `, policy ${a.policy}` : ""}`;
    const writerOk = appenderAttempts.every(refusedWriter);
    drill.check("the writer role cannot delete, overwrite, unlock or re-configure the ledger (refused by the endpoint; explicit deny under policy evaluation where moto cannot judge)", writerOk, appenderAttempts.map(describeA).join("; "));
    const adminAttempts = attempts.filter((a) => a.by === "admin");
    drill.check("Object Lock (COMPLIANCE) refuses even an administrator's version delete", adminAttempts.every((a) => a.refusedByEndpoint), adminAttempts.map(describeA).join("; "));
}

/** Every recorded entry version is byte-identical after the attacks (read back by version id). */
export async function checkLedgerIntact(drill: ErasureDrill, recorded: readonly RecordedErasure[]): Promise<void> {
    const lost: string[] = [];
    let intact = 0;
    for (const r of recorded) {
        try {
            const got = await drill.admin.send(new GetObjectCommand({ Bucket: drill.ledger.ledgerBucket, Key: r.key, VersionId: r.versionId }));
            if ((await got.Body!.transformToString()) === r.body) intact++;
            else lost.push(`${r.key}: changed`);
        } catch (e) {
            lost.push(`${r.key} version ${r.versionId}: ${(e as Error).name}`);
        }
    }
    drill.fig("erasure.ledger.versions_destroyed_or_replaced", "recorded entry versions destroyed or changed", recorded.length - intact, "versions");
    drill.check(
        "every recorded entry version is intact after the attacks",
        intact === recorded.length,
        `${intact}/${recorded.length} original versions byte-identical (Object Lock keeps them; the replay reads every version, so the forged later version cannot narrow an erasure)${lost.length ? `; lost: ${lost.join(", ")}` : ""}`,
    );
}

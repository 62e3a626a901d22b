/**
 * The append-only audit trail: one JSON line per run attempt in `<state-dir>/audit.jsonl`
 * (opened with O_APPEND, never rewritten), and the same record written to the tier-3 bucket
 * with S3 Object Lock headers, so nobody with the operator's credentials can edit or delete it
 * within the retention.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as path from "path";
import { deadlineSignal } from "./drivers/types";
import type { AuditSink, Wait } from "./drivers/types";
import type { Json } from "./runner";

export interface AuditRecord {
    readonly schemaVersion: "fortress.audit/v1";
    readonly runId: string;
    readonly attempt: number;
    readonly command: string;
    readonly stack: string;
    readonly who: string;
    readonly host: string;
    readonly startedAt: string;
    readonly recordedAt: string;
    readonly reason: string | null;
    readonly args: Record<string, Json>;
    readonly plan: readonly { id: string; phase: string; budgetSeconds: number; status: string; seconds: number | null }[];
    readonly dataLossBound: { seconds: number | null; why: string };
    readonly outcome: string;
    readonly message: string | null;
    readonly driver: string | null;
    /** Erasure requests replayed by the run (cli/erasure/step.ts): request id, time, data classes, removed, remaining. */
    readonly erasuresReplayed?: Json;
}

export function appendLocalAudit(stateDir: string, record: AuditRecord): string {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(stateDir, "audit.jsonl");
    const fd = fs.openSync(file, "a", 0o600);
    try {
        fs.writeSync(fd, JSON.stringify(record) + "\n");
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    return file;
}

/** `fortress-audit/<stack>/<yyyy>/<mm>/<dd>/<run-id>.<attempt>.json`: one object per attempt, never overwritten. */
export function auditKey(r: AuditRecord): string {
    const d = r.recordedAt.slice(0, 10).split("-");
    return `fortress-audit/${r.stack}/${d[0]}/${d[1]}/${d[2]}/${r.runId}.${r.attempt}.json`;
}

/**
 * Tier 3 through AWS SDK v3: PutObject with an explicit COMPLIANCE retention and a SHA-256
 * checksum (S3 demands an integrity header on every PUT to an Object Lock bucket).
 */
export class S3AuditSink implements AuditSink {
    constructor(
        private readonly client: S3Client,
        private readonly bucket: string,
        private readonly mode: "COMPLIANCE" | "GOVERNANCE" = "COMPLIANCE",
    ) {}

    async putAuditRecord(key: string, body: string, retainUntil: Date, wait: Wait): Promise<{ location: string; versionId?: string }> {
        const abort = deadlineSignal(wait);
        const r = await this.client.send(
            new PutObjectCommand({
                Bucket: this.bucket,
                Key: key,
                Body: body,
                ContentType: "application/json",
                ChecksumAlgorithm: "SHA256",
                ObjectLockMode: this.mode,
                ObjectLockRetainUntilDate: retainUntil,
                // Never replace an earlier record under the same key.
                IfNoneMatch: "*",
            }),
            { abortSignal: abort },
        );
        return { location: `s3://${this.bucket}/${key}`, versionId: r.VersionId };
    }
}

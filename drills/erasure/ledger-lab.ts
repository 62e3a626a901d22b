/**
 * The erasure drill's S3 side: one moto server with IAM enforced, the ledger (Object Lock) and
 * its DR copy, the uploads bucket, and the keys of the appender, the reader and an admin.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { appenderPolicy, ledgerReaderPolicy } from "../../components/compliance/erasure-ledger-policy";
import type { PolicyDocument } from "../../components/storage/policy-documents";
import { ProcessGroup, freePort, runScript } from "../redis/procs";
import { poll } from "../postgres/processes";
import type { LabDescription } from "../../cli/drivers/lab/description";
import { LabErasure, s3For } from "../../cli/erasure/lab";
import { ErasureRequest, LedgerEntry, serializeEntry } from "../../cli/erasure/ledger-format";
import { recordErasure } from "../../cli/erasure/ledger-store";

export const REGION = "eu-west-1";
export interface Keys {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
}

export interface LedgerLab {
    readonly endpoint: string;
    readonly ledgerBucket: string;
    readonly ledgerCopyBucket: string;
    readonly uploadsBucket: string;
    /** Tier-3 stand-in for the CLI's audit records (Object Lock). */
    readonly auditBucket: string;
    readonly keys: { readonly appender: Keys; readonly reader: Keys; readonly admin: Keys };
    client(who: "appender" | "reader" | "admin"): S3Client;
}

const ADMIN: PolicyDocument = { Version: "2012-10-17", Statement: [{ Sid: "DrillAdmin", Effect: "Allow", Action: "*", Resource: "*" }] };

export async function startLedgerLab(dir: string, procs: ProcessGroup, lockDays: number): Promise<LedgerLab> {
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(port)], path.join(dir, "moto.log"));
    const endpoint = `http://127.0.0.1:${port}`;
    await poll(`moto_server on ${endpoint}`, 60_000, async () => {
        const r = await fetch(`${endpoint}/moto-api/`).catch(() => undefined);
        return r ? true : undefined;
    });
    const ledgerBucket = "drill-erasure-ledger-eu-west-1";
    const ledgerCopyBucket = "drill-erasure-ledger-dr-copy";
    const uploadsBucket = "drill-uploads-eu-west-1";
    const auditBucket = "drill-audit-tier3";
    const arn = (b: string) => `arn:aws:s3:::${b}`;
    const key = "arn:aws:kms:us-east-1:123456789012:key/drill";
    const spec = {
        lockedBuckets: [ledgerBucket, ledgerCopyBucket, auditBucket],
        versionedBuckets: [uploadsBucket],
        lockDays,
        users: {
            appender: appenderPolicy(arn(ledgerBucket), key),
            reader: ledgerReaderPolicy([arn(ledgerBucket), arn(ledgerCopyBucket)], [key]),
            admin: ADMIN,
        },
    };
    const specFile = path.join(dir, "moto-spec.json");
    fs.writeFileSync(specFile, JSON.stringify(spec, null, 2));
    const r = await runScript("python3", [path.join(__dirname, "moto_setup.py"), endpoint, REGION, specFile], process.env, 120_000);
    if (r.code !== 0) throw new Error(`moto set-up failed (exit ${r.code}): ${r.stderr.trim().slice(-2000)}`);
    const keys = JSON.parse(r.stdout.trim().split("\n").pop()!) as LedgerLab["keys"];
    const clients = new Map<string, S3Client>();
    return {
        endpoint,
        ledgerBucket,
        ledgerCopyBucket,
        uploadsBucket,
        auditBucket,
        keys,
        client(who) {
            // A copy: the SDK writes its own bookkeeping ("$source") into the credentials object it is given.
            if (!clients.has(who)) clients.set(who, s3For(endpoint, REGION, { ...keys[who] }));
            return clients.get(who)!;
        },
    };
}

const keysOf = (k: Keys): Keys => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });

/** The lab description's `erasure` block (cli/erasure/lab.ts validates it) for this ledger lab. */
export function labErasureBlock(ledger: LedgerLab, hmacKeyFile: string): LabErasure {
    return {
        ledgers: [
            { name: "primary", bucket: ledger.ledgerBucket },
            { name: "dr", bucket: ledger.ledgerCopyBucket },
        ],
        reader: keysOf(ledger.keys.reader),
        uploads: { bucket: ledger.uploadsBucket, ...keysOf(ledger.keys.admin) },
        hmacKeyFile,
    };
}

/** The lab description's `s3` block for this ledger lab: the ledger's endpoint, admin keys, the Object Lock audit bucket. */
export function labS3Block(ledger: LedgerLab): NonNullable<LabDescription["s3"]> {
    return {
        endpoint: ledger.endpoint,
        region: REGION,
        accessKeyId: ledger.keys.admin.accessKeyId,
        secretAccessKey: ledger.keys.admin.secretAccessKey,
        auditBucket: ledger.auditBucket,
        buckets: {},
    };
}

export interface RecordedErasure {
    readonly key: string;
    readonly versionId?: string;
    /** The object's body as stored. */
    readonly body: string;
    readonly entry: LedgerEntry;
}

/**
 * The application's first step of an erasure: the request recorded to the ledger with the
 * appender's keys (If-None-Match, HMAC of the id), then copied into the DR copy as S3
 * replication would (moto has no cross-region replication).
 */
export async function recordToLedger(ledger: LedgerLab, req: ErasureRequest, hmacKey: Buffer): Promise<RecordedErasure> {
    const r = await recordErasure(ledger.client("appender"), { bucket: ledger.ledgerBucket }, req, { hmacKey });
    const body = serializeEntry(r.entry);
    await ledger.client("admin").send(new PutObjectCommand({ Bucket: ledger.ledgerCopyBucket, Key: r.key, Body: body, IfNoneMatch: "*", ChecksumAlgorithm: "SHA256" }));
    return { ...r, body };
}

/** A fresh HMAC key for the ledger's subject hashes, in a file only its owner reads (the lab's stand-in for the secret). */
export function writeHmacKey(file: string): Buffer {
    const key = randomBytes(32);
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
}

/**
 * Reading and appending the erasure ledger in S3 (AWS SDK v3). The application calls
 * `recordErasure` before it erases anyone; the replay calls `readLedger`.
 *
 * Append only, three ways: every PUT carries `If-None-Match: *` (S3 refuses to replace an
 * existing key, 412), the bucket and the appender role deny a PUT without that header, and
 * Object Lock (COMPLIANCE) keeps every version for seven years. `readLedger` reads every
 * version of every key, not only the current one, so even a forged later version cannot hide
 * the entry it tried to replace.
 */
import {
    GetObjectCommand,
    ListObjectVersionsCommand,
    ListObjectVersionsCommandOutput,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { ErasureRequest, LEDGER_PREFIX, LedgerEntry, LedgerFormatError, entryKey, makeEntry, parseEntry, serializeEntry } from "./ledger-format";

export interface LedgerLocation {
    readonly bucket: string;
    /** @default "erasure-ledger/" */
    readonly prefix?: string;
}

export interface RecordOptions {
    /** HMAC key: set when the stack says `erasure.hashSubjects: true`. */
    readonly hmacKey?: Buffer;
    /** @default now */
    readonly time?: Date;
}

export class LedgerWriteError extends Error {}

/**
 * Appends one erasure request to the ledger and returns the entry and its key. Throws when S3
 * did not accept it: the caller must not erase before the request is on record, or a restore
 * could bring the subject back with nothing to say so.
 */
export async function recordErasure(s3: S3Client, at: LedgerLocation, req: ErasureRequest, opts: RecordOptions = {}): Promise<{ entry: LedgerEntry; key: string; versionId?: string }> {
    const entry = makeEntry(req, opts.time ?? new Date(), opts.hmacKey);
    const key = entryKey(entry, at.prefix ?? LEDGER_PREFIX);
    try {
        const out = await s3.send(
            new PutObjectCommand({ Bucket: at.bucket, Key: key, Body: serializeEntry(entry), ContentType: "application/json", IfNoneMatch: "*", ChecksumAlgorithm: "SHA256" }),
        );
        return { entry, key, versionId: out.VersionId };
    } catch (e) {
        const name = (e as { name?: string }).name ?? "";
        if (name === "PreconditionFailed") throw new LedgerWriteError(`s3://${at.bucket}/${key} already exists: request ${req.requestId} was recorded before at the same time; the ledger never replaces an entry`);
        throw new LedgerWriteError(`recording erasure request ${req.requestId} to s3://${at.bucket}/${key} failed: ${name} ${(e as Error).message}`);
    }
}

export interface StoredEntry {
    readonly key: string;
    readonly versionId: string;
    readonly entry: LedgerEntry;
}

export interface LedgerRead {
    /** One per request id (the earliest stored version wins), in time order. */
    readonly entries: readonly LedgerEntry[];
    readonly objects: readonly StoredEntry[];
    /** Keys holding more than one version: someone wrote over an entry (both versions are kept and replayed). */
    readonly overwrittenKeys: readonly string[];
    /** Later versions that are not ledger entries (a forged overwrite): skipped, the first version is replayed. */
    readonly unreadableLaterVersions: readonly string[];
    /** Delete markers found over entries (the entries beneath them are still read). */
    readonly deleteMarkers: number;
}

/** Reads every version of every entry under the prefix; a malformed entry throws naming its key and version. */
export async function readLedger(s3: S3Client, at: LedgerLocation): Promise<LedgerRead> {
    const prefix = at.prefix ?? LEDGER_PREFIX;
    const versions: { key: string; versionId: string; at: number; n: number }[] = [];
    let deleteMarkers = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (let page = 0; page < 100_000; page++) {
        const out: ListObjectVersionsCommandOutput = await s3.send(new ListObjectVersionsCommand({ Bucket: at.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
        for (const v of out.Versions ?? []) if (v.Key && v.VersionId) versions.push({ key: v.Key, versionId: v.VersionId, at: v.LastModified?.getTime() ?? 0, n: versions.length });
        deleteMarkers += (out.DeleteMarkers ?? []).length;
        if (!out.IsTruncated) break;
        keyMarker = out.NextKeyMarker;
        versionMarker = out.NextVersionIdMarker;
    }
    // The first version of a key is what recordErasure wrote (Object Lock keeps it); a later
    // version can only be a write that got past If-None-Match. An unreadable first version fails
    // the read (an erasure we cannot read cannot be replayed); an unreadable later one is reported.
    // S3 lists a key's versions newest first: oldest first here, by time, then by listing order reversed.
    versions.sort((a, b) => a.key.localeCompare(b.key) || a.at - b.at || b.n - a.n);
    const objects: StoredEntry[] = [];
    const unreadableLaterVersions: string[] = [];
    for (const [i, v] of versions.entries()) {
        const first = i === 0 || versions[i - 1].key !== v.key;
        const got = await s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: v.key, VersionId: v.versionId }));
        const text = await got.Body!.transformToString("utf8");
        const where = `s3://${at.bucket}/${v.key} version ${v.versionId}`;
        try {
            objects.push({ key: v.key, versionId: v.versionId, entry: parseEntry(text, where) });
        } catch (e) {
            if (first || !(e instanceof LedgerFormatError)) throw e;
            unreadableLaterVersions.push(`${where} (${e.message.slice(where.length + 2)})`);
        }
    }
    const byRequest = new Map<string, LedgerEntry>();
    for (const o of objects) {
        const seen = byRequest.get(o.entry.requestId);
        if (!seen || o.entry.time < seen.time) byRequest.set(o.entry.requestId, o.entry);
    }
    // A forged version under the same request id must not narrow what is erased: merge data classes.
    for (const o of objects) {
        const e = byRequest.get(o.entry.requestId)!;
        if (o.entry.subject.value !== e.subject.value || o.entry.dataClasses.some((c) => !e.dataClasses.includes(c))) {
            byRequest.set(`${o.entry.requestId}#${o.versionId}`, o.entry);
        }
    }
    const entries = [...byRequest.values()].sort((a, b) => a.time.localeCompare(b.time) || a.requestId.localeCompare(b.requestId));
    const overwrittenKeys = [...new Set(versions.filter((v, i) => i > 0 && versions[i - 1].key === v.key).map((v) => v.key))];
    return { entries, objects, overwrittenKeys, unreadableLaterVersions, deleteMarkers };
}

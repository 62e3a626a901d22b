/**
 * The erasure ledger's record format: one JSON object per erasure request, stored as one S3
 * object under `erasure-ledger/`. Pure: no S3, no clock, so the format is tested on its own
 * and the application, the replay and the drill all parse entries the same way.
 *
 * Nothing but the subject's identifier goes in (or its keyed hash): no name, no e-mail, no
 * reason text. The ledger is kept for seven years under Object Lock, longer than any backup it
 * must outlive, and a record that could not be erased itself must hold no personal data
 * beyond what identifies whom to erase.
 */
import { createHmac } from "crypto";

/** The data classes an erasure reaches; each has a procedure in the stack config's `erasure` section. */
export const ERASURE_DATA_CLASSES = ["database", "redis", "uploads"] as const;
export type ErasureDataClass = (typeof ERASURE_DATA_CLASSES)[number];

/** Where entries live inside the ledger bucket. */
export const LEDGER_PREFIX = "erasure-ledger/";
export const LEDGER_FORMAT_VERSION = 1;

/**
 * Subject identifiers the ledger accepts: an opaque id (a user id or UUID), never an e-mail.
 * The character set keeps ids safe inside Redis glob patterns and object keys.
 */
export const SUBJECT_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const HMAC_HEX = /^[0-9a-f]{64}$/;

/** The subject as the ledger holds it: the id itself, or HMAC-SHA256(key, id) in hex. */
export type SubjectRef = { readonly kind: "id"; readonly value: string } | { readonly kind: "hmac-sha256"; readonly value: string };

export interface LedgerEntry {
    readonly v: typeof LEDGER_FORMAT_VERSION;
    readonly requestId: string;
    /** When the erasure was requested and recorded (ISO 8601, UTC): recorded before the erasure runs. */
    readonly time: string;
    readonly subject: SubjectRef;
    readonly dataClasses: readonly ErasureDataClass[];
}

export interface ErasureRequest {
    readonly subjectId: string;
    readonly requestId: string;
    readonly dataClasses: readonly ErasureDataClass[];
}

export class LedgerFormatError extends Error {}

export function subjectHmac(key: Buffer, subjectId: string): string {
    return createHmac("sha256", key).update(subjectId, "utf8").digest("hex");
}

/** The subject reference for a raw id: hashed when the stack says `erasure.hashSubjects: true`. */
export function subjectRef(subjectId: string, hmacKey: Buffer | undefined): SubjectRef {
    if (!SUBJECT_ID.test(subjectId)) {
        throw new LedgerFormatError(`subjectId ${JSON.stringify(subjectId).slice(0, 80)}: must match ${SUBJECT_ID} (an opaque id such as a user id or UUID, never an e-mail address or a name)`);
    }
    return hmacKey ? { kind: "hmac-sha256", value: subjectHmac(hmacKey, subjectId) } : { kind: "id", value: subjectId };
}

/** Does a raw id (found in a key or object name) belong to this subject? */
export function refMatches(ref: SubjectRef, candidateId: string, hmacKey: Buffer | undefined): boolean {
    if (ref.kind === "id") return ref.value === candidateId;
    if (!hmacKey) throw new LedgerFormatError(`a ledger entry holds a keyed hash of its subject, but no HMAC key was given; pass the key of erasure.hmacKeySecret`);
    return subjectHmac(hmacKey, candidateId) === ref.value;
}

/** Builds an entry from a request, checking every field; throws one error naming the field and the fix. */
export function makeEntry(req: ErasureRequest, time: Date, hmacKey: Buffer | undefined): LedgerEntry {
    if (!REQUEST_ID.test(req.requestId)) throw new LedgerFormatError(`requestId ${JSON.stringify(req.requestId)}: must match ${REQUEST_ID} (e.g. a UUID)`);
    checkDataClasses(req.dataClasses, "dataClasses");
    if (Number.isNaN(time.getTime())) throw new LedgerFormatError(`time: not a valid date`);
    return { v: LEDGER_FORMAT_VERSION, requestId: req.requestId, time: time.toISOString(), subject: subjectRef(req.subjectId, hmacKey), dataClasses: [...new Set(req.dataClasses)].sort() };
}

function checkDataClasses(classes: unknown, where: string): asserts classes is ErasureDataClass[] {
    if (!Array.isArray(classes) || classes.length === 0) throw new LedgerFormatError(`${where}: must list at least one of ${ERASURE_DATA_CLASSES.join(", ")}`);
    for (const c of classes) {
        if (!(ERASURE_DATA_CLASSES as readonly unknown[]).includes(c)) throw new LedgerFormatError(`${where}: ${JSON.stringify(c)} is not a data class; use ${ERASURE_DATA_CLASSES.join(", ")}`);
    }
}

/**
 * The object key of an entry: time first, so a listing is in time order and "newer than the
 * restored point" is a key comparison; the request id makes it unique.
 */
export function entryKey(entry: Pick<LedgerEntry, "time" | "requestId">, prefix = LEDGER_PREFIX): string {
    const t = entry.time.replace(/[-:]/g, "").replace(/\.(\d{3})Z$/, "$1Z");
    return `${prefix}${entry.time.slice(0, 4)}/${entry.time.slice(5, 7)}/${t}-${entry.requestId}.json`;
}

export function serializeEntry(entry: LedgerEntry): string {
    return JSON.stringify(entry) + "\n";
}

/** Parses and validates one stored entry; `where` names the object (key and version) in errors. */
export function parseEntry(text: string, where: string): LedgerEntry {
    let raw: Record<string, unknown>;
    try {
        raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
        throw new LedgerFormatError(`${where}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (raw === null || typeof raw !== "object") throw new LedgerFormatError(`${where}: not a JSON object`);
    if (raw.v !== LEDGER_FORMAT_VERSION) throw new LedgerFormatError(`${where}: format version ${JSON.stringify(raw.v)}; this replay reads version ${LEDGER_FORMAT_VERSION}`);
    const known = new Set(["v", "requestId", "time", "subject", "dataClasses"]);
    const extra = Object.keys(raw).filter((k) => !known.has(k));
    if (extra.length > 0) throw new LedgerFormatError(`${where}: unknown field(s) ${extra.join(", ")}; an entry holds only v, requestId, time, subject, dataClasses`);
    if (typeof raw.requestId !== "string" || !REQUEST_ID.test(raw.requestId)) throw new LedgerFormatError(`${where}: requestId ${JSON.stringify(raw.requestId)} must match ${REQUEST_ID}`);
    if (typeof raw.time !== "string" || Number.isNaN(Date.parse(raw.time)) || !raw.time.endsWith("Z")) throw new LedgerFormatError(`${where}: time ${JSON.stringify(raw.time)} must be an ISO 8601 UTC time`);
    const s = raw.subject as Record<string, unknown> | null;
    if (!s || typeof s !== "object") throw new LedgerFormatError(`${where}: subject must be {kind, value}`);
    if (s.kind === "id") {
        if (typeof s.value !== "string" || !SUBJECT_ID.test(s.value)) throw new LedgerFormatError(`${where}: subject.value must match ${SUBJECT_ID}`);
    } else if (s.kind === "hmac-sha256") {
        if (typeof s.value !== "string" || !HMAC_HEX.test(s.value)) throw new LedgerFormatError(`${where}: subject.value must be 64 lowercase hex digits (HMAC-SHA256)`);
    } else {
        throw new LedgerFormatError(`${where}: subject.kind ${JSON.stringify(s.kind)}; use "id" or "hmac-sha256"`);
    }
    checkDataClasses(raw.dataClasses, `${where}: dataClasses`);
    return { v: LEDGER_FORMAT_VERSION, requestId: raw.requestId, time: raw.time, subject: { kind: s.kind, value: s.value } as SubjectRef, dataClasses: raw.dataClasses };
}

/**
 * Entries a restore to `restoredPoint` must replay: every entry recorded after the restored
 * point less `marginSeconds` (the application records before it erases, so an erasure that
 * committed after the restored point was recorded at most that long before it). No restored
 * point known: every entry. Replay is idempotent, so replaying more is only slower.
 */
export function selectEntries(entries: readonly LedgerEntry[], restoredPoint: Date | undefined, marginSeconds: number): LedgerEntry[] {
    const sorted = [...entries].sort((a, b) => a.time.localeCompare(b.time) || a.requestId.localeCompare(b.requestId));
    if (restoredPoint === undefined) return sorted;
    const from = restoredPoint.getTime() - marginSeconds * 1000;
    return sorted.filter((e) => Date.parse(e.time) > from);
}

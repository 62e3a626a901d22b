/**
 * Replaying the erasure ledger after a restore: every selected entry is applied again per data
 * class through the driver's primitives (the SQL routine, Redis key deletes, upload prefix
 * deletes), then every subject is looked for again. A restore is not done until `verify`
 * finds none of them.
 *
 * Idempotent by construction: each procedure deletes what matches and deleting nothing is
 * fine, so replaying an entry twice, or replaying entries older than the restored point, only
 * costs time.
 */
import { ErasureDataClass, LedgerEntry, LedgerFormatError, SUBJECT_ID, SubjectRef, refMatches } from "./ledger-format";

/** The `erasure` procedures of the stack config (config section `erasure`), resolved for one target. */
export interface ErasureProcedures {
    readonly database?: {
        /** Called once per subject with $1 = the ledger's subject value (the id, or its keyed hash). */
        readonly routine: string;
        /** Returns one row whose first column counts what is left of the subject ($1 as above). */
        readonly verify: string;
    };
    /** Key patterns with `{subject}`, e.g. `session:{subject}:*`. */
    readonly redis?: { readonly keyPatterns: readonly string[] };
    /** Object key prefixes with `{subject}`, e.g. `users/{subject}/`, in `bucket`. */
    readonly uploads?: { readonly bucket: string; readonly prefixes: readonly string[] };
}

/** What a driver provides to erase (lab: pg, redis-cli, S3 endpoint; platform: the same through the cluster). */
export interface ErasurePrimitives {
    sql(query: string, params: readonly unknown[]): Promise<readonly Record<string, unknown>[]>;
    /** Every key matching a Redis glob pattern (SCAN, never KEYS). */
    redisScan(pattern: string): Promise<readonly string[]>;
    redisDelete(keys: readonly string[]): Promise<number>;
    /** Current object keys under a prefix. */
    listObjects(bucket: string, prefix: string): Promise<readonly string[]>;
    deleteObjects(bucket: string, keys: readonly string[]): Promise<number>;
}

export interface EntryOutcome {
    readonly requestId: string;
    readonly time: string;
    readonly dataClasses: readonly ErasureDataClass[];
    /** Rows/keys/objects removed by this replay (0 when the restore did not bring the subject back). */
    readonly removed: Partial<Record<ErasureDataClass, number>>;
    /** What was still found after the replay, per data class (all 0 when verified). */
    readonly remaining: Partial<Record<ErasureDataClass, number>>;
}

export interface ReplayResult {
    readonly entries: readonly EntryOutcome[];
    /** True when no subject of any replayed entry is left in any data class. */
    readonly verified: boolean;
    readonly skippedClasses: readonly string[];
}

const SUBJECT_CAPTURE = SUBJECT_ID.source.replace(/^\^/, "").replace(/\$$/, "").replace("{1,128}", "+");

/** `session:{subject}:*` → a SCAN glob for every subject and a regex that captures the id. */
export function patternMatcher(pattern: string): { glob: string; capture: RegExp } {
    const parts = pattern.split("{subject}");
    if (parts.length !== 2) throw new LedgerFormatError(`pattern ${JSON.stringify(pattern)} must contain {subject} exactly once`);
    const toRe = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    return { glob: `${parts[0]}*${parts[1]}`, capture: new RegExp(`^${toRe(parts[0])}(${SUBJECT_CAPTURE})${toRe(parts[1])}$`) };
}

/** Keys among `keys` that belong to `ref` under `pattern`. */
export function keysOf(ref: SubjectRef, pattern: string, keys: readonly string[], hmacKey: Buffer | undefined): string[] {
    const { capture } = patternMatcher(pattern);
    const out: string[] = [];
    for (const k of keys) {
        const m = capture.exec(k);
        if (m && refMatches(ref, m[1], hmacKey)) out.push(k);
    }
    return out;
}

/** The listing prefix of an uploads prefix pattern: everything before `{subject}` (or the whole prefix for a plain id). */
function listingPrefix(pattern: string, ref: SubjectRef): string {
    return ref.kind === "id" ? pattern.split("{subject}")[0] + ref.value : pattern.split("{subject}")[0];
}

async function findRedis(p: ErasurePrimitives, procs: ErasureProcedures, ref: SubjectRef, hmacKey: Buffer | undefined): Promise<string[]> {
    const found = new Set<string>();
    for (const pattern of procs.redis?.keyPatterns ?? []) {
        const glob = ref.kind === "id" ? pattern.replace("{subject}", ref.value) : patternMatcher(pattern).glob;
        for (const k of keysOf(ref, pattern, await p.redisScan(glob), hmacKey)) found.add(k);
    }
    return [...found];
}

async function findUploads(p: ErasurePrimitives, procs: ErasureProcedures, ref: SubjectRef, hmacKey: Buffer | undefined): Promise<string[]> {
    const u = procs.uploads;
    if (!u) return [];
    const found = new Set<string>();
    for (const pattern of u.prefixes) {
        const keys = await p.listObjects(u.bucket, listingPrefix(pattern, ref));
        // An object belongs to the subject when its key starts with the pattern's prefix for that subject.
        const { capture } = patternMatcher(`${pattern}*`);
        for (const k of keys) {
            const m = capture.exec(k);
            if (m && refMatches(ref, m[1], hmacKey)) found.add(k);
        }
    }
    return [...found];
}

async function countDatabase(p: ErasurePrimitives, procs: ErasureProcedures, ref: SubjectRef): Promise<number> {
    const rows = await p.sql(procs.database!.verify, [ref.value]);
    const first = rows[0] ? Object.values(rows[0])[0] : undefined;
    const n = Number(first);
    if (!Number.isFinite(n)) throw new Error(`erasure.database.verify returned ${JSON.stringify(first)}; it must return one row whose first column is a count`);
    return n;
}

/** What is left of one entry's subject, per data class it names. */
export async function remainingOf(p: ErasurePrimitives, procs: ErasureProcedures, e: LedgerEntry, hmacKey: Buffer | undefined): Promise<Partial<Record<ErasureDataClass, number>>> {
    const left: Partial<Record<ErasureDataClass, number>> = {};
    for (const c of e.dataClasses) {
        if (c === "database" && procs.database) left.database = await countDatabase(p, procs, e.subject);
        if (c === "redis" && procs.redis) left.redis = (await findRedis(p, procs, e.subject, hmacKey)).length;
        if (c === "uploads" && procs.uploads) left.uploads = (await findUploads(p, procs, e.subject, hmacKey)).length;
    }
    return left;
}

/** Applies one entry, every data class it names that this target has a procedure for. */
export async function applyEntry(p: ErasurePrimitives, procs: ErasureProcedures, e: LedgerEntry, hmacKey: Buffer | undefined): Promise<Partial<Record<ErasureDataClass, number>>> {
    const removed: Partial<Record<ErasureDataClass, number>> = {};
    for (const c of e.dataClasses) {
        if (c === "database" && procs.database) {
            const before = await countDatabase(p, procs, e.subject);
            await p.sql(procs.database.routine, [e.subject.value]);
            removed.database = before;
        }
        if (c === "redis" && procs.redis) {
            const keys = await findRedis(p, procs, e.subject, hmacKey);
            removed.redis = keys.length > 0 ? await p.redisDelete(keys) : 0;
        }
        if (c === "uploads" && procs.uploads) {
            const keys = await findUploads(p, procs, e.subject, hmacKey);
            removed.uploads = keys.length > 0 ? await p.deleteObjects(procs.uploads.bucket, keys) : 0;
        }
    }
    return removed;
}

/** Applies every entry, then verifies every subject is gone. */
export async function replay(p: ErasurePrimitives, procs: ErasureProcedures, entries: readonly LedgerEntry[], hmacKey: Buffer | undefined): Promise<ReplayResult> {
    if (entries.some((e) => e.subject.kind === "hmac-sha256") && !hmacKey) {
        throw new LedgerFormatError(`the ledger holds keyed hashes of subjects but no HMAC key was given: pass the key of erasure.hmacKeySecret (lab: --hmac-key-file)`);
    }
    const skipped = new Set<string>();
    for (const e of entries) for (const c of e.dataClasses) if (!procs[c]) skipped.add(`${c}: no erasure.${c} procedure for this target`);
    const removed: Partial<Record<ErasureDataClass, number>>[] = [];
    for (const e of entries) removed.push(await applyEntry(p, procs, e, hmacKey));
    const outcomes: EntryOutcome[] = [];
    for (const [i, e] of entries.entries()) {
        outcomes.push({ requestId: e.requestId, time: e.time, dataClasses: e.dataClasses, removed: removed[i], remaining: await remainingOf(p, procs, e, hmacKey) });
    }
    // A data class an entry names but this target cannot erase is not verified: say so, never pass it.
    const verified = skipped.size === 0 && outcomes.every((o) => Object.values(o.remaining).every((n) => n === 0));
    return { entries: outcomes, verified, skippedClasses: [...skipped] };
}

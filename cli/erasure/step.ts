/**
 * The step "replay-erasures" that `fortress restore` (once the copy is opened), `fortress
 * failover` (after promoting, before traffic) and `fortress erasure replay` run: read every
 * reachable copy of the ledger, select the entries newer than the restored point (all when it
 * is not known), apply each per data class, and verify every subject is absent. The step
 * returns only when the verification holds; the requests it replayed go into the step data,
 * the command's result and the audit record (`erasuresReplayed`).
 */
import type { FortressConfig } from "../../config";
import { StepFailed } from "../errors";
import type { Json, Step, StepContext } from "../runner";
import type { ErasureDriver } from "./driver";
import { LedgerEntry, LedgerFormatError, selectEntries } from "./ledger-format";
import { readLedger } from "./ledger-store";
import { ErasureProcedures, replay } from "./replay";

export const REPLAY_STEP_ID = "replay-erasures";

/** The stack's erasure procedures for one target, or undefined when the stack declares none. */
export function proceduresOf(config: FortressConfig, uploadsBucket: string | undefined): ErasureProcedures | undefined {
    const e = config.erasure;
    if (!e) return undefined;
    return {
        ...(e.database ? { database: e.database } : {}),
        ...(e.redis ? { redis: e.redis } : {}),
        ...(e.uploads && uploadsBucket ? { uploads: { bucket: uploadsBucket, prefixes: e.uploads.prefixes } } : {}),
    };
}

export interface ReplayStepOptions {
    readonly config: FortressConfig;
    /** The point the restored data reflects (the restore target's time); undefined: replay every entry. */
    readonly restoredPoint: (ctx: StepContext) => Date | undefined;
    /** The restored copy's name, for the title (restore's destination); undefined: the live service. */
    readonly destinationName?: string;
    /** Where the restored database answers ("host:port", from the step data); undefined: the stack's own database. */
    readonly database?: (ctx: StepContext) => string | undefined;
    /** The erasure driver; default: the command's driver's `erasure`. */
    readonly erasure?: () => ErasureDriver | undefined;
    /** Why this step is in the plan, for the title. */
    readonly why: string;
}

/** Reads and merges every reachable ledger copy; throws when none could be read. */
export async function readAllCopies(d: ErasureDriver, ctx: Pick<StepContext, "progress">): Promise<{ entries: LedgerEntry[]; notes: string[] }> {
    const byRequest = new Map<string, LedgerEntry>();
    const notes: string[] = [];
    let read = 0;
    for (const src of d.ledgers()) {
        try {
            const r = await readLedger(src.s3, { bucket: src.bucket, prefix: src.prefix });
            read++;
            for (const e of r.entries) if (!byRequest.has(`${e.requestId}|${e.subject.value}|${e.dataClasses.join(",")}`)) byRequest.set(`${e.requestId}|${e.subject.value}|${e.dataClasses.join(",")}`, e);
            if (r.overwrittenKeys.length > 0) notes.push(`${src.name} copy: ${r.overwrittenKeys.length} key(s) hold more than one version (${r.overwrittenKeys.slice(0, 3).join(", ")}); every version was replayed`);
            if (r.unreadableLaterVersions.length > 0) notes.push(`${src.name} copy: ${r.unreadableLaterVersions.length} later version(s) are not ledger entries (a write that got past If-None-Match): ${r.unreadableLaterVersions.slice(0, 3).join("; ")}; the first versions were replayed`);
            if (r.deleteMarkers > 0) notes.push(`${src.name} copy: ${r.deleteMarkers} delete marker(s) over entries; the entries beneath were replayed`);
            ctx.progress(`ledger ${src.name} (s3://${src.bucket}): ${r.entries.length} request(s), ${r.objects.length} object version(s)`);
        } catch (e) {
            if (e instanceof LedgerFormatError) throw new StepFailed(`ledger ${src.name}: ${e.message}`);
            notes.push(`ledger ${src.name} (s3://${src.bucket}) not readable: ${(e as Error).name} ${(e as Error).message}`);
        }
    }
    if (read === 0) throw new StepFailed(`no copy of the erasure ledger could be read (${notes.join("; ")}); the restored data must not serve anyone until the erasures are replayed`);
    return { entries: [...byRequest.values()].sort((a, b) => a.time.localeCompare(b.time)), notes };
}

/** The step: present in every plan (and so in --dry-run), a no-op with a note when the stack declares no erasure. */
export function replayErasuresStep(o: ReplayStepOptions): Step {
    const e = o.config.erasure;
    return {
        id: REPLAY_STEP_ID,
        phase: "act",
        title: e
            ? `replay the erasure ledger (${["database", "redis", "uploads"].filter((c) => e[c as "database"]).join(", ")}) into the ${o.destinationName ? `restored copy "${o.destinationName}"` : "restored service"} and verify every subject is absent, before traffic (${o.why})`
            : "replay the erasure ledger: the stack declares no erasure section (nothing to replay)",
        budget: { figureId: "erasure.replay.seconds", seconds: 300 },
        mutates: true,
        async run(ctx) {
            if (!e) return { detail: "no erasure section in the stack config: no procedures, nothing replayed", data: { erasuresReplayed: [] } };
            const driver = o.erasure ? undefined : await ctx.driver();
            const d = o.erasure ? o.erasure() : driver!.erasure;
            const who = driver ? `driver ${driver.name} (${driver.describe})` : "the lab description";
            if (!d) throw new StepFailed(`${who} provides no erasure primitives; the stack declares erasure procedures, so the restored data must not serve anyone until the ledger is replayed`);
            const { entries, notes } = await readAllCopies(d, ctx);
            const point = o.restoredPoint(ctx);
            const selected = selectEntries(entries, point, e.ledger.replayMarginSeconds);
            const procs = proceduresOf(o.config, d.uploadsBucket)!;
            const key = e.hashSubjects ? await d.hmacKey() : undefined;
            if (e.hashSubjects && !key) throw new StepFailed(`erasure.hashSubjects is true but ${who} gave no HMAC key (erasure.hmacKeySecret ${e.hmacKeySecret?.name}); without it hashed subjects cannot be found`);
            const result = await replay(d.primitives(o.database?.(ctx)), procs, selected, key);
            for (const n of notes) ctx.note(n);
            const replayed: Json = result.entries.map((x) => ({ requestId: x.requestId, time: x.time, dataClasses: [...x.dataClasses], removed: x.removed as Json, remaining: x.remaining as Json }));
            if (!result.verified) {
                const left = result.entries.filter((x) => Object.values(x.remaining).some((n) => n !== 0)).map((x) => `${x.requestId} (${JSON.stringify(x.remaining)})`);
                throw new StepFailed(`erasure replay not verified: ${[...result.skippedClasses, ...(left.length ? [`subjects still present for ${left.join(", ")}`] : [])].join("; ")}`);
            }
            const removed = result.entries.reduce((n, x) => n + Object.values(x.removed).reduce((a, b) => a + (b ?? 0), 0), 0);
            const scope = point ? `newer than ${new Date(point.getTime() - e.ledger.replayMarginSeconds * 1000).toISOString()} (restored point less ${e.ledger.replayMarginSeconds} s)` : "all (restored point unknown)";
            return {
                detail: `${selected.length} of ${entries.length} request(s) replayed (${scope}); ${removed} row(s)/key(s)/object(s) removed; every subject verified absent`,
                data: { erasuresReplayed: replayed },
            };
        },
    };
}

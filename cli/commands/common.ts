/** Helpers the commands share: tier/class options, schedule bounds, objectives from the stack. */
import { maxIntervalSeconds } from "../../components/core/cron";
import type { TierDefinitions } from "../../config";
import type { Driver, Tier } from "../drivers/types";
import { TIER_IDS } from "../drivers/types";
import { PreflightError } from "../errors";
import { parseChoices } from "../parse";
import type { Json } from "../runner";
import type { StackContext } from "../stack";

export function tiersOption(text: unknown, fallback: readonly Tier[] = TIER_IDS): Tier[] {
    return text === undefined ? [...fallback] : parseChoices("--tier", String(text), TIER_IDS);
}

/**
 * The longest a tier may go without a new database backup: the worst gap of its most frequent
 * schedule (full / differential / incremental) — a backup older than that means a run was missed.
 */
export function databaseBackupBoundSeconds(tiers: TierDefinitions, tier: Tier): { seconds: number; schedule: string } {
    const s = tiers.database[tier];
    const crons = [s.full, s.differential, s.incremental].filter((c): c is string => typeof c === "string");
    let best = { seconds: Infinity, schedule: "" };
    for (const c of crons) {
        const sec = maxIntervalSeconds(c);
        if (sec < best.seconds) best = { seconds: sec, schedule: c };
    }
    return best;
}

export function databaseRpoSeconds(stack: StackContext): number {
    return stack.config.objectives.dataClasses.database.rpoSeconds;
}

/** The database primitives exist on every driver; this names what is missing for the others. */
export function need<T>(driver: Driver, part: T | undefined, what: string): T {
    if (part === undefined) throw new PreflightError(`driver ${driver.name} has no ${what} primitives: ${driver.describe}`);
    return part;
}

export const toJson = (v: unknown): Json => JSON.parse(JSON.stringify(v ?? null)) as Json;

/** Common fingerprint: the listed option names only (conventions excluded). */
export function pick(opts: Record<string, unknown>, keys: readonly string[]): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const k of keys) if (opts[k] !== undefined) out[k] = toJson(opts[k]);
    return out;
}

/**
 * The restored copy pushes no WAL anywhere: archive_mode off, or archiving on with a command that
 * discards it (`true`, `/bin/true`, `:`) — what the Percona operator sets on a cluster with
 * backups disabled (it keeps archive_mode on to avoid a restart), i.e. the platform's scratch copy.
 */
export function archivesNowhere(s: { readonly archiveMode: string; readonly archiveCommand: string }): boolean {
    return s.archiveMode === "off" || /^\s*(true|\/bin\/true|\/usr\/bin\/true|:)\s*$/.test(s.archiveCommand);
}

/**
 * Retention maths: from the tier definitions (config/sections/tiers.ts) to the lifecycle rules
 * of each tier's bucket. Pure, so the policies and the objectives model use the same numbers.
 *
 * Key layout, in every bucket: `<tier>/<dataClass>/...` — the tier whose schedule wrote the
 * object, then its data class. A replica keeps its source key, so a tier-1 object copied to
 * the DR region still says `tier1/` and keeps tier 1's retention there.
 *
 * Why a rule keeps objects longer than the data class's retention: pgBackRest's time-based
 * retention keeps the full backup that a point inside the window depends on, so a file can be
 * up to one full-backup interval older than the window. The lifecycle is a backstop that must
 * never expire something the backup engine still needs; it fires one day after the engine
 * would have expired the file itself.
 */
import { maxIntervalSeconds } from "../core/cron";
import type { TierId } from "../../config/vocabulary";


export interface RetentionEntry {
    /** cron of the least frequent backup kind a retained point depends on */
    readonly full?: string;
    readonly snapshot?: string;
    readonly retentionDays: number;
}

export type TierTable = Readonly<Record<string, Partial<Record<TierId, RetentionEntry>>>>;

export interface PrefixRule {
    readonly prefix: string;
    /** Days until a current version becomes noncurrent; absent: never (live documents). */
    readonly currentExpirationDays?: number;
    /** Days a noncurrent version stays restorable: the undo window against a bad delete. */
    readonly noncurrentExpirationDays: number;
}

const DAY = 86_400;

/** The minimum undo window: long enough to notice a compromised writer's deletes. */
export const MIN_UNDO_WINDOW_DAYS = 7;

/** The key prefix under which a tier's objects of a data class are written. */
export function tierPrefix(tier: TierId, dataClass?: string): string {
    return dataClass ? `${tier}/${dataClass}/` : `${tier}/`;
}

/** Days a data class's files can live in a tier before the engine itself expires them. */
export function engineHorizonDays(entry: RetentionEntry): number {
    const schedule = entry.full ?? entry.snapshot;
    const intervalDays = schedule ? Math.ceil(maxIntervalSeconds(schedule) / DAY) : 0;
    return entry.retentionDays + intervalDays;
}

/** The lifecycle rule for one data class written by one tier's schedule. */
export function prefixRule(tier: TierId, dataClass: string, entry: RetentionEntry): PrefixRule {
    return {
        prefix: tierPrefix(tier, dataClass),
        currentExpirationDays: engineHorizonDays(entry) + 1,
        noncurrentExpirationDays: Math.max(MIN_UNDO_WINDOW_DAYS, entry.retentionDays),
    };
}

/** Rules for every data class the tier's own schedules write. */
export function tierPrefixRules(tiers: TierTable, tier: TierId): PrefixRule[] {
    return Object.entries(tiers)
        .filter(([, byTier]) => byTier[tier] !== undefined)
        .map(([dataClass, byTier]) => prefixRule(tier, dataClass, byTier[tier]!));
}

/** The undo window for everything else in a tier's bucket: the tier's longest retention. */
export function tierUndoWindowDays(tiers: TierTable, tier: TierId): number {
    let longest = MIN_UNDO_WINDOW_DAYS;
    for (const byTier of Object.values(tiers)) longest = Math.max(longest, byTier[tier]?.retentionDays ?? 0);
    return longest;
}

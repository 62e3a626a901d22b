/**
 * Section `tiers`: one schedule and retention per data class and tier, read by the jobs, the
 * policies and the objectives model.
 */
import { z } from "zod";
import { cron, positiveInt } from "../fields";
import type { TierId } from "../vocabulary";

export const pgRepoSchedule = z.strictObject({
    full: cron,
    differential: cron.optional(),
    incremental: cron.optional(),
    /** Time-based retention of full backups (pgBackRest repoN-retention-full-type=time). */
    retentionDays: positiveInt,
});
export type PgRepoSchedule = z.infer<typeof pgRepoSchedule>;

export const snapshotSchedule = z.strictObject({
    snapshot: cron,
    retentionDays: positiveInt,
});
export type SnapshotSchedule = z.infer<typeof snapshotSchedule>;

export const tiersSection = z
    .strictObject({
        database: z
            .strictObject({
                tier1: pgRepoSchedule.prefault({ full: "0 1 * * *", incremental: "*/15 * * * *", retentionDays: 1 }),
                tier2: pgRepoSchedule.prefault({ full: "0 */4 * * *", incremental: "30 * * * *", retentionDays: 30 }),
                tier3: pgRepoSchedule.prefault({ full: "0 2 * * *", retentionDays: 365 }),
            })
            .prefault({}),
        redis: z
            .strictObject({
                // Every 4 minutes, not the DR plan's 5: the loss bound is the interval plus the
                // job's run time (5.6 s measured by the Redis drill), which must stay under 5 min.
                tier1: snapshotSchedule.prefault({ snapshot: "*/4 * * * *", retentionDays: 1 }),
                tier2: snapshotSchedule.prefault({ snapshot: "*/15 * * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "15 3 * * *", retentionDays: 365 }),
            })
            .prefault({}),
        /** Kubernetes objects (Velero). Tier 1 of configuration is git: every change is a commit. */
        configuration: z
            .strictObject({
                tier2: snapshotSchedule.prefault({ snapshot: "0 1 * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "0 4 * * 0", retentionDays: 365 }),
            })
            .prefault({}),
        /** Sealed Secrets sealing key and Vault raft snapshots ("on rotation": checked hourly). */
        secrets: z
            .strictObject({
                tier2: snapshotSchedule.prefault({ snapshot: "5 * * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "35 3 * * *", retentionDays: 365 }),
            })
            .prefault({}),
    })
    .prefault({});
export type TierDefinitions = z.infer<typeof tiersSection>;

/** The longest retention, in days, of any data class kept in the given tier. */
export function longestRetentionDays(tiers: TierDefinitions, tier: TierId): number {
    let longest = 0;
    for (const byTier of Object.values(tiers) as Partial<Record<TierId, { retentionDays: number }>>[]) {
        longest = Math.max(longest, byTier[tier]?.retentionDays ?? 0);
    }
    return longest;
}

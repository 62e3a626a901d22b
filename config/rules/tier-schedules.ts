import { maxIntervalSeconds } from "../../components/core/cron";
import { DAY_SECONDS } from "../fields";
import type { PgRepoSchedule, SnapshotSchedule } from "../sections/tiers";
import type { ConfigRule, RuleIssue } from "./rule";

/** Interval of a cron in seconds, or undefined when the cron itself is invalid (reported by its section). */
function intervalOf(cron: string): number | undefined {
    try {
        return maxIntervalSeconds(cron);
    } catch {
        return undefined;
    }
}

function checkDefinition(dataClass: string, tier: string, def: PgRepoSchedule | SnapshotSchedule): RuleIssue[] {
    const found: RuleIssue[] = [];
    const longest = "full" in def ? def.full : def.snapshot;
    const kind = "full" in def ? "full" : "snapshot";
    const interval = intervalOf(longest);
    if (interval === undefined) return found;
    if (def.retentionDays * DAY_SECONDS < interval) {
        found.push({
            path: ["tiers", dataClass, tier, "retentionDays"],
            message: `${def.retentionDays} day(s) is shorter than the ${kind} schedule's interval (${interval / DAY_SECONDS} days for "${longest}"); retention must hold at least one ${kind} backup`,
        });
    }
    if ("full" in def) {
        for (const k of ["differential", "incremental"] as const) {
            const sched = def[k];
            const every = sched === undefined ? undefined : intervalOf(sched);
            if (every !== undefined && every > interval) {
                found.push({ path: ["tiers", dataClass, tier, k], message: `"${sched}" runs less often than the full backup "${def.full}"; an ${k} backup must be more frequent than the full` });
            }
        }
    }
    return found;
}

/**
 * Every retention holds at least one complete backup of its schedule, and a differential or
 * incremental backup runs more often than the full one it builds on.
 */
export const tierSchedulesRule: ConfigRule = {
    name: "tier schedules and retentions fit together",
    check: ({ tiers }) =>
        Object.entries(tiers ?? {}).flatMap(([dataClass, byTier]) =>
            Object.entries(byTier as Record<string, PgRepoSchedule | SnapshotSchedule>).flatMap(([tier, def]) => checkDefinition(dataClass, tier, def)),
        ),
};

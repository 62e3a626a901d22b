/**
 * Section `recoveryTests`: the schedules of the scheduled recovery tests on a primary stack
 * (components/recovery/recovery-tests.ts): a weekly service recovery test of the database from
 * tier 1 and a monthly one from tier 2, each `fortress dr-test` in a CronJob running the CLI
 * image (`cliImage`). Cron expressions in UTC.
 *
 * ```yaml
 * fortress-dr:recoveryTests:
 *   weeklySchedule: "0 3 * * 2"
 *   monthlySchedule: "0 4 1 * *"
 * ```
 */
import { z } from "zod";
import { maxIntervalSeconds } from "../../components/core/cron";
import { DAY_SECONDS, cron } from "../fields";

/** The longest gap each schedule may leave: the requirement's "weekly" and "monthly". */
const LIMITS = { weeklySchedule: 7 * DAY_SECONDS, monthlySchedule: 31 * DAY_SECONDS } as const;

export const recoveryTestsSection = z
    .strictObject({
        /** The weekly service recovery test (database from tier 1), UTC. */
        weeklySchedule: cron.default("0 3 * * 2"),
        /** The monthly recovery test (database from tier 2, the DR region's copy), UTC. */
        monthlySchedule: cron.default("0 4 1 * *"),
    })
    .superRefine((s, ctx) => {
        for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
            let gap: number;
            try {
                gap = maxIntervalSeconds(s[key]);
            } catch {
                continue; // the cron field reports it
            }
            if (gap > LIMITS[key]) {
                ctx.addIssue({ code: "custom", path: [key], message: `"${s[key]}" leaves up to ${gap / DAY_SECONDS} days between two tests; at most ${LIMITS[key] / DAY_SECONDS} days` });
            }
        }
    })
    .prefault({});

export type RecoveryTestsConfig = z.infer<typeof recoveryTestsSection>;

/**
 * Section `slo`: the backup SLOs (DR plan, "SLAs") the alarms hold the jobs to, and the
 * schedules of the jobs that measure them — the daily rollup (sums the window for the
 * metric-math alarms) and the weekly backup audit (every run of the week, written to the log
 * archive). Defaults are the DR plan's figures.
 *
 * ```yaml
 * fortress-dr:slo:
 *   backupCompletionPercent: 99.9
 *   windowAdherencePercent: 99
 *   recoverySuccessPercent: 99.5
 *   verifySuccessPercent: 100
 *   windowDays: 30
 *   rollupSchedule: "20 0 * * *"
 *   auditSchedule: "0 6 * * 1"
 *   auditDays: 7
 * ```
 */
import { z } from "zod";
import { maxIntervalSeconds } from "../../components/core/cron";
import { DAY_SECONDS, cron } from "../fields";

const percent = z.number().gt(0, "a target is a percentage above 0").max(100, "a target is a percentage of at most 100");

export const sloSection = z
    .strictObject({
        /** Backup runs that complete, percent over the window. */
        backupCompletionPercent: percent.default(99.9),
        /** Successful backup runs that finish within their window (half the schedule gap), percent. */
        windowAdherencePercent: percent.default(99),
        /** Recovery tests (`fortress dr-test`) that succeed, percent. */
        recoverySuccessPercent: percent.default(99.5),
        /** Verification runs that pass, percent (the plan's "integrity validation 100 %"). */
        verifySuccessPercent: percent.default(100),
        /** The window the rates are measured over; CloudWatch keeps hourly data 455 days. */
        windowDays: z.number().int().min(1).max(455, "CloudWatch keeps hourly data 455 days; use at most 455").default(30),
        /** The daily rollup (UTC): must run at least daily, the alarms read one datapoint a day. */
        rollupSchedule: cron.default("20 0 * * *"),
        /** The backup audit (UTC): weekly by default. */
        auditSchedule: cron.default("0 6 * * 1"),
        /** Days each audit covers; one-minute data (one datapoint per run) is kept 15 days. */
        auditDays: z.number().int().min(1).max(14, "one-minute datapoints are kept 15 days; use at most 14").default(7),
    })
    .superRefine((s, ctx) => {
        const gap = (c: string) => {
            try {
                return maxIntervalSeconds(c);
            } catch {
                return undefined; // the cron field reports it
            }
        };
        const rollup = gap(s.rollupSchedule);
        if (rollup !== undefined && rollup > DAY_SECONDS) {
            ctx.addIssue({ code: "custom", path: ["rollupSchedule"], message: `"${s.rollupSchedule}" leaves up to ${rollup / 3600} h between runs; the SLO alarms read one datapoint a day, so run it at least daily, e.g. "20 0 * * *"` });
        }
        const audit = gap(s.auditSchedule);
        if (audit !== undefined && audit > s.auditDays * DAY_SECONDS) {
            ctx.addIssue({
                code: "custom",
                path: ["auditDays"],
                message: `${s.auditDays} days is shorter than the ${audit / DAY_SECONDS} days between two audits ("${s.auditSchedule}"): runs in between would be in no report; raise auditDays or audit more often`,
            });
        }
    })
    .prefault({});

export type SloConfig = z.infer<typeof sloSection>;

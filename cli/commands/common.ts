/**
 * Helpers the commands share: tier/class options, schedule bounds, objectives from the stack,
 * and the step shapes every command uses (a step that works on the driver, the connect step).
 */
import type { Command } from "commander";
import { maxIntervalSeconds } from "../../components/core/cron";
import type { TierDefinitions } from "../../config";
import type { Driver, SnapshotClass, Tier } from "../drivers/types";
import { TIER_IDS, snapshotClassKey } from "../drivers/types";
import { PreflightError } from "../errors";
import { formatSeconds, parseChoices } from "../parse";
import type { Json, Step, StepContext, StepResult } from "../runner";
import type { StackContext } from "../stack";

export function tiersOption(text: unknown, fallback: readonly Tier[] = TIER_IDS): Tier[] {
    return text === undefined ? [...fallback] : parseChoices("--tier", String(text), TIER_IDS);
}

/** `--tier <tiers>`, every tier by default: the one option of the read-only commands (status, validate), and their run identity. */
export const everyTierOption = {
    options(cmd: Command): void {
        cmd.option("--tier <tiers>", "comma-separated tiers (default tier1,tier2,tier3)");
    },
    fingerprint: (opts: Record<string, unknown>): Record<string, Json> => pick(opts, ["tier"]),
};

/** A step that works on the driver: `run` gets it (made on first use) with the step context. */
export function driverStep(step: Omit<Step, "run">, run: (driver: Driver, ctx: StepContext) => Promise<StepResult | void>): Step {
    return { ...step, run: async (ctx) => run(await ctx.driver(), ctx) };
}

/** The pre-flight step every command starts with: reach the driver (and check it has what the command needs). */
export function connectStep(title = "reach the driver", check?: (driver: Driver) => void): Step {
    return driverStep({ id: "connect", phase: "preflight", title, budget: { seconds: 30 } }, async (d) => {
        check?.(d);
        return { detail: d.describe };
    });
}

/** The stack's tier schedules of a data class (the cache's are `tiers.redis`); a tier it is not kept in is absent. */
export function tiersKeeping(stack: StackContext, dc: SnapshotClass): { readonly key: "redis" | "configuration" | "secrets"; readonly tiers: Partial<Record<Tier, { snapshot: string }>> } {
    const key = snapshotClassKey(dc);
    return { key, tiers: stack.config.tiers[key] as Partial<Record<Tier, { snapshot: string }>> };
}

/**
 * How old a tier's newest backup may be: the lab's own bound for the tier when the driver has
 * one, else the worst gap of the tier's schedule — with the words that say which.
 */
export function tierBound(d: Driver, tier: Tier, schedule: { readonly seconds: number; readonly schedule: string }): { seconds: number; text: string } {
    const lab = d.backupBoundsSeconds?.[tier];
    return lab !== undefined ? { seconds: lab, text: `lab schedule bound ${formatSeconds(lab)}` } : { seconds: schedule.seconds, text: `schedule "${schedule.schedule}" worst gap ${formatSeconds(schedule.seconds)}` };
}

/** A snapshot schedule as tierBound takes it. */
export const snapshotSchedule = (cron: string) => ({ seconds: maxIntervalSeconds(cron), schedule: cron });

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

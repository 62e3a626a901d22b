/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), the dialect that
 * Kubernetes CronJobs, Velero Schedules and the Percona operator's pgBackRest schedules share.
 *
 * The objectives model and the policies need one number from a schedule: the longest gap
 * between two consecutive runs, because that gap is the worst-case data loss of a
 * snapshot-based backup. This module parses strictly (an error names the field and what it
 * accepts) and computes that gap exactly over a 400-day window, which covers every
 * month-length and weekday combination a year can produce.
 */

export interface CronSchedule {
    readonly expression: string;
    readonly minutes: ReadonlySet<number>;
    readonly hours: ReadonlySet<number>;
    readonly daysOfMonth: ReadonlySet<number>;
    readonly months: ReadonlySet<number>;
    readonly daysOfWeek: ReadonlySet<number>;
    /** True when both day fields are restricted: cron then fires when EITHER matches. */
    readonly dayOrSemantics: boolean;
}

interface FieldSpec {
    readonly name: string;
    readonly min: number;
    readonly max: number;
}

const FIELDS: readonly FieldSpec[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day-of-week", min: 0, max: 7 },
];

export class CronError extends Error {}

function parseNumber(text: string, field: FieldSpec, expression: string): number {
    if (!/^\d+$/.test(text)) {
        throw new CronError(
            `cron "${expression}": ${field.name} "${text}" is not a number; use ${field.min}-${field.max}, "*", "a-b", "*/n" or a comma list`,
        );
    }
    const value = Number(text);
    if (value < field.min || value > field.max) {
        throw new CronError(`cron "${expression}": ${field.name} ${value} is outside ${field.min}-${field.max}`);
    }
    return value;
}

function parseField(text: string, field: FieldSpec, expression: string): { values: Set<number>; wildcard: boolean } {
    const values = new Set<number>();
    let wildcard = false;
    for (const part of text.split(",")) {
        const [rangeText, stepText, ...extra] = part.split("/");
        if (extra.length > 0 || rangeText === "") {
            throw new CronError(`cron "${expression}": ${field.name} "${part}" is malformed`);
        }
        const step = stepText === undefined ? 1 : parseNumber(stepText, { ...field, min: 1, max: field.max }, expression);
        let lo: number;
        let hi: number;
        if (rangeText === "*") {
            lo = field.min;
            hi = field.name === "day-of-week" ? 6 : field.max;
            if (stepText === undefined) wildcard = true;
        } else if (rangeText.includes("-")) {
            const [a, b] = rangeText.split("-");
            lo = parseNumber(a, field, expression);
            hi = parseNumber(b, field, expression);
            if (lo > hi) throw new CronError(`cron "${expression}": ${field.name} range "${rangeText}" runs backwards`);
        } else {
            lo = parseNumber(rangeText, field, expression);
            hi = stepText === undefined ? lo : field.max;
        }
        for (let v = lo; v <= hi; v += step) values.add(field.name === "day-of-week" && v === 7 ? 0 : v);
    }
    return { values, wildcard };
}

/** Parses a five-field cron expression; throws CronError naming the offending field. */
export function parseCron(expression: string): CronSchedule {
    const trimmed = expression.trim();
    if (trimmed.startsWith("@")) {
        throw new CronError(`cron "${expression}": macros such as @daily are not accepted; write the five fields, e.g. "0 0 * * *"`);
    }
    const parts = trimmed.split(/\s+/);
    if (parts.length !== 5) {
        throw new CronError(
            `cron "${expression}": expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
        );
    }
    const parsed = parts.map((p, i) => parseField(p, FIELDS[i], expression));
    return {
        expression: trimmed,
        minutes: parsed[0].values,
        hours: parsed[1].values,
        daysOfMonth: parsed[2].values,
        months: parsed[3].values,
        daysOfWeek: parsed[4].values,
        dayOrSemantics: !parsed[2].wildcard && !parsed[4].wildcard,
    };
}

function dayMatches(s: CronSchedule, date: Date, domWildcard: boolean, dowWildcard: boolean): boolean {
    if (!s.months.has(date.getUTCMonth() + 1)) return false;
    const dom = s.daysOfMonth.has(date.getUTCDate());
    const dow = s.daysOfWeek.has(date.getUTCDay());
    if (s.dayOrSemantics) return dom || dow;
    if (domWildcard) return dow;
    if (dowWildcard) return dom;
    return dom && dow;
}

const WINDOW_DAYS = 400;

/**
 * The longest gap, in seconds, between two consecutive runs of the schedule (UTC).
 * A schedule that never fires (e.g. 30 February) throws.
 */
export function maxIntervalSeconds(schedule: CronSchedule | string): number {
    const s = typeof schedule === "string" ? parseCron(schedule) : schedule;
    const domWildcard = s.daysOfMonth.size === 31;
    const dowWildcard = s.daysOfWeek.size === 7;
    const minutesOfDay: number[] = [];
    for (const h of [...s.hours].sort((a, b) => a - b)) {
        for (const m of [...s.minutes].sort((a, b) => a - b)) minutesOfDay.push(h * 60 + m);
    }
    // A leap-year start makes 29 February part of the window.
    const start = Date.UTC(2024, 0, 1);
    let previous: number | undefined;
    let first: number | undefined;
    let longest = 0;
    for (let day = 0; day < WINDOW_DAYS; day++) {
        const date = new Date(start + day * 86_400_000);
        if (!dayMatches(s, date, domWildcard, dowWildcard)) continue;
        for (const minute of minutesOfDay) {
            const t = day * 1440 + minute;
            if (previous !== undefined) longest = Math.max(longest, t - previous);
            if (first === undefined) first = t;
            previous = t;
        }
    }
    if (previous === undefined || first === undefined) {
        throw new CronError(`cron "${s.expression}": never fires; check the day-of-month and month fields`);
    }
    if (previous === first) {
        // Fires once in the window: a yearly schedule on one day.
        longest = 366 * 1440;
    }
    return longest * 60;
}

/** Human wording for a schedule's worst-case interval, e.g. "every 15m". */
export function describeInterval(seconds: number): string {
    if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
    if (seconds % 3600 === 0) return `${seconds / 3600}h`;
    if (seconds % 60 === 0) return `${seconds / 60}m`;
    return `${seconds}s`;
}

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
    const expression = typeof schedule === "string" ? schedule : schedule.expression;
    const known = intervals.get(expression);
    if (known !== undefined) return known;
    const seconds = computeMaxInterval(typeof schedule === "string" ? parseCron(schedule) : schedule);
    intervals.set(expression, seconds);
    return seconds;
}

/**
 * maxIntervalSeconds by expression: a stack's few schedules are asked about by many
 * components and policies, and each answer walks 400 days. A CronSchedule is always
 * parseCron's result for its expression, so the expression is the key.
 */
const intervals = new Map<string, number>();

function computeMaxInterval(s: CronSchedule): number {
    const domWildcard = s.daysOfMonth.size === 31;
    const dowWildcard = s.daysOfWeek.size === 7;
    const minutesOfDay: number[] = [];
    for (const h of [...s.hours].sort((a, b) => a - b)) {
        for (const m of [...s.minutes].sort((a, b) => a - b)) minutesOfDay.push(h * 60 + m);
    }
    // A leap-year start makes 29 February part of the window.
    const start = Date.UTC(2024, 0, 1);
    // Every firing day has the same times, so its longest inner gap is the same: only the gap
    // from one firing day's last run to the next one's first run varies.
    let withinDay = 0;
    for (let i = 1; i < minutesOfDay.length; i++) withinDay = Math.max(withinDay, minutesOfDay[i] - minutesOfDay[i - 1]);
    let previous: number | undefined;
    let first: number | undefined;
    let longest = 0;
    for (let day = 0; day < WINDOW_DAYS && minutesOfDay.length > 0; day++) {
        const date = new Date(start + day * 86_400_000);
        if (!dayMatches(s, date, domWildcard, dowWildcard)) continue;
        const firstRun = day * 1440 + minutesOfDay[0];
        if (previous !== undefined) longest = Math.max(longest, firstRun - previous);
        longest = Math.max(longest, withinDay);
        if (first === undefined) first = firstRun;
        previous = day * 1440 + minutesOfDay[minutesOfDay.length - 1];
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

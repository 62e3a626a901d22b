/**
 * Argument parsers shared by the commands: each throws a UsageError naming the argument, the
 * bad value and the accepted form, so bad input costs one clear line and exit 2.
 */
import { UsageError } from "./errors";

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "5m", "1h30m", "250ms", "2d" or a bare number of seconds → seconds. */
export function parseDuration(option: string, text: string): number {
    const t = text.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
    const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== t) {
        throw new UsageError(`${option} "${text}": not a duration; use e.g. 90s, 5m, 1h30m (units ms, s, m, h, d)`);
    }
    return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]], 0);
}

/**
 * An ISO 8601 timestamp WITH its zone ("2026-12-03T06:00:00Z", "...+01:00"). A zoneless time is
 * refused: on the worst day nobody should guess whether 06:00 meant UTC.
 */
export function parseTimestamp(option: string, text: string): Date {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim());
    const d = m ? new Date(text.trim().replace(" ", "T")) : undefined;
    if (!m || !d || Number.isNaN(d.getTime()) || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59) {
        throw new UsageError(`${option} "${text}": not a timestamp with a zone; use ISO 8601, e.g. 2026-12-03T06:00:00Z`);
    }
    return d;
}

/** A PostgreSQL LSN "16/B374D848". */
export function parseLsn(option: string, text: string): string {
    if (!/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(text.trim())) {
        throw new UsageError(`${option} "${text}": not an LSN; use the form 16/B374D848`);
    }
    return text.trim().toUpperCase();
}

/** Parses an LSN into a byte position (exact below 2^53). */
export function lsnToBytes(lsn: string): number {
    const [hi, lo] = lsn.split("/");
    return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

/** A byte position as an LSN ("16/B374D848"), the inverse of lsnToBytes. */
export function bytesToLsn(bytes: number): string {
    return `${Math.floor(bytes / 2 ** 32).toString(16).toUpperCase()}/${(bytes % 2 ** 32).toString(16).toUpperCase()}`;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(option: string, text: string, choices: readonly T[]): T {
    if (!(choices as readonly string[]).includes(text)) {
        throw new UsageError(`${option} "${text}": use one of ${choices.join(", ")}`);
    }
    return text as T;
}

/** A comma-separated list of choices ("database,cache"). */
export function parseChoices<T extends string>(option: string, text: string, choices: readonly T[]): T[] {
    return text.split(",").map((s) => parseChoice(option, s.trim(), choices));
}

/** Seconds as the operator reads them: "45 s", "3 min 20 s", "2 h 5 min". */
export function formatSeconds(s: number): string {
    if (!Number.isFinite(s)) return "unbounded";
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    if (s < 120) return `${Math.round(s * 10) / 10} s`;
    if (s < 7200) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
    return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** "2026-12-03 06:00:00.123000+00": the form pgBackRest parses to pick the backup set and PostgreSQL accepts. */
export function pgTimestamp(d: Date): string {
    const iso = d.toISOString(); // 2026-12-03T06:00:00.123Z
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00`;
}

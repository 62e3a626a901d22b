/**
 * A cross-field rule: a check across config fields that no single section can make. Each
 * runs on the sections that parsed on their own, so one bad section does not hide the
 * problems of another: every error is reported at once.
 */
import type { ParsedConfig } from "../schema";

export interface RuleIssue {
    /** Key path of the field to fix, e.g. ["dr", "restoreFrom"]. */
    readonly path: readonly (string | number)[];
    /** What is wrong and the fix; the key is prefixed by the error rendering. */
    readonly message: string;
}

/** The sections that parsed on their own (any may be missing). */
export type ParsedSections = Partial<ParsedConfig>;

export interface ConfigRule {
    /** What the rule guarantees, in a few words. */
    readonly name: string;
    readonly check: (c: ParsedSections) => RuleIssue[];
}

/**
 * The exit codes of every `fortress` command (docs/recovery-commands.md), and the error classes
 * that carry them. A code is set only after the outcome was checked: a step that "ran" without
 * its verification passing is a failure (1), never a success.
 */
export const EXIT = {
    /** Done, and the outcome verified. */
    ok: 0,
    /** A step failed or its verification did not hold. */
    failed: 1,
    /** Bad arguments or an unknown stack: nothing was done. */
    usage: 2,
    /** A guard refused (no fencing proof, loss above the RPO, no confirmation, ...): nothing destructive was done. */
    refused: 3,
    /** A pre-flight check failed (no backup in that tier, target before the oldest backup, ...): nothing was done. */
    preflight: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type Outcome = "done" | "failed" | "usage" | "refused" | "preflight-failed" | "dry-run";

export const OUTCOME_EXIT: Readonly<Record<Outcome, ExitCode>> = {
    done: EXIT.ok,
    "dry-run": EXIT.ok,
    failed: EXIT.failed,
    usage: EXIT.usage,
    refused: EXIT.refused,
    "preflight-failed": EXIT.preflight,
};

/** An error whose message is the one line the operator reads, and whose outcome picks the exit code. */
export class FortressError extends Error {
    constructor(
        readonly outcome: Exclude<Outcome, "done" | "dry-run">,
        message: string,
    ) {
        super(message);
    }
}

/** Bad arguments: exit 2. The message names the argument and the fix. */
export class UsageError extends FortressError {
    constructor(message: string) {
        super("usage", message);
    }
}

/** A guard said no: exit 3. */
export class GuardRefusal extends FortressError {
    constructor(message: string) {
        super("refused", message);
    }
}

/** A pre-flight check failed: exit 4. */
export class PreflightError extends FortressError {
    constructor(message: string) {
        super("preflight-failed", message);
    }
}

/** A step or its verification failed: exit 1. */
export class StepFailed extends FortressError {
    constructor(message: string) {
        super("failed", message);
    }
}

/** A wait ran past its `--timeout` (or the step's budget): a failure that names what it waited for. */
export class WaitTimeout extends StepFailed {}

/**
 * What a command prints. Three forms, chosen once per run:
 * - `tty`: a line per step with its phase, progress lines under it, the elapsed time against the budget;
 * - `plain` (stdout is not a terminal: CI, logs): one timestamped line per event, grep-able;
 * - `json` (`--output json`): progress as plain lines on stderr, ONE JSON document on stdout at the
 *   end, versioned by `schemaVersion` (docs/recovery-commands.md describes it).
 */
import { formatSeconds } from "./parse";
import type { RunDocument, StepRecord } from "./runner";

export type OutputMode = "tty" | "plain" | "json";

export interface Reporter {
    readonly mode: OutputMode;
    header(text: string): void;
    stepStart(step: StepRecord, index: number, total: number): void;
    progress(line: string): void;
    stepEnd(step: StepRecord): void;
    /** A line the operator must read (warnings, what to do next). */
    note(line: string): void;
    finish(doc: RunDocument): void;
}

const PHASE_MARK: Record<string, string> = { preflight: "pre-flight", plan: "plan", confirm: "confirm", act: "act", verify: "verify", record: "record" };

export function makeReporter(mode: OutputMode, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Reporter {
    const progressStream = mode === "json" ? err : out;
    const ts = () => new Date().toISOString();
    const plain = mode !== "tty";
    const write = (s: string) => progressStream.write(s + "\n");
    return {
        mode,
        header(text) {
            write(plain ? `${ts()} ${text}` : `\n${text}`);
        },
        stepStart(step, index, total) {
            if (plain) write(`${ts()} step ${index}/${total} ${step.id} phase=${step.phase} start budget=${step.budgetSeconds}s`);
            else write(`[${index}/${total}] ${PHASE_MARK[step.phase] ?? step.phase}: ${step.title} (budget ${formatSeconds(step.budgetSeconds)})`);
        },
        progress(line) {
            write(plain ? `${ts()}   ${line}` : `      ${line}`);
        },
        stepEnd(step) {
            const took = step.seconds !== undefined ? formatSeconds(step.seconds) : "-";
            const over = step.seconds !== undefined && step.seconds > step.budgetSeconds ? ` OVER BUDGET (${formatSeconds(step.budgetSeconds)})` : "";
            if (plain) write(`${ts()} step ${step.id} ${step.status} seconds=${step.seconds ?? "-"}${over ? " over-budget" : ""}${step.detail ? ` detail=${JSON.stringify(step.detail)}` : ""}`);
            else write(`      ${step.status === "verified" ? "ok" : step.status === "skipped" ? "skipped" : step.status.toUpperCase()} ${took}${over}${step.detail ? ` — ${step.detail}` : ""}`);
        },
        note(line) {
            write(plain ? `${ts()} NOTE ${line}` : `  ! ${line}`);
        },
        finish(doc) {
            if (mode === "json") {
                out.write(JSON.stringify(doc, null, 2) + "\n");
                return;
            }
            const line = `fortress ${doc.command}: ${doc.outcome} (exit ${doc.exitCode})${doc.message ? ` — ${doc.message}` : ""}; run ${doc.runId}`;
            write(plain ? `${ts()} ${line}` : `\n${line}`);
        },
    };
}

/** The step plan as a table (`--dry-run`, and at the start of every run). */
export function planLines(steps: readonly StepRecord[], lossBound: RunDocument["dataLossBound"]): string[] {
    const w = Math.max(...steps.map((s) => s.id.length), 4);
    const lines = steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.phase.padEnd(9)} ${s.id.padEnd(w)}  ${formatSeconds(s.budgetSeconds).padStart(12)}  ${s.title}${s.mutates ? "  [changes things]" : ""}\n${" ".repeat(w + 16)}budget: ${s.budgetSource}`);
    const total = steps.reduce((t, s) => t + s.budgetSeconds, 0);
    lines.push(`  total budget ${formatSeconds(total)}`);
    lines.push(`  data-loss bound: ${lossBound.seconds === null ? "none (nothing is lost by this command)" : formatSeconds(lossBound.seconds)} — ${lossBound.why}`);
    return lines;
}

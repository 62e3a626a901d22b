/**
 * The step runner every `fortress` command uses. A command is a list of named steps in the
 * phases preflight → plan → confirm → act → verify → record; the runner gives each a time budget
 * (a drill figure by id where one exists, else a stated one), runs them in order, and owns the
 * conventions so no command can forget one:
 *
 * - `--dry-run`: runs only the read-only phases (preflight, plan), prints the step plan with
 *   budgets and the data-loss bound, and writes nothing (no state, no audit, no lock).
 * - confirm: a destructive command asks for the stack name to be typed unless `--yes`; with no
 *   terminal on stdin it refuses (exit 3) and says to use `--yes`.
 * - a run id and a state file (`<state-dir>/runs/<run-id>.json`): each step is recorded as
 *   verified only after it returned; a rerun of the same command with the same arguments
 *   resumes at the first unverified step (pre-flight steps always run again: they read the
 *   world as it is now).
 * - the exit code is derived from the outcome after the last step returned (errors.ts).
 * - an audit record (who, when, reason, plan, outcome) appended to `<state-dir>/audit.jsonl` and
 *   written to tier 3 through the driver's AuditSink, for every outcome but usage errors and dry runs.
 */
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { AuditRecord, appendLocalAudit, auditKey } from "./audit";
import type { Driver, Finding, MetricsSink, Wait } from "./drivers/types";
import type { SloRun } from "../components/detection/slo";
import { SloPublishReport, publishSloRuns } from "./slo-metrics";
import { FortressError, GuardRefusal, OUTCOME_EXIT, Outcome, WaitTimeout } from "./errors";
import { BudgetSpec, resolveBudget } from "./figures";
import { Reporter, planLines } from "./output";
import { formatSeconds } from "./parse";

export const RUN_SCHEMA_VERSION = "fortress.run/v1";
export const STATE_SCHEMA_VERSION = "fortress.state/v1";

export const PHASES = ["preflight", "plan", "confirm", "act", "verify", "record"] as const;
export type Phase = (typeof PHASES)[number];

/** JSON values only: step data survives in the state file across a kill and a rerun. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface StepContext {
    /** A bounded wait for this step: `--timeout` if given, else the command's default wait. */
    wait(): Wait;
    progress(line: string): void;
    note(line: string): void;
    /** Results of earlier steps (also those verified in an earlier attempt of this run). */
    readonly data: Record<string, Json>;
    /** The driver, created on first use (a dry run of a usage error never creates one). */
    driver(): Promise<Driver>;
    /** Findings to report (validate, status): the command's result lists them. */
    addFinding(f: Finding): void;
    readonly dryRun: boolean;
    /** The state directory (reports a command writes go under it). */
    readonly stateDir: string;
    /** The run id (for names of things a step creates). */
    readonly runId: string;
}

export interface StepResult {
    /** One line: what was done and how it was checked. */
    readonly detail?: string;
    /** Values later steps and the result need; persisted in the state file. */
    readonly data?: Record<string, Json>;
}

export interface Step {
    readonly id: string;
    readonly phase: Exclude<Phase, "confirm" | "record">;
    readonly title: string;
    readonly budget: BudgetSpec;
    /** Changes something outside the state dir (a dry run never reaches such a step). */
    readonly mutates?: boolean;
    /**
     * Runs the step and checks its effect; returns only when the effect was verified, throws
     * otherwise. Must be idempotent: a killed attempt is run again from the start of the step.
     */
    run(ctx: StepContext): Promise<StepResult | void>;
}

export interface CommandPlan {
    readonly steps: readonly Step[];
    /** The worst data loss this command can cause or accept, and why; null seconds: none. */
    readonly dataLossBound: { readonly seconds: number | null; readonly why: string };
    /** Asks for the stack name to be typed (or --yes) before the first act step. */
    readonly destructive: boolean;
    /**
     * A rerun with the same arguments resumes even a finished run (restore: `--promote` after
     * `--inspect` continues the same restore instead of starting over). Default: only unfinished runs.
     */
    readonly resumeFinished?: boolean;
    /** Builds the command's `result` object from the step data at the end. */
    readonly result?: (data: Record<string, Json>, findings: readonly Finding[]) => Record<string, Json>;
    /**
     * Decides the outcome from the data once every step returned (validate: findings → failed;
     * status: breached objective → failed). Undefined: "done".
     */
    readonly judge?: (data: Record<string, Json>, findings: readonly Finding[]) => { outcome: Outcome; message: string } | undefined;
    /**
     * The backup SLO runs this attempt counts (backup, dr-test), from the step records once the
     * outcome is final; published through the driver's metrics sink (cli/slo-metrics.ts).
     */
    readonly sloRuns?: (steps: readonly StepRecord[], data: Record<string, Json>) => SloRun[];
}

export interface StepRecord {
    readonly id: string;
    readonly phase: Phase;
    readonly title: string;
    readonly mutates: boolean;
    readonly budgetSeconds: number;
    readonly budgetSource: string;
    status: "pending" | "running" | "verified" | "failed" | "skipped" | "verified-earlier";
    startedAt?: string;
    seconds?: number;
    detail?: string;
}

/** The `--output json` document (and the audit record's outcome part). */
export interface RunDocument {
    readonly schemaVersion: typeof RUN_SCHEMA_VERSION;
    readonly runId: string;
    readonly command: string;
    readonly stack: string;
    driver?: string;
    readonly startedAt: string;
    finishedAt?: string;
    readonly dryRun: boolean;
    resumedFrom?: { readonly attempt: number; readonly firstUnverifiedStep: string };
    outcome: Outcome;
    exitCode: number;
    message?: string;
    readonly reason?: string;
    readonly steps: StepRecord[];
    readonly dataLossBound: CommandPlan["dataLossBound"];
    result: Record<string, Json>;
    findings: Finding[];
    audit: { local?: string; tier3?: string; error?: string };
    /** backup and dr-test: the SLO runs published (or why not); absent for other commands. */
    sloMetrics?: SloPublishReport;
}

interface StateFile {
    schemaVersion: typeof STATE_SCHEMA_VERSION;
    runId: string;
    command: string;
    stack: string;
    fingerprint: string;
    args: Record<string, Json>;
    attempts: number;
    startedAt: string;
    updatedAt: string;
    finished?: { outcome: Outcome; at: string };
    steps: Record<string, { status: "verified" | "failed" | "running"; at: string; detail?: string }>;
    data: Record<string, Json>;
}

export interface RunOptions {
    readonly command: string;
    readonly stack: string;
    /** The arguments that define the run (what a rerun must repeat to resume it). */
    readonly args: Record<string, Json>;
    readonly stateDir: string;
    readonly dryRun: boolean;
    readonly yes: boolean;
    readonly reason?: string;
    /** Seconds every wait may take (`--timeout`); undefined: the command's default. */
    readonly timeoutSeconds?: number;
    readonly defaultTimeoutSeconds: number;
    /** Start a new run even if an unfinished one with the same arguments exists. */
    readonly fresh: boolean;
    readonly runId?: string;
    readonly reporter: Reporter;
    readonly makeDriver: () => Promise<Driver>;
    /** The metrics sink when no driver could be made (a failed run still publishes its failure). */
    readonly makeMetrics?: () => MetricsSink | undefined;
    /** Where the typed confirmation is read from (tests pass a stream). */
    readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const nowIso = () => new Date().toISOString();

function newRunId(command: string): string {
    const t = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    return `${t}-${command}-${randomBytes(3).toString("hex")}`;
}

export function fingerprint(command: string, stack: string, args: Record<string, Json>): string {
    const sorted = Object.keys(args)
        .sort()
        .map((k) => [k, args[k]]);
    return createHash("sha256").update(JSON.stringify([command, stack, sorted])).digest("hex").slice(0, 16);
}

function runsDir(stateDir: string): string {
    return path.join(stateDir, "runs");
}

function writeAtomic(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
}

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The newest unfinished (or failed) run of the same command with the same arguments. */
function findResumable(stateDir: string, fp: string, includeDone: boolean): StateFile | undefined {
    let names: string[];
    try {
        names = fs.readdirSync(runsDir(stateDir)).filter((n) => n.endsWith(".json"));
    } catch {
        return undefined;
    }
    const candidates: StateFile[] = [];
    for (const n of names) {
        try {
            const s = JSON.parse(fs.readFileSync(path.join(runsDir(stateDir), n), "utf8")) as StateFile;
            if (s.schemaVersion === STATE_SCHEMA_VERSION && s.fingerprint === fp && (includeDone || s.finished?.outcome !== "done")) candidates.push(s);
        } catch {
            // a state file cut short by a crash mid-write cannot exist (atomic rename); anything else unreadable is skipped
        }
    }
    return candidates.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
}

async function askStackName(stack: string, command: string, stdin: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<void> {
    if (!stdin.isTTY) {
        throw new GuardRefusal(`${command} changes ${stack} and needs a typed confirmation, but stdin is not a terminal: pass --yes to confirm`);
    }
    const rl = readline.createInterface({ input: stdin, output: process.stderr });
    const answer = await new Promise<string>((resolve) => rl.question(`Type the stack name "${stack}" to let fortress ${command} go ahead: `, resolve));
    rl.close();
    if (answer.trim() !== stack) throw new GuardRefusal(`confirmation "${answer.trim()}" is not the stack name "${stack}": nothing was changed`);
}

/** Runs a command's plan under the conventions; returns the document (its exitCode is the process's). */
export async function runPlan(plan: CommandPlan, o: RunOptions): Promise<RunDocument> {
    const run = new Run(plan, o, resumableState(plan, o));
    try {
        await run.begin();
        await run.runSteps();
        run.judge();
    } catch (e) {
        run.failWith(e);
    } finally {
        await run.end();
    }
    return run.finish();
}

/**
 * The earlier attempt this run resumes, if any. Only a plan that changes something resumes: a
 * rerun of a read-only command (status, validate) must read the world again, never reuse an
 * earlier attempt's findings.
 */
function resumableState(plan: CommandPlan, o: RunOptions): StateFile | undefined {
    const fp = fingerprint(o.command, o.stack, o.args);
    const resumable = plan.steps.some((s) => s.mutates);
    const previous = o.dryRun || o.fresh || !resumable ? undefined : o.runId ? readState(o.stateDir, o.runId) : findResumable(o.stateDir, fp, !!plan.resumeFinished);
    if (previous && previous.fingerprint !== fp) {
        throw new GuardRefusal(`run ${previous.runId} was started with other arguments; rerun it with the same arguments, or pass --fresh`);
    }
    return previous;
}

/** The step records in run order: pre-flight and plan, the confirmation, act and verify, the record. */
function stepRecords(plan: CommandPlan, o: RunOptions): StepRecord[] {
    const records: StepRecord[] = [];
    const push = (id: string, phase: Phase, title: string, budget: BudgetSpec, mutates: boolean) => {
        const b = resolveBudget(budget);
        records.push({ id, phase, title, mutates, budgetSeconds: b.seconds, budgetSource: b.source, status: "pending" });
    };
    for (const s of plan.steps.filter((x) => x.phase === "preflight" || x.phase === "plan")) push(s.id, s.phase, s.title, s.budget, !!s.mutates);
    if (plan.destructive) push("confirm", "confirm", o.yes ? "confirmed by --yes" : "type the stack name to confirm", { seconds: 120 }, false);
    for (const s of plan.steps.filter((x) => x.phase === "act" || x.phase === "verify")) push(s.id, s.phase, s.title, s.budget, !!s.mutates);
    if (!o.dryRun) push("record", "record", "audit record: local JSON lines and tier 3 (Object Lock)", { seconds: 30 }, false);
    return records;
}

const readOnlyPhase = (r: StepRecord) => r.phase === "preflight" || r.phase === "plan";

/** One attempt of a run: its document, its state file and lock, its driver, and the steps in order. */
class Run {
    readonly runId: string;
    readonly records: StepRecord[];
    readonly doc: RunDocument;
    readonly state: StateFile;
    private readonly stepById: Map<string, Step>;
    private readonly stateFile: string;
    private readonly lockFile: string;
    private readonly timeout: number;
    private readonly ctx: StepContext;
    private driver: Driver | undefined;
    private locked = false;

    constructor(
        private readonly plan: CommandPlan,
        private readonly o: RunOptions,
        private readonly previous: StateFile | undefined,
    ) {
        this.runId = previous?.runId ?? o.runId ?? newRunId(o.command);
        this.records = stepRecords(plan, o);
        this.stepById = new Map(plan.steps.map((s) => [s.id, s]));
        this.doc = {
            schemaVersion: RUN_SCHEMA_VERSION,
            runId: this.runId,
            command: o.command,
            stack: o.stack,
            startedAt: nowIso(),
            dryRun: o.dryRun,
            outcome: "failed",
            exitCode: OUTCOME_EXIT.failed,
            reason: o.reason,
            steps: this.records,
            dataLossBound: plan.dataLossBound,
            result: {},
            findings: [],
            audit: {},
        };
        this.state = previous
            ? { ...previous, attempts: previous.attempts + 1, finished: undefined }
            : { schemaVersion: STATE_SCHEMA_VERSION, runId: this.runId, command: o.command, stack: o.stack, fingerprint: fingerprint(o.command, o.stack, o.args), args: o.args, attempts: 1, startedAt: this.doc.startedAt, updatedAt: this.doc.startedAt, steps: {}, data: {} };
        this.stateFile = path.join(runsDir(o.stateDir), `${this.runId}.json`);
        this.lockFile = path.join(runsDir(o.stateDir), `${this.runId}.lock`);
        this.timeout = o.timeoutSeconds ?? o.defaultTimeoutSeconds;
        this.ctx = {
            wait: () => ({ deadline: Date.now() + this.timeout * 1000, progress: (l) => o.reporter.progress(l) }),
            progress: (l) => o.reporter.progress(l),
            note: (l) => o.reporter.note(l),
            data: this.state.data,
            driver: () => this.getDriver(),
            addFinding: (f) => this.doc.findings.push(f),
            dryRun: o.dryRun,
            stateDir: o.stateDir,
            runId: this.runId,
        };
    }

    /** The driver, made on first use. */
    private async getDriver(): Promise<Driver> {
        if (!this.driver) {
            this.driver = await this.o.makeDriver();
            this.doc.driver = this.driver.describe;
        }
        return this.driver;
    }

    private save(): void {
        this.state.updatedAt = nowIso();
        writeAtomic(this.stateFile, JSON.stringify(this.state, null, 2) + "\n");
    }

    /** A step's outcome in the state file (a dry run writes none). */
    private saveStep(id: string, status: StateFile["steps"][string]["status"], at: string, detail?: string): void {
        if (this.o.dryRun) return;
        this.state.steps[id] = { status, at, detail };
        this.save();
    }

    /** Takes the run's lock and writes its state (not in a dry run); says where a resumed run picks up. */
    async begin(): Promise<void> {
        const o = this.o;
        if (!o.dryRun) {
            fs.mkdirSync(runsDir(o.stateDir), { recursive: true, mode: 0o700 });
            this.locked = takeLock(this.lockFile, this.runId);
            this.save();
        }
        const firstUnverified = this.records.find((r) => !readOnlyPhase(r) && this.state.steps[r.id]?.status !== "verified");
        if (this.previous) {
            this.doc.resumedFrom = { attempt: this.state.attempts, firstUnverifiedStep: firstUnverified?.id ?? "record" };
            o.reporter.note(`resuming run ${this.runId} (attempt ${this.state.attempts}) at step ${this.doc.resumedFrom.firstUnverifiedStep}; steps verified earlier are not repeated`);
        }
        o.reporter.header(`fortress ${o.command} — stack ${o.stack}, run ${this.runId}${o.dryRun ? " (dry run: nothing will be changed)" : ""}`);
    }

    /** Every step in order (a dry run: the read-only ones); the record step is written in end(), whatever happened. */
    async runSteps(): Promise<void> {
        const runnable = this.o.dryRun ? this.records.filter(readOnlyPhase) : this.records;
        for (let i = 0; i < runnable.length; i++) {
            const rec = runnable[i];
            if (rec.id === "record") break;
            const verifiedEarlier = this.state.steps[rec.id]?.status === "verified" && !readOnlyPhase(rec);
            if (verifiedEarlier) {
                rec.status = "verified-earlier";
                rec.detail = this.state.steps[rec.id].detail;
                this.o.reporter.stepEnd(rec);
                continue;
            }
            await this.runStep(rec, i + 1, runnable.length);
        }
    }

    /** One step: recorded running, then verified with its data, or failed (and the run stops). */
    private async runStep(rec: StepRecord, index: number, total: number): Promise<void> {
        rec.status = "running";
        rec.startedAt = nowIso();
        this.o.reporter.stepStart(rec, index, total);
        this.saveStep(rec.id, "running", rec.startedAt);
        const t0 = process.hrtime.bigint();
        try {
            const result = rec.id === "confirm" ? await this.confirm() : await this.stepById.get(rec.id)!.run(this.ctx);
            rec.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
            rec.status = "verified";
            rec.detail = result?.detail;
            Object.assign(this.state.data, result?.data ?? {});
            this.saveStep(rec.id, "verified", nowIso(), rec.detail);
            this.o.reporter.stepEnd(rec);
        } catch (e) {
            rec.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
            rec.status = "failed";
            rec.detail = e instanceof Error ? e.message : String(e);
            this.saveStep(rec.id, "failed", nowIso(), rec.detail);
            this.o.reporter.stepEnd(rec);
            throw e;
        }
    }

    private async confirm(): Promise<StepResult> {
        if (!this.o.yes) await askStackName(this.o.stack, this.o.command, this.o.stdin ?? process.stdin);
        return { detail: this.o.yes ? "--yes" : "stack name typed" };
    }

    /** Every step returned: the command's result, and its outcome as the plan judges it. */
    judge(): void {
        const { doc, plan, state } = this;
        doc.result = plan.result ? plan.result(state.data, doc.findings) : {};
        const judged = plan.judge?.(state.data, doc.findings);
        doc.outcome = this.o.dryRun && (!judged || judged.outcome === "done") ? "dry-run" : (judged?.outcome ?? "done");
        doc.message = judged?.message;
    }

    /** A step (or the lock, or the result) threw: the outcome its error names, and what result there is. */
    failWith(e: unknown): void {
        const doc = this.doc;
        if (e instanceof FortressError) {
            doc.outcome = e.outcome;
            doc.message = e.message;
        } else {
            doc.outcome = "failed";
            doc.message = e instanceof Error ? e.message : String(e);
        }
        if (e instanceof WaitTimeout) this.o.reporter.note(`a wait ran out (--timeout ${formatSeconds(this.timeout)}); rerun the same command to resume, or raise --timeout`);
        doc.result = this.plan.result ? safeResult(this.plan, this.state.data, doc.findings) : {};
    }

    /** Whatever happened: the audit record, the SLO runs, the final state, the lock released, the dry-run plan, the driver closed. */
    async end(): Promise<void> {
        const { o, doc, plan } = this;
        if (!o.dryRun && (doc.outcome as string) !== "usage") {
            await record(doc, this.state, o, this.driver, this.records);
        }
        // After the record: the outcome is final. Nothing attempted (dry run, usage, refused) counts no run.
        if (plan.sloRuns && !o.dryRun && !["usage", "refused"].includes(doc.outcome as string)) {
            // The driver the steps used, or one made now (a step may have failed before needing it).
            const d = this.driver ?? (await this.getDriver().catch(() => undefined));
            doc.sloMetrics = await publishRuns(plan, this.records, this.state.data, d, o);
        }
        // Only the lock holder writes the run's state (a refused second process must not).
        if (!o.dryRun && this.locked) {
            this.state.finished = { outcome: doc.outcome, at: nowIso() };
            try {
                this.save();
            } catch {
                // the state dir vanished; the audit record already says what happened
            }
        }
        if (this.locked) fs.rmSync(this.lockFile, { force: true });
        if (o.dryRun) {
            o.reporter.header("step plan (dry run — nothing was changed):");
            for (const l of planLines(this.records, plan.dataLossBound)) o.reporter.progress(l);
        }
        await this.driver?.close().catch(() => undefined);
    }

    /** The exit code from the final outcome; the reporter's last word. */
    finish(): RunDocument {
        this.doc.finishedAt = nowIso();
        this.doc.exitCode = OUTCOME_EXIT[this.doc.outcome];
        this.o.reporter.finish(this.doc);
        return this.doc;
    }
}

async function publishRuns(plan: CommandPlan, records: readonly StepRecord[], data: Record<string, Json>, driver: Driver | undefined, o: RunOptions): Promise<SloPublishReport> {
    let runs: SloRun[] = [];
    let report: SloPublishReport;
    try {
        runs = plan.sloRuns!(records, data);
        let why: string | undefined;
        let sink = driver?.metrics;
        if (!driver) {
            try {
                sink = o.makeMetrics?.();
            } catch (e) {
                why = (e as Error).message;
            }
            why ??= sink ? undefined : "no driver was made and there is no metrics sink without one";
        } else if (!sink) why = `driver ${driver.name} has no metrics sink${driver.name === "lab" ? " (the lab description has no cloudwatch section)" : ""}`;
        report = await publishSloRuns(runs, sink, why, { deadline: Date.now() + 30_000 });
        if (!driver && sink && "destroy" in sink) (sink as { destroy(): void }).destroy();
    } catch (e) {
        report = { namespace: "", sink: null, published: false, runs: [], error: (e as Error).message };
    }
    const what = report.runs.map((r) => `${r.dataClass}/${r.tier}/${r.purpose}=${r.succeeded}`).join(", ");
    if (report.published) o.reporter.note(`SLO metrics: ${report.namespace} Runs/Succeeded/WithinWindow/DurationSeconds to ${report.sink}: ${what}`);
    else o.reporter.note(`WARNING: the SLO metrics of this run were not published (${report.error}); the outcome stands, the SLO misses this run (${what || "no runs"})`);
    return report;
}

function safeResult(plan: CommandPlan, data: Record<string, Json>, findings: readonly Finding[]): Record<string, Json> {
    try {
        return plan.result!(data, findings);
    } catch {
        return {};
    }
}

function readState(stateDir: string, runId: string): StateFile | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(runsDir(stateDir), `${runId}.json`), "utf8")) as StateFile;
    } catch {
        return undefined;
    }
}

/** One process per run: a live holder refuses the second; a dead one's lock (killed) is taken over. */
function takeLock(lockFile: string, runId: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
            return true;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            const pid = Number(fs.readFileSync(lockFile, "utf8"));
            if (pid && pidAlive(pid) && pid !== process.pid) throw new GuardRefusal(`run ${runId} is in progress in process ${pid}; wait for it, or stop that process first`);
            fs.rmSync(lockFile, { force: true });
        }
    }
    throw new GuardRefusal(`cannot take the lock ${lockFile}`);
}

/** The record step: local JSON lines first (always possible), then tier 3. */
async function record(doc: RunDocument, state: StateFile, o: RunOptions, driver: Driver | undefined, records: StepRecord[]): Promise<void> {
    const rec = records.find((r) => r.id === "record");
    const t0 = Date.now();
    const entry: AuditRecord = {
        schemaVersion: "fortress.audit/v1",
        runId: doc.runId,
        attempt: state.attempts,
        command: doc.command,
        stack: doc.stack,
        who: whoAmI(),
        host: os.hostname(),
        startedAt: doc.startedAt,
        recordedAt: nowIso(),
        reason: doc.reason ?? null,
        args: state.args,
        plan: records.filter((r) => r.id !== "record").map((r) => ({ id: r.id, phase: r.phase, budgetSeconds: r.budgetSeconds, status: r.status, seconds: r.seconds ?? null })),
        dataLossBound: { seconds: doc.dataLossBound.seconds, why: doc.dataLossBound.why },
        outcome: doc.outcome,
        message: doc.message ?? null,
        driver: doc.driver ?? null,
        // GDPR Art. 17: the audit record names every erasure request a restore or failover replayed.
        ...(state.data.erasuresReplayed !== undefined ? { erasuresReplayed: state.data.erasuresReplayed } : {}),
    };
    try {
        doc.audit.local = appendLocalAudit(o.stateDir, entry);
    } catch (e) {
        doc.audit.error = `local audit record not written: ${(e as Error).message}`;
    }
    if (driver?.audit) {
        try {
            const retainUntil = new Date(Date.now() + 365 * 86_400_000);
            const r = await driver.audit.putAuditRecord(auditKey(entry), JSON.stringify(entry) + "\n", retainUntil, { deadline: Date.now() + 60_000 });
            doc.audit.tier3 = r.location + (r.versionId ? `?versionId=${r.versionId}` : "");
        } catch (e) {
            doc.audit.error = `tier-3 audit record not written: ${(e as Error).message}`;
        }
    } else if (driver) {
        doc.audit.error = `driver ${driver.name} has no tier-3 audit sink`;
    }
    if (rec) {
        rec.seconds = (Date.now() - t0) / 1000;
        rec.status = doc.audit.error ? "failed" : "verified";
        rec.detail = doc.audit.error ?? [doc.audit.local, doc.audit.tier3].filter(Boolean).join(", ");
        o.reporter.stepEnd(rec);
    }
    // An outcome that was "done" is not done without its audit trail.
    if (doc.audit.error && doc.outcome === "done") {
        doc.outcome = "failed";
        doc.message = `the command's steps were verified, but ${doc.audit.error}`;
    }
}

/** Who ran it: the operator's name as the machine knows it (sudo's caller, if any). */
export function whoAmI(): string {
    const user = process.env.SUDO_USER || safeUser();
    const named = process.env.FORTRESS_OPERATOR;
    return named ? `${named} (${user})` : user;
}

function safeUser(): string {
    try {
        return os.userInfo().username;
    } catch {
        return `uid ${process.getuid?.() ?? "?"}`;
    }
}

import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import type { Driver } from "../../cli/drivers/types";
import { StepFailed } from "../../cli/errors";
import { makeReporter } from "../../cli/output";
import { parseDuration, parseLsn, parseTimestamp } from "../../cli/parse";
import { CommandPlan, RunOptions, runPlan } from "../../cli/runner";

const driver = { name: "test", describe: "test driver", database: {} as Driver["database"], async close() {} } as Driver;

function options(stateDir: string, extra: Partial<RunOptions> = {}): RunOptions {
    const out = new PassThrough();
    out.resume();
    return { command: "restore", stack: "dev", args: { into: "x" }, stateDir, dryRun: false, yes: true, reason: "test", defaultTimeoutSeconds: 60, fresh: false, reporter: makeReporter("plain", out, out), makeDriver: async () => driver, ...extra };
}

/** A plan whose act step fails while `failAct.on` is true, counting how often each step ran. */
function plan(ran: Record<string, number>, failAct: { on: boolean }): CommandPlan {
    const step = (id: string, phase: "preflight" | "plan" | "act" | "verify", mutates = false) => ({
        id,
        phase,
        title: id,
        budget: { seconds: 10 },
        mutates,
        async run() {
            ran[id] = (ran[id] ?? 0) + 1;
            if (id === "act2" && failAct.on) throw new StepFailed("act2 broke");
            return { detail: id, data: { [id]: true } };
        },
    });
    return { destructive: true, dataLossBound: { seconds: null, why: "test" }, steps: [step("pre", "preflight"), step("plan", "plan"), step("act1", "act", true), step("act2", "act", true), step("check", "verify")] };
}

describe("cli/runner: the conventions every command shares", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-runner-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("--dry-run runs only pre-flight and plan steps and writes nothing", async () => {
        const ran: Record<string, number> = {};
        const doc = await runPlan(plan(ran, { on: false }), options(dir, { dryRun: true }));
        assert.deepStrictEqual(ran, { pre: 1, plan: 1 });
        assert.strictEqual(doc.outcome, "dry-run");
        assert.strictEqual(doc.exitCode, 0);
        assert.deepStrictEqual(fs.readdirSync(dir), []);
    });

    it("a failed step exits 1; the rerun resumes at the first unverified step and repeats pre-flight only", async () => {
        const ran: Record<string, number> = {};
        const fail = { on: true };
        const first = await runPlan(plan(ran, fail), options(dir));
        assert.strictEqual(first.exitCode, 1);
        fail.on = false;
        const second = await runPlan(plan(ran, fail), options(dir));
        assert.strictEqual(second.exitCode, 0);
        assert.strictEqual(second.runId, first.runId);
        assert.deepStrictEqual(second.resumedFrom, { attempt: 2, firstUnverifiedStep: "act2" });
        assert.deepStrictEqual(ran, { pre: 2, plan: 2, act1: 1, act2: 2, check: 1 });
        const audit = fs.readFileSync(path.join(dir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
        assert.deepStrictEqual(audit.map((a) => [a.attempt, a.outcome, a.reason]), [[1, "failed", "test"], [2, "done", "test"]]);
    });

    it("a read-only plan never resumes: its rerun reads everything again", async () => {
        const ran: Record<string, number> = {};
        const ro: CommandPlan = { destructive: false, dataLossBound: { seconds: null, why: "" }, steps: [{ id: "read", phase: "act", title: "read", budget: { seconds: 1 }, async run() { ran.read = (ran.read ?? 0) + 1; } }], judge: () => ({ outcome: "failed", message: "bad object" }) };
        assert.strictEqual((await runPlan(ro, options(dir, { command: "validate" }))).exitCode, 1);
        const again = await runPlan(ro, options(dir, { command: "validate" }));
        assert.strictEqual(again.resumedFrom, undefined);
        assert.strictEqual(ran.read, 2);
    });

    it("a destructive plan without --yes and without a terminal refuses with exit 3 before any act step", async () => {
        const ran: Record<string, number> = {};
        const stdin = Object.assign(new PassThrough(), { isTTY: false });
        const doc = await runPlan(plan(ran, { on: false }), options(dir, { yes: false, stdin }));
        assert.strictEqual(doc.exitCode, 3);
        assert.match(doc.message ?? "", /--yes/);
        assert.strictEqual(ran.act1, undefined);
    });

    it("a run held by a live process is refused; a dead holder's lock is taken over", async () => {
        const ran: Record<string, number> = {};
        const first = await runPlan(plan(ran, { on: true }), options(dir));
        const lock = path.join(dir, "runs", `${first.runId}.lock`);
        fs.writeFileSync(lock, String(process.ppid));
        const held = await runPlan(plan(ran, { on: false }), options(dir));
        assert.strictEqual(held.exitCode, 3);
        assert.match(held.message ?? "", /in progress in process/);
        assert.ok(fs.existsSync(lock), "the live holder's lock stays");
        fs.writeFileSync(lock, "999999999");
        assert.strictEqual((await runPlan(plan(ran, { on: false }), options(dir))).exitCode, 0);
    });
});

describe("cli/parse: one clear error per bad argument", () => {
    it("timestamps need a zone", () => {
        assert.strictEqual(parseTimestamp("--target-time", "2026-12-03T06:00:00Z").toISOString(), "2026-12-03T06:00:00.000Z");
        assert.strictEqual(parseTimestamp("--target-time", "2026-12-03T07:00:00+01:00").toISOString(), "2026-12-03T06:00:00.000Z");
        for (const bad of ["2026-12-03T06:00:00", "yesterday", "2026-13-03T06:00:00Z", "2026-12-03 25:00Z"]) assert.throws(() => parseTimestamp("--target-time", bad), /--target-time .*ISO 8601/);
    });
    it("durations and LSNs", () => {
        assert.strictEqual(parseDuration("--timeout", "1h30m"), 5400);
        assert.strictEqual(parseDuration("--timeout", "90"), 90);
        assert.throws(() => parseDuration("--accept-data-loss", "5 minutes"), /--accept-data-loss/);
        assert.strictEqual(parseLsn("--target-lsn", "16/b374d848"), "16/B374D848");
        assert.throws(() => parseLsn("--target-lsn", "16-B3"), /16\/B374D848/);
    });
});

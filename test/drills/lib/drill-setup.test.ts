/**
 * drills/lib/drill-setup.ts: the set-up every drill shares — sizes by mode, the recorders, the
 * work directory removed only when every check passed, and the report's shape.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beginDrill, drillReport, prodConfig, removeWorkDirIfPassed } from "../../../drills/lib/drill-setup";

const SIZES = { quick: { seconds: 1 }, full: { seconds: 60 } };

describe("drills/lib/drill-setup", () => {
    let workDir: string;
    beforeEach(() => {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-setup-test-"));
    });
    afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

    it("picks the quick sizes for --quick and the full sizes otherwise", () => {
        assert.deepStrictEqual(beginDrill({ quick: true, workDir }, SIZES).sizes, { seconds: 1 });
        assert.deepStrictEqual(beginDrill({ quick: false, workDir }, SIZES).sizes, { seconds: 60 });
    });

    it("records figures and checks in the order given", () => {
        const run = beginDrill({ quick: true, workDir }, SIZES);
        run.fig("x.a.seconds", "a", 1.5, "s");
        run.check("a holds", true, "1.5 s");
        run.fig("x.b.name", "b", "text", "");
        assert.deepStrictEqual(run.figures, [
            { id: "x.a.seconds", name: "a", value: 1.5, unit: "s" },
            { id: "x.b.name", name: "b", value: "text", unit: "" },
        ]);
        assert.deepStrictEqual(run.checks, [{ name: "a holds", passed: true, detail: "1.5 s" }]);
    });

    it("keeps the work directory when a check failed or none was recorded, removes it when all passed", () => {
        const run = beginDrill({ quick: true, workDir }, SIZES);
        assert.strictEqual(removeWorkDirIfPassed(run, workDir), false, "no checks: kept");
        assert.ok(fs.existsSync(workDir));
        run.check("one", true, "");
        run.check("two", false, "");
        assert.strictEqual(removeWorkDirIfPassed(run, workDir), false, "a failed check: kept");
        assert.ok(fs.existsSync(workDir));
        const passing = beginDrill({ quick: true, workDir }, SIZES);
        passing.check("one", true, "");
        assert.strictEqual(removeWorkDirIfPassed(passing, workDir), true);
        assert.ok(!fs.existsSync(workDir));
    });

    it("reports drill, start, machine (with the versions given), figures and checks, in that order", () => {
        const run = beginDrill({ quick: false, workDir }, SIZES);
        run.fig("x.a.seconds", "a", 2, "s");
        const report = drillReport("x", run, { tool: "1.0" });
        assert.deepStrictEqual(Object.keys(report), ["drill", "startedAt", "machine", "figures", "checks"]);
        assert.deepStrictEqual(Object.keys(report.machine), ["cpus", "cpuModel", "memoryGiB", "node", "versions"]);
        assert.strictEqual(report.drill, "x");
        assert.strictEqual(report.startedAt, run.startedAt);
        assert.ok(!Number.isNaN(Date.parse(report.startedAt)));
        assert.strictEqual(report.machine.cpus, os.cpus().length);
        assert.deepStrictEqual(report.machine.versions, { tool: "1.0" });
        assert.strictEqual(report.figures, run.figures);
    });

    it("loads the prod stack's validated config and names its file", () => {
        const { config, source } = prodConfig();
        assert.match(source, /prod/);
        assert.ok(fs.existsSync(source), source);
        assert.strictEqual(typeof config.objectives.dataClasses.database.rpoSeconds, "number");
    });
});

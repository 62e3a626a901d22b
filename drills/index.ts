/**
 * `npm run drill [-- --only <name>] [--quick]`: runs the recovery drills on real servers on
 * 127.0.0.1, prints each drill's figures and checks, writes `reports/drill-<name>.json`, and
 * exits non-zero if any check failed. The last line is "N passed, N failed" over all checks.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PrereqMissing } from "./lib/prereqs";
import type { Drill, DrillHistoryEntry, DrillReport, DrillReportFile } from "./types";

const DRILLS: Record<string, () => Drill> = {
    postgres: () => require("./postgres/drill").run,
    redis: () => require("./redis/drill").run,
    recovery: () => require("./recovery/drill").run,
    failover: () => require("./failover/drill").run,
    erasure: () => require("./erasure/drill").run,
};

function printReport(r: DrillReport): void {
    console.log(`\n== drill: ${r.drill} (${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB)`);
    const width = Math.max(...r.figures.map((f) => f.name.length), 10);
    for (const f of r.figures) console.log(`  ${f.name.padEnd(width)}  ${String(f.value).padStart(12)} ${f.unit}`);
    for (const c of r.checks) console.log(`  [${c.passed ? "PASS" : "FAIL"}] ${c.name}: ${c.detail}`);
}

/** How many earlier runs a report file keeps. */
const HISTORY_LIMIT = 100;

/**
 * The drills append: the newest run is the report's top level (what the objectives model
 * reads), every earlier run moves into `history`, newest first, so trends survive.
 */
export function withHistory(report: DrillReport, file: string): DrillReportFile {
    let previous: DrillReportFile | undefined;
    try {
        previous = JSON.parse(fs.readFileSync(file, "utf8")) as DrillReportFile;
    } catch {
        previous = undefined; // no earlier run, or an unreadable file: start the history here
    }
    const history: DrillHistoryEntry[] = [];
    if (previous && Array.isArray(previous.figures)) {
        const checks = previous.checks ?? [];
        history.push({
            startedAt: previous.startedAt,
            mode: previous.mode,
            machine: previous.machine,
            figures: previous.figures,
            passed: checks.filter((c) => c.passed).length,
            failed: checks.filter((c) => !c.passed).length,
        });
        history.push(...(previous.history ?? []));
    }
    return { ...report, history: history.slice(0, HISTORY_LIMIT) };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const quick = args.includes("--quick") || process.env.CI === "true";
    const onlyIndex = args.indexOf("--only");
    const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
    if (only !== undefined && !(only in DRILLS)) {
        console.error(`--only ${only}: unknown drill; use one of ${Object.keys(DRILLS).join(", ")}`);
        process.exit(2);
    }
    const names = only ? [only] : Object.keys(DRILLS);
    const reportDir = path.resolve(__dirname, "..", "reports");
    fs.mkdirSync(reportDir, { recursive: true });
    let passed = 0;
    let failed = 0;
    for (const name of names) {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `fortress-drill-${name}-`));
        let report: DrillReport;
        try {
            report = await DRILLS[name]()({ quick, workDir });
        } catch (e) {
            // A missing tool is one line naming the package to install, not a stack trace.
            if (e instanceof PrereqMissing) {
                console.error(`drill ${name} cannot run: ${e.message}`);
                fs.rmSync(workDir, { recursive: true, force: true }); // nothing ran in it
            } else console.error(`drill ${name} aborted: ${e instanceof Error ? e.stack : String(e)}`);
            failed++;
            continue;
        }
        printReport(report);
        const file = path.join(reportDir, `drill-${name}.json`);
        fs.writeFileSync(file, JSON.stringify(withHistory({ ...report, mode: quick ? "quick" : "full" }, file), null, 2) + "\n");
        for (const c of report.checks) (c.passed ? passed++ : failed++);
    }
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exit(failed > 0 ? 1 : 0);
}

if (require.main === module) main();

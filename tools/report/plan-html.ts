/**
 * The plan's `--html <file>` (or `--html=<file>`): the same report `fortress report` writes,
 * from the evaluation and the findings the plan already has.
 */
import * as path from "path";
import type { PlanResult } from "../evaluate";
import { evaluateStack } from "../evaluate";
import type { PlanFindings } from "../plan-findings";
import { buildReport, pairStackOf, writeReport } from ".";
import { readDrillReports } from "./drills";

/** Removes `--html <file>` / `--html=<file>` from argv; an `--html` without a file is a problem naming the fix. */
export function takeHtmlFlag(argv: readonly string[]): { argv: string[]; htmlFile?: string; problem?: string } {
    const rest: string[] = [];
    let htmlFile: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--html") {
            const next = argv[i + 1];
            if (next === undefined || next.startsWith("--")) return { argv: rest, problem: "--html: give the file to write, e.g. --html report.html" };
            htmlFile = next;
            i++;
        } else if (a.startsWith("--html=")) {
            htmlFile = a.slice("--html=".length);
            if (!htmlFile) return { argv: rest, problem: "--html=: give the file to write, e.g. --html=report.html" };
        } else rest.push(a);
    }
    return { argv: rest, htmlFile };
}

/** Writes the HTML report of an evaluated stack; returns the absolute path. */
export async function writePlanHtml(file: string, result: PlanResult, findings: PlanFindings): Promise<string> {
    const pairName = pairStackOf(result.stack, result.config);
    const pair = pairName ? await evaluateStack(pairName) : undefined;
    const drills = readDrillReports(path.resolve(__dirname, "..", "..", "reports"));
    return writeReport(file, await buildReport({ result, pair, findings, drills, generatedAt: new Date().toISOString() }));
}

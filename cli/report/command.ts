/**
 * `fortress report <stack> -o report.html [--status status.json]`: the DR posture report of a
 * stack as one self-contained HTML file (tools/report): the topology, the objectives heat map,
 * the compliance matrix, the drill history and, when given, a `fortress status --output json`
 * snapshot. It evaluates the stack offline, as the plan does; nothing is contacted.
 *
 * Not a step plan like the recovery commands: it changes nothing, so it has no confirmation,
 * run state or audit record. Registered beside them in cli/main.ts.
 */
import type { Command } from "commander";
import { EXIT } from "../errors";

export interface ReportIo {
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
}

export function registerReport(program: Command, io: ReportIo, onExit: (code: number) => void): void {
    program
        .command("report")
        .summary("write the DR posture report of a stack: one self-contained HTML file")
        .description(
            "Write the DR posture report of a stack as one self-contained HTML file (no network at view time): the topology " +
                "(regions, tier buckets, replication with RTC, database and Redis with their repos and standby, the Route 53 " +
                "failover pairs, alarms by region), the recovery-objectives heat map, the compliance matrix, the drill history " +
                "from reports/drill-*.json, and a status snapshot when given.\n\nExample:\n  fortress report prod -o report.html --status status.json",
        )
        .argument("<stack>", "the stack (stacks/Pulumi.<stack>.yaml)")
        .requiredOption("-o, --out <file>", "the HTML file to write")
        .option("--status <file>", "a `fortress status <stack> --output json` snapshot to include")
        .option("--no-pair", "do not draw the other stack of the primary/DR pair")
        .exitOverride()
        .action(async (stack: string, opts: { out: string; status?: string; pair: boolean }) => onExit(await runReport(stack, opts, io)));
}

export async function runReport(stack: string, opts: { out: string; status?: string; pair?: boolean }, io: ReportIo): Promise<number> {
    // Loaded on use: evaluating a stack pulls in the whole program, which `--help` does not need.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { reportForStack, writeReport } = require("../../tools/report") as typeof import("../../tools/report");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { listStacks } = require("../../config/loader") as typeof import("../../config/loader");
    if (!listStacks().includes(stack)) {
        io.stderr.write(`fortress report: no stack "${stack}"; use one of ${listStacks().join(", ")}\n`);
        return EXIT.usage;
    }
    let html: string;
    try {
        html = await reportForStack(stack, { statusFile: opts.status, withPair: opts.pair !== false });
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        io.stderr.write(`fortress report: ${message}\n`);
        return message.startsWith("--status ") ? EXIT.usage : EXIT.failed;
    }
    const file = writeReport(opts.out, html);
    io.stdout.write(`${file}\n`);
    return EXIT.ok;
}

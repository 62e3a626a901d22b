/**
 * `fortress`: the recovery commands of Fortress DR (docs/recovery-commands.md). commander parses
 * the arguments; every command is a step plan run by cli/runner.ts under the same conventions.
 */
import { Command, CommanderError, Option } from "commander";
import * as os from "os";
import * as path from "path";
import type { CommandDef } from "./command";
import { COMMANDS } from "./commands";
import { DriverChoice, makeDriver, makeMetricsSink } from "./drivers";
import { EXIT, FortressError, UsageError } from "./errors";
import { OutputMode, makeReporter } from "./output";
import { parseChoice, parseDuration } from "./parse";
import { runPlan } from "./runner";
import { registerReport } from "./report/command";
import { notifyingRun } from "./notify";

export const EXIT_CODES_HELP = `
Exit codes (set only after the outcome was checked):
  0  done and verified (or a dry run that found nothing wrong)
  1  failed: a step or its verification did not hold (validate: a bad object; status: an objective breached)
  2  usage: bad arguments or an unknown stack; nothing was done
  3  refused by a guard (no fencing proof, loss above the RPO, no confirmation, ...); nothing destructive was done
  4  pre-flight failed (no backup in that tier, target before the oldest backup, ...); nothing was done`;

/** The options every command shares (so `fortress <cmd> --help` lists them). */
function addConventions(cmd: Command, def: CommandDef): void {
    cmd.option("--stack <name>", "the stack (stacks/Pulumi.<name>.yaml) whose config names the platform and its objectives", process.env.FORTRESS_STACK)
        .option("--lab <file>", "run on the lab (hosts) described by this JSON file instead of the platform", process.env.FORTRESS_LAB)
        .option("--dry-run", "print the step plan with time budgets and the data-loss bound; change nothing", false)
        .option("--yes", "confirm without typing the stack name (needed when stdin is not a terminal)", false)
        .option("--reason <text>", def.reasonRequired ? "why (required; goes into the audit record)" : "why (goes into the audit record)")
        .addOption(new Option("--output <format>", "text (progress per phase) or json (one document, schemaVersion fortress.run/v1)").choices(["text", "json"]).default("text"))
        .option("--timeout <duration>", `longest any single wait may take (e.g. 90s, 10m; default ${def.defaultTimeoutSeconds}s)`)
        .option("--state-dir <dir>", "run state and the local audit log (default $FORTRESS_STATE_DIR or ~/.fortress)")
        .option("--run-id <id>", "resume this run (default: the newest unfinished run with the same arguments)")
        .option("--fresh", "start a new run even if an unfinished one with the same arguments exists", false);
}

export interface MainIo {
    readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
    readonly stderr: NodeJS.WritableStream;
    readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Builds the program; `onExit` receives the exit code of the command that ran. */
export function buildProgram(io: MainIo, onExit: (code: number) => void): Command {
    const program = new Command("fortress")
        .description("Fortress DR recovery commands: status, backup, restore, failover, dr-test, validate.\nEvery command is a list of named steps (preflight, plan, confirm, act, verify, record) with time budgets; see docs/recovery-commands.md.")
        .addHelpText("after", EXIT_CODES_HELP)
        .showHelpAfterError("(run with --help for usage)")
        .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
        .exitOverride();
    for (const def of COMMANDS) {
        const cmd = program.command(def.name).summary(def.summary).description(`${def.summary}\n\n${def.help.trim()}`);
        def.options(cmd);
        addConventions(cmd, def);
        cmd.addHelpText("after", EXIT_CODES_HELP);
        cmd.exitOverride();
        cmd.action(async (opts: Record<string, unknown>) => onExit(await runCommand(def, opts, io)));
    }
    // Not a step plan: it only reads (tools/report).
    registerReport(program, io, onExit);
    return program;
}

async function runCommand(def: CommandDef, opts: Record<string, unknown>, io: MainIo): Promise<number> {
    const format = (opts.output as string) ?? "text";
    const mode: OutputMode = format === "json" ? "json" : io.stdout.isTTY ? "tty" : "plain";
    const reporter = makeReporter(mode, io.stdout, io.stderr);
    try {
        if (def.reasonRequired && !(typeof opts.reason === "string" && opts.reason.trim())) {
            throw new UsageError(`--reason is required for ${def.name}: say why (it goes into the audit record), e.g. --reason "INC-1234 table dropped at 06:02"`);
        }
        parseChoice("--output", format, ["text", "json"]);
        // Loaded on use: the stack reader pulls in the config schema, which `--help` does not need.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadStack } = require("./stack") as typeof import("./stack");
        const stack = loadStack(opts.stack as string | undefined);
        const driver: DriverChoice = opts.lab ? { kind: "lab", file: path.resolve(String(opts.lab)) } : { kind: "platform" };
        const dryRun = !!opts.dryRun;
        const timeoutSeconds = opts.timeout !== undefined ? parseDuration("--timeout", String(opts.timeout)) : undefined;
        const plan = def.plan({ opts, stack, driver, dryRun });
        // A failover or restore tells the alert topics at its start, every 15 minutes, and at its end (cli/notify.ts).
        const notices = notifyingRun(def.name, stack.name, stack.config, driver.kind, dryRun, reporter);
        const doc = await runPlan(plan, {
            command: def.name,
            stack: stack.name,
            args: { ...def.fingerprint(opts), driver: driver.kind === "lab" ? `lab:${driver.file}` : "platform" },
            stateDir: path.resolve(String(opts.stateDir ?? process.env.FORTRESS_STATE_DIR ?? path.join(os.homedir(), ".fortress"))),
            dryRun,
            yes: !!opts.yes,
            reason: typeof opts.reason === "string" ? opts.reason : undefined,
            timeoutSeconds,
            defaultTimeoutSeconds: def.defaultTimeoutSeconds,
            fresh: !!opts.fresh,
            runId: typeof opts.runId === "string" ? opts.runId : undefined,
            reporter: notices.reporter,
            makeDriver: () => makeDriver(driver, stack),
            makeMetrics: () => makeMetricsSink(driver, stack),
            stdin: io.stdin,
        });
        await notices.settled();
        // A failure's one line on stderr, whatever the output mode (the progress stays on stdout).
        if (doc.exitCode !== 0 && doc.message) io.stderr.write(`fortress ${def.name}: ${doc.message}\n`);
        return doc.exitCode;
    } catch (e) {
        // Errors before the run started (arguments, stack, a run held by another process): one line.
        const code = e instanceof FortressError ? { usage: EXIT.usage, refused: EXIT.refused, "preflight-failed": EXIT.preflight, failed: EXIT.failed }[e.outcome] : EXIT.failed;
        const message = e instanceof Error ? e.message : String(e);
        if (mode === "json") {
            io.stdout.write(JSON.stringify({ schemaVersion: "fortress.run/v1", command: def.name, outcome: e instanceof FortressError ? e.outcome : "failed", exitCode: code, message }, null, 2) + "\n");
        }
        io.stderr.write(`fortress ${def.name}: ${message}\n`);
        return code;
    }
}

/** Runs the CLI with `argv` (node's process.argv form); resolves to the exit code. */
export async function main(argv: readonly string[], io: MainIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
    let code: number = EXIT.ok;
    const program = buildProgram(io, (c) => (code = c));
    try {
        await program.parseAsync([...argv]);
    } catch (e) {
        if (e instanceof CommanderError) {
            // help and version are exit 0; every parse error (unknown option, missing value, bad choice) is usage
            return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        }
        io.stderr.write(`fortress: ${e instanceof Error ? e.message : String(e)}\n`);
        return EXIT.failed;
    }
    return code;
}

if (require.main === module) {
    main(process.argv).then((code) => process.exit(code));
}

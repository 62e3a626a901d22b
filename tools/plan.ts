/**
 * The offline plan: `npm run plan -- <stack> [--json]`.
 *
 * Evaluates the stack's real program under the Pulumi SDK's mock runtime with that stack's
 * config file — no credentials, no Pulumi CLI, no cloud — and prints what it would declare.
 * Bad config exits 1 with the validation errors and nothing else.
 *
 * Then it runs the policy pack's rules over those resources (tools/plan-findings.ts) and
 * prints the findings, the recovery-objectives table and the compliance view (--json: keys
 * findings, objectives, compliance, mandatoryViolations). A mandatory violation exits 1, as it
 * would fail `pulumi preview --policy-pack policies`.
 *
 * The default text is one screen (at most 120 lines of at most 160 characters, for every
 * stack: test/tools/plan-output.test.ts); `--details` prints everything. `npm run plan` runs
 * this file through tools/plan-launch.js, as a cached ahead-of-time bundle.
 */
import { ConfigError } from "../config";
import { evaluateStack, PlanResult } from "./evaluate";
import { SECRET_PLACEHOLDER, setStackCapture } from "./mock-runtime";
import { DR_MODES, evaluateModes, renderModes, summarizeMode } from "./plan-dr";
import type { DrModeName } from "../stacks/steps/dr-mode";
import { renderSummary } from "./plan-summary";
import { findingsDocument, planFindings, renderFindings } from "./plan-findings";
import type { RenderOptions } from "./plan-text";
// tools/report/plan-html (the HTML report, with its layout engine) is loaded only for --html.
type PlanHtml = typeof import("./report/plan-html");

const USAGE =
    "usage: npm run plan -- <stack> [--details] [--json] [--mode=pilot-light|rebuild|promote] [--html <file>]   (stacks: see stacks/Pulumi.<stack>.yaml)\n" +
    "  default: a one-screen summary; --details adds every resource, alarm, finding, figure and the compliance matrix\n" +
    "  a DR stack is evaluated in all three modes; --mode picks the one shown in full (default: its configured mode)";

/** Pulumi's marker on a serialized secret value (the mock runtime records inputs that way). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Every secret input as "[secret]": the document may be pasted into a ticket or a log. */
export function redactSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redactSecrets);
    if (value && typeof value === "object") {
        if (SECRET_SIG in value) return SECRET_PLACEHOLDER;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
    }
    return value;
}

export function planDocument(result: PlanResult): Record<string, unknown> {
    return {
        stack: result.stack,
        evaluatedWith: "Pulumi SDK mock runtime (no cloud contacted; provider-computed values are mock values)",
        config: result.config,
        resources: result.resources.map((r) => ({
            type: r.type,
            name: r.name,
            parent: r.parentName,
            region: r.region ?? null,
            urn: r.urn,
            protect: r.protect,
            retainOnDelete: r.retainOnDelete,
            inputs: redactSecrets(r.inputs),
        })),
        outputs: result.outputs,
    };
}

/** Where the plan writes: the process's stdout and stderr, or a test's buffers. */
export interface PlanIo {
    out(text: string): void;
    /** One message; a newline is added. */
    err(line: string): void;
}

const PROCESS_IO: PlanIo = { out: (t) => void process.stdout.write(t), err: (l) => console.error(l) };

/** The plan CLI: writes through `io` and resolves to the exit code (0, 1 config or policy, 2 usage). */
export async function main(args: string[], io: PlanIo = PROCESS_IO): Promise<number> {
    // --html <file>: also write the HTML report (tools/report).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const html = args.some((a) => a.startsWith("--html")) ? (require("./report/plan-html") as PlanHtml) : undefined;
    const { argv, htmlFile, problem } = html ? html.takeHtmlFlag(args) : { argv: args, htmlFile: undefined, problem: undefined };
    if (problem) {
        io.err(`${problem}\n${USAGE}`);
        return 2;
    }
    const flags = argv.filter((a) => a.startsWith("--"));
    const positional = argv.filter((a) => !a.startsWith("--"));
    const modeFlag = flags.find((f) => f.startsWith("--mode="));
    const unknownFlag = flags.find((f) => f !== "--json" && f !== "--details" && f !== modeFlag);
    const options: RenderOptions = { details: flags.includes("--details") };
    const wantedMode = modeFlag?.slice("--mode=".length);
    if (wantedMode !== undefined && !(DR_MODES as readonly string[]).includes(wantedMode)) {
        io.err(`--mode=${wantedMode}: not a DR mode; use ${DR_MODES.join(", ")}\n${USAGE}`);
        return 2;
    }
    if (positional.length !== 1 || unknownFlag) {
        io.err(unknownFlag ? `unknown option ${unknownFlag}\n${USAGE}` : USAGE);
        return 2;
    }
    const [stack] = positional;
    let result: PlanResult;
    try {
        result = await evaluateStack(stack);
    } catch (e) {
        if (e instanceof ConfigError) {
            io.err(`stacks/Pulumi.${stack}.yaml: ${e.message}`);
            return 1;
        }
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
    if (result.config.role !== "dr") {
        if (wantedMode !== undefined) {
            io.err(`--mode: ${stack} is a primary stack; modes belong to DR stacks (e.g. prod-dr)`);
            return 2;
        }
        const checked = await planFindings(result);
        if (htmlFile) io.err(`report: ${await html!.writePlanHtml(htmlFile, result, checked)}`);
        io.out(
            flags.includes("--json") ? JSON.stringify({ ...planDocument(result), ...findingsDocument(checked) }, null, 2) + "\n" : renderSummary(result, options) + renderFindings(checked, options),
        );
        if (checked.exitCode !== 0) io.err(`policy: mandatory violation of ${checked.mandatoryViolations.join(", ")}`);
        return checked.exitCode;
    }
    let modes: Record<DrModeName, PlanResult>;
    try {
        modes = await evaluateModes(stack, result, evaluateStack);
    } catch (e) {
        io.err(e instanceof ConfigError ? `stacks/Pulumi.${stack}.yaml with another dr mode: ${e.message}` : e instanceof Error ? e.message : String(e));
        return 1;
    }
    const shownMode = (wantedMode as DrModeName | undefined) ?? (result.outputs.mode as DrModeName);
    const shown = modes[shownMode];
    const checked = await planFindings(shown);
    if (htmlFile) io.err(`report: ${await html!.writePlanHtml(htmlFile, shown, checked)}`);
    if (flags.includes("--json")) {
        const doc = { ...planDocument(shown), modes: Object.fromEntries(DR_MODES.map((m) => [m, summarizeMode(m, modes[m])])), ...findingsDocument(checked) };
        io.out(JSON.stringify(doc, null, 2) + "\n");
    } else {
        io.out(`${renderSummary(shown, options)}${renderModes(stack, modes, shownMode, options)}${renderFindings(checked, options)}`);
    }
    if (checked.exitCode !== 0) io.err(`policy: mandatory violation of ${checked.mandatoryViolations.join(", ")}`);
    return checked.exitCode;
}

/** Runs the plan CLI and sets the exit code; tools/plan-launch.js (what `npm run plan` runs) calls it. */
export function runCli(argv: string[]): Promise<void> {
    // JavaScript stack traces cost the plan a good part of its own time and it prints none: the
    // SDK captures one per resource and per internal promise (tools/mock-runtime.ts), the policy
    // runner's not-applicable signal is an Error. FORTRESS_PLAN_STACKS=1 keeps them.
    const stacks = process.env.FORTRESS_PLAN_STACKS === "1";
    if (!stacks) Error.stackTraceLimit = 0;
    setStackCapture(stacks);
    return main(argv).then(
        // exitCode, not exit(): a large --json document written to a pipe must drain first.
        (code) => {
            process.exitCode = code;
        },
        (e) => {
            console.error(e instanceof Error ? e.stack : String(e));
            if (!stacks) console.error("(an unexpected error: FORTRESS_PLAN_STACKS=1 npm run plan -- ... prints where it was thrown)");
            process.exit(1);
        },
    );
}

if (require.main === module) void runCli(process.argv.slice(2));

/**
 * The plan reads in a terminal: for every stack (a DR stack in each mode) the default output is
 * at most 120 lines of at most 160 characters; `--details` has every alarm by name and the
 * compliance matrix with each rule once; `--json` keeps its keys and shape.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, PlanRun, runPlan as runPlanCli } from "../helpers/plan-cli";

/**
 * Each distinct command once, as a process the way `npm run plan` runs it (in-process under
 * ts-node the SDK's per-resource stack traces go through source maps and cost several times more).
 */
const runs = new Map<string, PlanRun>();
async function runPlan(args: string[]): Promise<PlanRun> {
    const key = args.join(" ");
    if (!runs.has(key)) runs.set(key, runPlanCli(args));
    return runs.get(key)!;
}

const MAX_LINES = 120;
const MAX_WIDTH = 160;

const stacks = fs
    .readdirSync(path.join(ROOT, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
const isDr = (stack: string) => /^\s*fortress-dr:role:\s*dr\s*$/m.test(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8"));

/** The plan ran: 0, or 1 exactly when the policy pack reports a mandatory violation. */
function assertRan(r: { code: number | null; stderr: string }, what: string) {
    assert.strictEqual(r.code, /^policy: mandatory violation of /m.test(r.stderr) ? 1 : 0, `${what}: ${r.stderr}`);
}

function assertFits(stdout: string, what: string) {
    const lines = stdout.replace(/\n$/, "").split("\n");
    assert.ok(lines.length <= MAX_LINES, `${what}: ${lines.length} lines (at most ${MAX_LINES})`);
    const wide = lines.map((l, i) => [i + 1, l] as const).filter(([, l]) => l.length > MAX_WIDTH);
    assert.deepStrictEqual(wide.map(([n, l]) => `line ${n}: ${l.length} characters`), [], `${what}: lines over ${MAX_WIDTH} characters`);
    assert.doesNotMatch(stdout, /\bundefined\b|\[object Object\]|\bNaN\b/, `${what}: prints a missing value`);
}

/**
 * Key shape of a --json document: objects as their keys, arrays as the union of their items'
 * shapes; config, outputs, inputs and the DR step details as opaque objects (content is the
 * golden test's business).
 */
function shape(v: unknown, at = ""): unknown {
    if (Array.isArray(v)) {
        const union: Record<string, unknown> = {};
        let leaf: unknown;
        for (const x of v) {
            const s = shape(x, `${at}[]`);
            if (s && typeof s === "object" && !Array.isArray(s)) {
                for (const [k, sub] of Object.entries(s)) {
                    const prev = union[k];
                    union[k] = prev && typeof prev === "object" && !Array.isArray(prev) && sub && typeof sub === "object" && !Array.isArray(sub) ? Object.assign(prev, sub) : sub;
                }
            } else leaf = s;
        }
        return [leaf ?? union];
    }
    if (v && typeof v === "object") {
        if (/^\.(config|outputs)$|\.inputs$|\.plan$|\.steps$|\.byType$/.test(at)) return "object";
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x, `${at}.${k}`)]));
    }
    return v === null ? "null" : typeof v;
}

describe("npm run plan: terminal output", function () {
    this.timeout(600_000);

    for (const stack of stacks) {
        it(`${stack}: the default output fits one screen (<= ${MAX_LINES} lines, <= ${MAX_WIDTH} characters), in every DR mode`, async () => {
            const runs = isDr(stack) ? ["pilot-light", "rebuild", "promote"].map((m) => [stack, `--mode=${m}`]) : [[stack]];
            for (const args of runs) {
                const r = await runPlan(args);
                assertRan(r, args.join(" "));
                assertFits(r.stdout, args.join(" "));
                assert.match(r.stdout, /^Recovery objectives: /m, args.join(" "));
                if (isDr(stack)) assert.match(r.stdout, new RegExp(`^  ${args[1].slice("--mode=".length)} \\* `, "m"), "the mode shown is marked");
            }
        });
    }

    it("prod: default is the summary (policy counts, findings that need action); --details adds every rule, finding, alarm, figure and the compliance matrix", async () => {
        const brief = await runPlan(["prod"]);
        const full = await runPlan(["prod", "--details"]);
        const json = await runPlan(["prod", "--json"]);
        for (const r of [brief, full, json]) assertRan(r, "prod");
        const doc = JSON.parse(json.stdout);

        assert.match(brief.stdout, /^ {2}mandatory +\d+ rules: /m);
        assert.doesNotMatch(brief.stdout, /^ {2}Figures used/m);
        assert.doesNotMatch(brief.stdout, /^Compliance: each rule once/m);
        assert.ok(brief.stdout.split("\n").length < full.stdout.split("\n").length);
        assert.ok(full.stdout.split("\n").every((l) => l.length <= MAX_WIDTH), "--details wraps at the same width");

        // Every alarm has a name: its name input, else its logical name.
        const alarms = doc.resources.filter((x: any) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.ok(alarms.length > 0);
        assert.ok(alarms.some((a: any) => typeof a.inputs.name !== "string"), "prod declares auto-named alarms (the case that printed undefined)");
        for (const a of alarms) {
            const shown = typeof a.inputs.name === "string" ? a.inputs.name : `${a.name} (logical name`;
            assert.ok(full.stdout.includes(shown), `alarm ${a.name} is printed as ${shown}`);
        }
        assert.doesNotMatch(full.stdout, /\bundefined\b/);

        // Every finding in --details; the default has every mandatory finding and one line per advisory rule.
        for (const f of doc.findings) assert.ok(full.stdout.replace(/\n +/g, " ").includes(`[${f.enforcementLevel}] ${f.policy}`), f.message);
        for (const rule of doc.compliance.rules.filter((x: any) => x.findings > 0 && x.enforcementLevel === "advisory")) {
            assert.match(brief.stdout, new RegExp(`^ {4}\\[advisory\\] ${rule.rule}: ${rule.findings} findings?`, "m"));
        }

        // The compliance matrix: each rule exactly once, each control exactly once in the legend.
        const compliance = full.stdout.slice(full.stdout.indexOf("\nCompliance: each rule once"));
        for (const rule of doc.compliance.rules) {
            const rows = compliance.split("\n").filter((l) => new RegExp(`^ {2}\\S+ +${rule.rule} `).test(l));
            assert.strictEqual(rows.length, 1, `${rule.rule} listed once`);
        }
        for (const [framework, entries] of Object.entries(doc.compliance.frameworks as Record<string, { control: string }[]>)) {
            for (const control of new Set(entries.map((e) => e.control))) {
                assert.strictEqual(compliance.split(control).length - 1, 1, `${framework} ${control} listed once`);
            }
        }
        // Figures used: each constant with its source.
        for (const c of doc.objectives.constants) assert.ok(full.stdout.replace(/\n +/g, " ").includes(c.ref), c.label);
    });

    for (const stack of ["prod", "prod-dr"]) {
        it(`${stack} --json keeps its keys and shape (test/tools/fixtures/plan-json-shape.${stack}.json)`, async () => {
            const r = await runPlan([stack, "--json"]);
            assertRan(r, stack);
            const fixture = path.join(__dirname, "fixtures", `plan-json-shape.${stack}.json`);
            // A deliberate change of the document's keys: UPDATE_PLAN_SHAPE=1 rewrites the fixture (commit it with the change).
            if (process.env.UPDATE_PLAN_SHAPE === "1") fs.writeFileSync(fixture, JSON.stringify(shape(JSON.parse(r.stdout)), null, 1) + "\n");
            assert.deepStrictEqual(shape(JSON.parse(r.stdout)), JSON.parse(fs.readFileSync(fixture, "utf8")));
        });
    }
});

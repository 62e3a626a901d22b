/**
 * The DR-stack change `fortress failover` makes on the platform (cli/drivers/platform/pulumi.ts:
 * `dr.promote`, `endpoints.activeRegion` through a temporary workspace), run through the REAL
 * @pulumi/pulumi/automation LocalWorkspace code against a RECORDING `pulumi` executable put first
 * on PATH. The Pulumi CLI cannot be installed here, so the double stands in for it: it records
 * argv, working directory and the PULUMI_* environment of every call, answers `version`,
 * `stack output --json` and `stack history --json` in the shapes the real CLI prints, and — for
 * `up` — reads the project and stack files the way the CLI resolves them (`main` and
 * `stackConfigDir` joined to the project directory, as the CLI's path.Join does), recording what
 * it found there.
 *
 * Where the proof stops: the double is not the CLI. Nothing here shows the real `pulumi up`
 * runs the program, talks to a backend or changes a resource; it shows the exact commands and
 * files the Automation API and fortress hand to whatever `pulumi` is on PATH, and that the
 * committed stack files are never touched.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { setDrStackConfig } from "../../../../cli/drivers/platform/pulumi";
import { loadStack } from "../../../../cli/stack";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
const STACKS = path.join(REPO, "stacks");

const FAKE = `#!/usr/bin/env node
// A recording stand-in for the pulumi CLI (test/cli/drivers/platform/pulumi-automation.test.ts).
const fs = require("fs");
const path = require("path");
const args = process.argv.slice(2);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("PULUMI_")));
const call = { args, cwd: process.cwd(), env };
const out = (s) => process.stdout.write(s);
const stackOf = () => args[args.indexOf("--stack") + 1];
if (args[0] === "version") {
    out("v3.140.0\\n");
} else if (args[0] === "stack" && args[1] === "select") {
    // selecting an existing stack prints nothing
} else if (args[0] === "up") {
    // Resolve the project as the CLI does: Pulumi.yaml in the working directory, main and
    // stackConfigDir joined to it (Go's path.Join: an absolute path is appended, not taken as is).
    const yaml = require(${JSON.stringify(require.resolve("yaml"))});
    const project = yaml.parse(fs.readFileSync(path.join(process.cwd(), "Pulumi.yaml"), "utf8"));
    const mainPath = path.join(process.cwd(), project.main || ".");
    const stackFile = path.join(process.cwd(), project.stackConfigDir || ".", "Pulumi." + stackOf() + ".yaml");
    call.up = {
        project,
        mainPath,
        mainExists: fs.existsSync(mainPath),
        stackFile,
        stackFileText: fs.existsSync(stackFile) ? fs.readFileSync(stackFile, "utf8") : null,
        files: fs.readdirSync(process.cwd()),
    };
    if (process.env.FAKE_PULUMI_UP_FAIL) {
        fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify(call) + "\\n");
        process.stderr.write("error: update failed: 1 error occurred (recorded double)\\n");
        process.exit(255);
    }
    out("Updating (" + stackOf() + ")\\n\\n     Type                 Name   Status\\n     pulumi:pulumi:Stack  fortress-dr-" + stackOf() + "\\n\\nResources:\\n    1 unchanged\\n");
} else if (args[0] === "stack" && args[1] === "output") {
    out("{}\\n");
} else if (args[0] === "stack" && args[1] === "history") {
    out(JSON.stringify([{ kind: "update", startTime: "2026-12-03T10:00:00.000Z", message: "", environment: { "exec.kind": "auto.local" }, config: {}, result: "succeeded", endTime: "2026-12-03T10:00:05.000Z", version: 7, resourceChanges: { same: 1 } }]) + "\\n");
} else {
    fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify(call) + "\\n");
    process.stderr.write("recorded double: unexpected command " + args.join(" ") + "\\n");
    process.exit(2);
}
fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify(call) + "\\n");
`;

function stackHashes(): Map<string, string> {
    return new Map(fs.readdirSync(STACKS).filter((f) => /^Pulumi\..*\.yaml$/.test(f)).map((f) => [f, createHash("sha256").update(fs.readFileSync(path.join(STACKS, f))).digest("hex")]));
}

interface Call {
    args: string[];
    cwd: string;
    env: Record<string, string>;
    up?: { project: Record<string, unknown>; mainPath: string; mainExists: boolean; stackFile: string; stackFileText: string | null; files: string[] };
}

describe("cli/drivers/platform/pulumi: the DR-stack change through the real Automation API against a recording pulumi", function () {
    this.timeout(60_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    const bin = path.join(tmp, "bin");
    const log = path.join(tmp, "calls.jsonl");
    const saved = { PATH: process.env.PATH, FAKE_PULUMI_LOG: process.env.FAKE_PULUMI_LOG, FAKE_PULUMI_UP_FAIL: process.env.FAKE_PULUMI_UP_FAIL };
    const calls = (): Call[] => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call) : []);
    const tempWorkspaces = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("fortress-dr-stack-"));

    before(() => {
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "pulumi"), FAKE, { mode: 0o755 });
        process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
        process.env.FAKE_PULUMI_LOG = log;
    });
    beforeEach(() => {
        fs.rmSync(log, { force: true });
        delete process.env.FAKE_PULUMI_UP_FAIL;
    });
    after(() => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("selects the DR stack and runs `up` from a temporary workspace whose stack file is the committed one plus the change; the committed files stay byte-identical", async () => {
        const stack = loadStack("prod-dr");
        const before = stackHashes();
        const workspacesBefore = tempWorkspaces();
        const progress: string[] = [];
        const lines = await setDrStackConfig(stack, { "endpoints.activeRegion": "dr", "dr.promote": true }, { deadline: Date.now() + 30_000, progress: (l) => progress.push(l) });

        const c = calls();
        // The exact commands, in order (argv as the Automation API builds them).
        assert.deepStrictEqual(
            c.map((x) => x.args),
            [
                ["version"],
                ["stack", "select", "--stack", "prod-dr", "--non-interactive"],
                ["up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--stack", "prod-dr", "--non-interactive"],
                ["stack", "output", "--json", "--stack", "prod-dr", "--non-interactive"],
                ["stack", "output", "--json", "--show-secrets", "--stack", "prod-dr", "--non-interactive"],
                ["stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", "prod-dr", "--non-interactive"],
            ],
        );
        const up = c.find((x) => x.args[0] === "up")!;
        // Run from a temporary directory, never the repository (where `pulumi up` would use the committed file).
        assert.notStrictEqual(path.resolve(up.cwd), REPO);
        assert.ok(path.basename(up.cwd).startsWith("fortress-dr-stack-"), up.cwd);
        assert.strictEqual(up.env.PULUMI_AUTOMATION_API, "true");
        // The program the CLI would run is the repository's (main resolved from the temporary project).
        assert.strictEqual(up.up!.mainPath, path.join(REPO, "stacks", "index.ts"));
        assert.ok(up.up!.mainExists, `main resolves to ${up.up!.mainPath}, which does not exist`);
        assert.strictEqual(up.up!.project.name, "fortress-dr");
        // The stack file the CLI would read holds the committed config with exactly the two changes.
        assert.ok(up.up!.stackFileText !== null, `the CLI would look for ${up.up!.stackFile} and find nothing`);
        const committed = parse(fs.readFileSync(path.join(STACKS, "Pulumi.prod-dr.yaml"), "utf8")).config as Record<string, unknown>;
        const temporary = parse(up.up!.stackFileText!).config as Record<string, Record<string, unknown>>;
        assert.strictEqual(temporary["fortress-dr:endpoints"].activeRegion, "dr");
        assert.strictEqual(temporary["fortress-dr:dr"].promote, true);
        const strip = (cfg: Record<string, unknown>) => {
            const x = JSON.parse(JSON.stringify(cfg));
            delete x["fortress-dr:endpoints"]?.activeRegion;
            delete x["fortress-dr:dr"]?.promote;
            return x;
        };
        assert.deepStrictEqual(strip(temporary), strip(committed), "everything but the two changes is the committed config");

        assert.match(lines.join("\n"), /pulumi up prod-dr \(endpoints\.activeRegion="dr", dr\.promote=true\): succeeded/);
        assert.ok(progress.some((l) => /Updating \(prod-dr\)/.test(l)), "the CLI's output reaches the progress lines");
        assert.deepStrictEqual(stackHashes(), before, "committed stacks/Pulumi.*.yaml are byte-identical afterwards");
        assert.deepStrictEqual(tempWorkspaces(), workspacesBefore, "the temporary workspace is removed");
    });

    it("a failing `up` rejects with the CLI's words, leaves the committed files identical and removes the temporary workspace", async () => {
        process.env.FAKE_PULUMI_UP_FAIL = "1";
        const before = stackHashes();
        const workspacesBefore = tempWorkspaces();
        await assert.rejects(setDrStackConfig(loadStack("prod-dr"), { "endpoints.activeRegion": "dr", "dr.promote": true }, { deadline: Date.now() + 30_000 }), /update failed/);
        assert.deepStrictEqual(calls().map((x) => x.args[0]), ["version", "stack", "up"], "nothing after the failed up");
        assert.deepStrictEqual(stackHashes(), before);
        assert.deepStrictEqual(tempWorkspaces(), workspacesBefore);
    });

    it("refuses a stack that is not a DR stack before calling pulumi at all", async () => {
        await assert.rejects(setDrStackConfig(loadStack("prod"), { "endpoints.activeRegion": "dr" }, { deadline: Date.now() + 30_000 }), /prod is a primary stack; traffic is switched through its DR stack/);
        assert.deepStrictEqual(calls(), []);
    });
});

/**
 * `npm run plan` runs a cached bundle (tools/plan-launch.js): reused while every bundled source
 * is unchanged, rebuilt as soon as one changes, and never stale. Run on a scratch copy of the
 * repository so that editing a source cannot disturb anything else.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../helpers/plan-cli";

describe("npm run plan: the cached bundle", function () {
    this.timeout(300_000);
    let copy: string;

    before(() => {
        copy = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-plan-launch-"));
        const skip = new Set(["node_modules", ".git", ".cache"]);
        fs.cpSync(ROOT, copy, { recursive: true, filter: (src) => !skip.has(path.basename(src)) || path.dirname(src) !== ROOT });
        fs.symlinkSync(fs.realpathSync(path.join(ROOT, "node_modules")), path.join(copy, "node_modules"));
    });
    after(() => fs.rmSync(copy, { recursive: true, force: true }));

    it("builds once, reuses the bundle while the sources are unchanged, rebuilds when one changes", async () => {
        // A fresh require of the copy's launcher: its ROOT is the copy.
        const launcher = require(path.join(copy, "tools", "plan-launch.js")) as { planBundle(): Promise<string>; cacheDir(): string };
        assert.strictEqual(launcher.cacheDir(), path.join(copy, ".cache", "plan"));
        const first = await launcher.planBundle();
        assert.ok(first.startsWith(path.join(copy, ".cache", "plan", "plan-")), first);
        const manifest = JSON.parse(fs.readFileSync(path.join(copy, ".cache", "plan", "manifest.json"), "utf8"));
        for (const f of ["tools/plan.ts", "tools/plan-summary.ts", "stacks/program.ts", "tsconfig.json", "package.json"]) assert.ok(manifest.inputs.includes(f), `${f} is an input`);
        assert.ok(!manifest.inputs.some((f: string) => f.includes("node_modules")), "packages stay external");
        const built = fs.statSync(first).mtimeMs;

        // Unchanged sources (and a change outside the bundle's inputs): the same file, not rebuilt.
        fs.appendFileSync(path.join(copy, "README.md"), "\nedited\n");
        assert.strictEqual(await launcher.planBundle(), first);
        assert.strictEqual(fs.statSync(first).mtimeMs, built);

        // One source changes: a new bundle with the change, the old one gone.
        const summary = path.join(copy, "tools", "plan-summary.ts");
        fs.writeFileSync(summary, fs.readFileSync(summary, "utf8").replace("`\\nStorage tiers\\n", "`\\nStorage tiers (edited copy)\\n"));
        const second = await launcher.planBundle();
        assert.notStrictEqual(second, first);
        assert.ok(!fs.existsSync(first), "the stale bundle is removed");
        assert.ok(fs.readFileSync(second, "utf8").includes("Storage tiers (edited copy)"));

        // The CLI runs that bundle, and each file's __dirname is its own folder in the copy (the stack files).
        const r = spawnSync(process.execPath, [path.join(copy, "tools", "plan-launch.js"), "dev"], { cwd: copy, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.ok(r.status === 0 || /^policy: mandatory violation/m.test(r.stderr), r.stderr);
        assert.match(r.stdout, /^Storage tiers \(edited copy\)$/m);
        assert.deepStrictEqual(fs.readdirSync(path.join(copy, ".cache", "plan")).filter((f) => f.endsWith(".js")), [path.basename(second)]);
    });

    it("a bundled file that disappears makes the next plan rebuild (and report the missing import)", async () => {
        const launcher = require(path.join(copy, "tools", "plan-launch.js")) as { planBundle(): Promise<string> };
        await launcher.planBundle();
        fs.rmSync(path.join(copy, "tools", "plan-text.ts"));
        await assert.rejects(launcher.planBundle(), /plan-text/);
    });
});

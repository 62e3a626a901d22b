/**
 * tools/code-cache.js, the V8 code cache `npm run plan` loads its modules with: a module runs
 * from cached bytecode only while its source is byte-for-byte the one the bytecode was made
 * from, and everything a module gets from node (require, module, exports, __dirname) still works.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../helpers/plan-cli";

const HOOK = path.join(ROOT, "tools", "code-cache.js");

describe("tools/code-cache.js: compiled bytecode, never a stale module", function () {
    this.timeout(120_000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-code-cache-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs main.js under the hook; prints what the modules computed and the hook's counters. */
    const run = (env: NodeJS.ProcessEnv = {}) => {
        const r = spawnSync(
            process.execPath,
            ["-r", HOOK, "-e", `const v = require(${JSON.stringify(path.join(dir, "main.js"))}); process.on("exit", () => console.log(JSON.stringify(v)));`],
            { encoding: "utf8", env: { ...process.env, FORTRESS_CODE_CACHE: path.join(dir, "cache.bin"), ...env } },
        );
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout.trim().split("\n").pop()!);
    };

    it("reuses bytecode for unchanged sources, recompiles a changed one, and gives modules what node gives them", () => {
        fs.writeFileSync(path.join(dir, "dep.js"), "#!/usr/bin/env node\nexports.value = 'one';\n");
        fs.writeFileSync(
            path.join(dir, "main.js"),
            "const dep = require('./dep');\n" +
                "module.exports = { dep: dep.value, dir: __dirname, file: __filename, resolved: require.resolve('./dep'), cached: Object.keys(require.cache).includes(require.resolve('./dep')), self: module.exports === exports };\n",
        );
        const first = run();
        assert.deepStrictEqual(first, { dep: "one", dir, file: path.join(dir, "main.js"), resolved: path.join(dir, "dep.js"), cached: true, self: true });
        assert.ok(fs.existsSync(path.join(dir, "cache.bin")), "the first run wrote the cache");
        const written = fs.statSync(path.join(dir, "cache.bin")).mtimeMs;

        assert.deepStrictEqual(run(), first, "a cached run computes the same");
        assert.strictEqual(fs.statSync(path.join(dir, "cache.bin")).mtimeMs, written, "every module hit: the cache is not rewritten");

        // Same length, other bytes: only the hash tells them apart.
        fs.writeFileSync(path.join(dir, "dep.js"), "#!/usr/bin/env node\nexports.value = 'two';\n");
        assert.strictEqual(run().dep, "two", "a changed module runs its new source");
        assert.strictEqual(run({ FORTRESS_CODE_CACHE: "0" }).dep, "two", "FORTRESS_CODE_CACHE=0: no cache at all");
    });

    it("a corrupt cache file costs only the compile: modules still run from source", () => {
        fs.writeFileSync(path.join(dir, "main.js"), "module.exports = 6 * 7;\n");
        fs.writeFileSync(path.join(dir, "cache.bin"), "not a cache\n\u0000\u0001");
        assert.strictEqual(run(), 42);
    });
});

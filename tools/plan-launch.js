#!/usr/bin/env node
/**
 * `npm run plan` starts here, in plain node: no TypeScript loader at run time.
 *
 * tools/plan.ts and every file of this repository it imports are bundled by esbuild into one
 * CommonJS file, `.cache/plan/plan-<hash>.js`, and that file runs in this process. <hash> is the
 * sha256 of the exact bytes esbuild compiled (each source file, read here and handed to
 * esbuild), tsconfig.json, package.json, esbuild's and node's versions and this launcher: any
 * change to any of them builds a new bundle, so the bundle is never stale. node_modules stay
 * external (loaded from node_modules as usual, at their own paths). The program that runs is
 * the same program `pulumi up` runs — compiled ahead of time, not skipped.
 *
 * The check costs one read and one hash of each source file (~100 files, a few milliseconds);
 * a rebuild costs about half a second and happens on the first plan after a change.
 *
 * FORTRESS_PLAN_CACHE overrides the cache folder; FORTRESS_PLAN_TS=1 skips the bundle and runs
 * tools/plan.ts through tsx (the slow path, for debugging with source positions).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const codeCache = require("./code-cache");

const ROOT = path.resolve(__dirname, "..");
const ENTRY = path.join(ROOT, "tools", "plan.ts");
/** `--bench` (npm run bench:plan) runs tools/bench-plan.ts the same way, bundled in its own cache folder. */
const BENCH = path.join(ROOT, "tools", "bench-plan.ts");
/** Files outside the import graph that change what esbuild emits. */
const EXTRA_INPUTS = ["tsconfig.json", "package.json", "tools/plan-launch.js"];
const LOADERS = { ".ts": "ts", ".js": "js", ".cjs": "js", ".mjs": "js", ".json": "json" };

function cacheDir(entry = ENTRY) {
    const base = path.resolve(process.env.FORTRESS_PLAN_CACHE || path.join(ROOT, ".cache", "plan"));
    return entry === ENTRY ? base : path.join(base, path.basename(entry, ".ts"));
}

function esbuildVersion() {
    return JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json", { paths: [ROOT] }), "utf8")).version;
}

/** sha256 over the build's identity and each input's path and bytes (inputs relative to ROOT, sorted). */
function digest(contents) {
    const h = crypto.createHash("sha256");
    h.update(`fortress-plan-bundle 1\0${ROOT}\0node ${process.version}\0esbuild ${esbuildVersion()}\0`);
    for (const rel of Object.keys(contents).sort()) {
        h.update(rel + "\0");
        h.update(contents[rel]);
        h.update("\0");
    }
    return h.digest("hex").slice(0, 24);
}

function readInputs(relPaths) {
    const contents = {};
    for (const rel of relPaths) contents[rel] = fs.readFileSync(path.join(ROOT, rel));
    return contents;
}

/** The bundle recorded by the last build, if every one of its inputs is still byte-for-byte the same. */
function cachedBundle(dir) {
    let manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
        const bundle = path.join(dir, manifest.bundle);
        if (!fs.existsSync(bundle)) return undefined;
        return digest(readInputs(manifest.inputs)) === manifest.hash ? bundle : undefined;
    } catch {
        return undefined; // no manifest yet, or an input was deleted: rebuild
    }
}

async function build(dir, entry) {
    const esbuild = require("esbuild");
    const contents = {};
    for (const rel of EXTRA_INPUTS) contents[rel] = fs.readFileSync(path.join(ROOT, rel));
    /** Reads each repository file once, records its bytes for the hash, and rewrites __dirname/__filename to its own location. */
    const sources = {
        name: "fortress-sources",
        setup(b) {
            b.onLoad({ filter: /.*/ }, (args) => {
                if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
                const rel = path.relative(ROOT, args.path);
                const bytes = fs.readFileSync(args.path);
                contents[rel] = bytes;
                const loader = LOADERS[path.extname(args.path)];
                if (!loader) throw new Error(`${rel}: the plan bundle has no loader for this file type`);
                let text = bytes.toString("utf8");
                // Bundled, every module shares one __dirname; each file reads paths relative to its own folder.
                if (loader !== "json") {
                    text = text
                        .replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path)))
                        .replace(/\b__filename\b/g, JSON.stringify(args.path));
                }
                return { contents: text, loader };
            });
        },
    };
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `build-${process.pid}-${Date.now()}.js`);
    try {
        await esbuild.build({
            entryPoints: [entry],
            bundle: true,
            platform: "node",
            format: "cjs",
            target: `node${process.versions.node.split(".")[0]}`,
            packages: "external",
            outfile: tmp,
            tsconfig: path.join(ROOT, "tsconfig.json"),
            plugins: [sources],
            logLevel: "silent", // a failed build throws with every error in its message
            legalComments: "none",
        });
        const hash = digest(contents);
        const name = `${path.basename(entry, ".ts")}-${hash}.js`;
        fs.renameSync(tmp, path.join(dir, name));
        const manifest = path.join(dir, `manifest-${process.pid}.json`);
        fs.writeFileSync(manifest, JSON.stringify({ hash, bundle: name, inputs: Object.keys(contents).sort() }, null, 1));
        fs.renameSync(manifest, path.join(dir, "manifest.json"));
        for (const f of fs.readdirSync(dir)) {
            if (/^[a-z-]+-[0-9a-f]{24}\.js$/.test(f) && f !== name) fs.rmSync(path.join(dir, f), { force: true });
        }
        return path.join(dir, name);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

/** The bundle to run: the cached one if it is current, else a fresh build. */
async function planBundle(entry = ENTRY) {
    const dir = cacheDir(entry);
    return cachedBundle(dir) ?? (await build(dir, entry));
}

async function main() {
    const argv = process.argv.slice(2);
    const bench = argv[0] === "--bench";
    const entry = bench ? BENCH : ENTRY;
    let mod;
    // The SDKs' and the bundle's compiled bytecode from the last run (tools/code-cache.js); not for --bench, whose children load their own.
    if (!bench && codeCache.enabled()) codeCache.install(path.join(cacheDir(), "code-cache.bin"));
    if (process.env.FORTRESS_PLAN_TS === "1") {
        require("tsx/cjs");
        mod = require(entry);
    } else {
        mod = require(await planBundle(entry));
    }
    if (bench) process.exitCode = mod.runBench(argv.slice(1));
    else await mod.runCli(argv);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e instanceof Error ? e.stack : String(e));
        process.exit(1);
    });
}

module.exports = { planBundle, cacheDir };

/**
 * A V8 code cache for the CommonJS modules a process loads: the plan bundle and the SDKs under
 * node_modules. `npm run plan` installs it (tools/plan-launch.js); `npm run bench:plan` also
 * runs its floor with it (`node -r tools/code-cache.js`, FORTRESS_CODE_CACHE=<file>) to state the
 * ratio against a floor that has the same advantage.
 *
 * What it caches is V8's compiled bytecode, never a result: every module still runs, in the same
 * order, with the same source. Each module is compiled as node compiles it (Module.wrap, then a
 * vm.Script with the module's path) but handed the bytecode V8 produced for the same bytes in an
 * earlier run. An entry is used only when the sha256 of the module's source is the one it was
 * made from, and V8 itself rejects data made by another V8 version or with other V8 flags (the
 * module is then compiled from source and the entry replaced).
 *
 * The cache is one file (a JSON index, then the blobs), read once at start. A run that missed
 * or had an entry rejected writes a fresh file at exit — made after the program ran, so it also
 * holds the functions V8 compiled lazily while running — through a temporary file and a rename,
 * so a concurrent run reads the old file or the new one, never a torn one. Modules this run did
 * not load keep their entries if their file still exists.
 *
 * FORTRESS_CODE_CACHE=0 turns it off (the plan then compiles every module from source, as node does).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

const MAGIC = "fortress-code-cache 1";

function readStore(file) {
    try {
        const buf = fs.readFileSync(file);
        const headerEnd = buf.indexOf(10);
        const header = JSON.parse(buf.subarray(0, headerEnd).toString("utf8"));
        if (header.magic !== MAGIC || header.node !== process.version) return new Map();
        const base = headerEnd + 1;
        const entries = new Map();
        for (const [filename, hash, start, end] of header.entries) entries.set(filename, { hash, data: buf.subarray(base + start, base + end) });
        return entries;
    } catch {
        return new Map(); // no cache yet, or unreadable: compile from source
    }
}

function writeStore(file, entries) {
    const index = [];
    const blobs = [];
    let offset = 0;
    for (const [filename, { hash, data }] of entries) {
        index.push([filename, hash, offset, offset + data.length]);
        blobs.push(data);
        offset += data.length;
    }
    const header = Buffer.from(JSON.stringify({ magic: MAGIC, node: process.version, entries: index }) + "\n", "utf8");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
        fs.writeFileSync(tmp, Buffer.concat([header, ...blobs]));
        fs.renameSync(tmp, file);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

/** The source as node compiles it: a leading `#!` line is blanked (the wrapper puts code before it). */
function stripShebang(content) {
    if (!content.startsWith("#!")) return content;
    const eol = content.search(/[\r\n]/);
    return eol === -1 ? "" : content.slice(eol);
}

let installed;

/**
 * Installs the cache for every module this process loads from now on (once per process).
 * Returns counters the caller may print: hits, misses, rejected.
 */
function install(file) {
    if (installed) return installed.stats;
    const stored = readStore(file);
    /** filename -> { hash, script } for every module compiled in this run. */
    const compiled = new Map();
    const stats = { file, hits: 0, misses: 0, rejected: 0 };
    const original = Module.prototype._compile;
    const importModuleDynamically = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;

    Module.prototype._compile = function compileWithCache(content, filename, format) {
        if (format === "module" || typeof content !== "string") return original.call(this, content, filename, format);
        const mod = this;
        const hash = crypto.createHash("sha256").update(content).digest("base64");
        const entry = stored.get(filename);
        const cachedData = entry && entry.hash === hash ? entry.data : undefined;
        const script = new vm.Script(Module.wrap(stripShebang(content)), {
            filename,
            cachedData,
            ...(importModuleDynamically ? { importModuleDynamically } : {}),
        });
        if (cachedData === undefined) stats.misses++;
        else if (script.cachedDataRejected) stats.rejected++;
        else stats.hits++;
        compiled.set(filename, { hash, script });
        const fn = script.runInThisContext({ displayErrors: true });
        // What node's makeRequireFunction gives a module.
        const require = function require(id) {
            return mod.require(id);
        };
        require.resolve = function resolve(request, options) {
            return Module._resolveFilename(request, mod, false, options);
        };
        require.resolve.paths = function paths(request) {
            return Module._resolveLookupPaths(request, mod);
        };
        require.main = process.mainModule;
        require.extensions = Module._extensions;
        require.cache = Module._cache;
        return fn.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
    };

    process.once("exit", () => {
        if (stats.misses === 0 && stats.rejected === 0) return;
        try {
            const entries = new Map();
            for (const [filename, { hash, script }] of compiled) entries.set(filename, { hash, data: script.createCachedData() });
            for (const [filename, entry] of stored) if (!entries.has(filename) && fs.existsSync(filename)) entries.set(filename, entry);
            writeStore(file, entries);
        } catch {
            // a cache that cannot be written only costs the next run its compile time
        }
    });
    installed = { stats };
    return stats;
}

/** Off when FORTRESS_CODE_CACHE=0. */
const enabled = () => process.env.FORTRESS_CODE_CACHE !== "0";

// `node -r tools/code-cache.js`: installs with the file named by FORTRESS_CODE_CACHE.
if (module.parent && module.parent.id === "internal/preload" && enabled() && process.env.FORTRESS_CODE_CACHE) install(path.resolve(process.env.FORTRESS_CODE_CACHE));

module.exports = { install, enabled };

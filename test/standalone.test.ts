/**
 * A clone of this repository stands on its own: no tracked file points at a path outside it
 * (the reference copies some authors had in a sibling folder never ship with a clone).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
// The sibling folder's name, built from pieces so this file does not match itself.
const NAME = ["sha", "red"].join("");
const SIBLING = ["..", NAME];
const PATTERNS = [
    new RegExp(`\\.\\./${NAME}\\b`), // a relative path up and into it
    new RegExp(`["']\\.\\.["'],\\s*(["']\\.\\.["'],\\s*)*["']${NAME}["']`), // path.join(x, "..", <name>)
];

/** Tracked files (git), or every file outside node_modules and .git when this is not a checkout. */
function trackedFiles(): string[] {
    try {
        return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 }).split("\0").filter(Boolean);
    } catch {
        const out: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
                if (e.name === "node_modules" || e.name === ".git") continue;
                const rel = path.join(dir, e.name);
                if (e.isDirectory()) walk(rel);
                else if (e.isFile()) out.push(rel);
            }
        };
        walk("");
        return out;
    }
}

describe("the repository stands on its own", () => {
    it(`no tracked file refers to ${SIBLING.join("/")} (file:line of every hit)`, () => {
        const hits: string[] = [];
        for (const file of trackedFiles()) {
            if (file.startsWith("node_modules/") || file === "node_modules") continue;
            const abs = path.join(ROOT, file);
            let text: string;
            try {
                if (!fs.statSync(abs).isFile()) continue;
                text = fs.readFileSync(abs, "utf8");
            } catch {
                continue; // deleted in the working tree
            }
            if (text.includes("\0")) continue; // binary
            text.split("\n").forEach((line, i) => {
                if (PATTERNS.some((p) => p.test(line))) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
            });
        }
        assert.deepStrictEqual(hits, [], `paths outside the repository:\n${hits.join("\n")}`);
    });

    it("the pattern catches both spellings (so the scan above can fail)", () => {
        assert.ok(PATTERNS[0].test(`see ${SIBLING.join("/")}/x.md`));
        assert.ok(PATTERNS[1].test(`path.join(ROOT, "..", "${NAME}", "schemas")`));
        assert.ok(PATTERNS[1].test(`path.resolve(__dirname, "..", "..", "${NAME}")`));
        assert.ok(!PATTERNS[0].test("credentials: shared"));
    });
});

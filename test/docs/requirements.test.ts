/**
 * docs/requirements.md is a traceability matrix: every path it cites must exist in the
 * repository (a moved or deleted file fails here, naming the row), ids are unique, and every
 * row says what implements it or that it is not built yet.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const DOC = path.join(ROOT, "docs", "requirements.md");

/** Table rows with an id in the first column. */
function rows(): { id: string; line: number; cells: string[]; text: string }[] {
    return fs
        .readFileSync(DOC, "utf8")
        .split("\n")
        .map((text, i) => ({ text, line: i + 1, cells: text.split("|").slice(1, -1).map((c) => c.trim()) }))
        .filter((r) => /^R-[A-Z0-9-]+$/.test(r.cells[0] ?? ""))
        .map((r) => ({ ...r, id: r.cells[0] }));
}

/** `code` spans that look like repository paths: path characters with at least one "/" (`crds/`, `.ci/run`, `a/b.ts`). */
export function citedPaths(text: string): string[] {
    return [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => /^[\w.-]+(\/[\w.-]+)*\/?$/.test(p) && p.includes("/"));
}

describe("docs/requirements.md: the traceability matrix", () => {
    it("has rows, each with a unique id", () => {
        const ids = rows().map((r) => r.id);
        assert.ok(ids.length >= 40, `only ${ids.length} rows`);
        const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
        assert.deepStrictEqual(dupes, []);
    });

    it("cites only paths that exist in the repository (doc line: path)", () => {
        const text = fs.readFileSync(DOC, "utf8");
        const missing: string[] = [];
        text.split("\n").forEach((line, i) => {
            for (const p of citedPaths(line)) if (!fs.existsSync(path.join(ROOT, p))) missing.push(`docs/requirements.md:${i + 1}: ${p}`);
        });
        assert.deepStrictEqual(missing, [], `cited paths that do not exist:\n${missing.join("\n")}`);
        assert.ok(citedPaths(text).length > 60, "the matrix cites code and proofs");
    });

    it("every row names an implementation and a proof, or says it is not built yet and which issue covers it", () => {
        const bad = rows().filter((r) => {
            const notBuilt = /not built yet/.test(r.text);
            // A "not built yet" must name the issue that covers it.
            if (notBuilt && !/issues? \d+|no issue yet/.test(r.text)) return true;
            const traced = citedPaths(r.text).length > 0 || /\bR-[A-Z0-9]/.test(r.cells.slice(1).join(" ")) || /outside this repository/.test(r.text);
            return !traced && !notBuilt;
        });
        assert.deepStrictEqual(bad.map((r) => `line ${r.line}: ${r.id}`), []);
    });

    it("recognises paths and not prose (so the checks above can fail)", () => {
        assert.deepStrictEqual(citedPaths("`drills/postgres/drill.ts` and `crds/` and `critical: true` and `tiers.*` and `.ci/run`"), ["drills/postgres/drill.ts", "crds/", ".ci/run"]);
    });
});

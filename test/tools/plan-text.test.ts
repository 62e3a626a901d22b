import * as assert from "assert";
import { WIDTH, counted, table, wrap } from "../../tools/plan-text";

const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0);

describe("plan text layout", () => {
    it("wrap: no line over WIDTH, every word kept in order, indents applied", () => {
        const text = Array.from({ length: 80 }, (_, i) => `word${i}`).join(" ") + " " + "x".repeat(2 * WIDTH) + " tail";
        const lines = wrap(text, "  ", "    ");
        assert.ok(lines.every((l) => l.length <= WIDTH), "every line fits");
        assert.ok(lines[0].startsWith("  word0"));
        assert.ok(lines.slice(1).every((l) => l.startsWith("    ")));
        assert.strictEqual(lines.map((l) => l.trim()).join(" ").replace(/x\s+x/g, "xx").replace(/x\s+x/g, "xx"), words(text).join(" "));
        assert.deepStrictEqual(wrap("short", "  "), ["  short"]);
    });

    it("table: aligned columns; a row wider than WIDTH wraps its last column under itself", () => {
        const long = Array.from({ length: 40 }, (_, i) => `detail${i}`).join(" ");
        const out = table([["step", "status", "detail"], ["cluster", "declared", long], ["mesh", "declared", "short"]]).trimEnd().split("\n");
        assert.ok(out.every((l) => l.length <= WIDTH));
        assert.match(out[0], /^ {2}step {5}status {4}detail$/);
        const col = out[0].indexOf("detail");
        assert.strictEqual(out[1].indexOf("detail0"), col);
        const continuation = out.slice(2, -1);
        assert.ok(continuation.length > 0 && continuation.every((l) => l.slice(0, col).trim() === "" && l[col] !== " "), "continuation starts under the column");
        assert.strictEqual(out.slice(1, -1).map((l) => l.slice(col)).join(" "), long);
        assert.strictEqual(out[out.length - 1], "  mesh     declared  short");
        // Columns wider than the screen: the row wraps as a paragraph, nothing lost.
        const wide = table([["x".repeat(WIDTH), "a b", "last"]]).trimEnd().split("\n");
        assert.ok(wide.every((l) => l.length <= WIDTH));
        assert.strictEqual(wide.join("").replace(/\s+/g, ""), "x".repeat(WIDTH) + "ablast");
    });

    it("counted: each item once with its count", () => {
        assert.strictEqual(counted(["Role", "RolePolicy", "Role", "Key"]), "Role x2, RolePolicy, Key");
    });
});

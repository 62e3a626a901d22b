/**
 * Units a newcomer reads in one sitting: no function, method or constructor in the project's
 * code (everything but test/ and node_modules) spans more than MAX_LINES lines. A longer one is
 * split into named steps; this test parses every .ts file and names each offender with its
 * line, so a reviewer sees it before it lands.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
/** The limit issue 14 set ("functions over ~80 lines split into named steps"). */
export const MAX_LINES = 80;
const SKIP_DIRS = new Set(["node_modules", "test", ".git", ".cache", "reports", "crds"]);

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return SKIP_DIRS.has(e.name) || e.name.startsWith(".") ? [] : tsFiles(p);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

export interface LongUnit {
    readonly where: string;
    readonly name: string;
    readonly lines: number;
}

function unitName(node: ts.FunctionLikeDeclaration): string {
    if (ts.isConstructorDeclaration(node)) return `constructor of ${(node.parent as ts.ClassLikeDeclaration).name?.text ?? "<class>"}`;
    if (node.name) return node.name.getText();
    const parent = node.parent;
    if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText();
    return "<anonymous>";
}

/** Every function-like unit in `text` longer than `max` lines (first to last line inclusive). */
export function longUnits(file: string, text: string, max = MAX_LINES): LongUnit[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: LongUnit[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
            const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
            const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
            const lines = last - first + 1;
            if (lines > max) found.push({ where: `${path.relative(ROOT, file)}:${first + 1}`, name: unitName(node as ts.FunctionLikeDeclaration), lines });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

describe("unit length: no function over " + MAX_LINES + " lines", function () {
    this.timeout(120_000);

    it("finds a long function, an arrow function and a constructor (the scanner itself can fail)", () => {
        const body = Array.from({ length: MAX_LINES }, (_, i) => `    const v${i} = ${i};`).join("\n");
        const text = `function long() {\n${body}\n}\nconst arrow = () => {\n${body}\n};\nclass K {\n  constructor() {\n${body}\n  }\n}\nfunction short() {\n  return 1;\n}\n`;
        const names = longUnits(path.join(ROOT, "x.ts"), text).map((u) => u.name);
        assert.deepStrictEqual(names, ["long", "arrow", "constructor of K"]);
    });

    it("the project's code has none", () => {
        const offenders = tsFiles(ROOT).flatMap((f) => longUnits(f, fs.readFileSync(f, "utf8")));
        assert.deepStrictEqual(
            offenders.map((u) => `${u.where} ${u.name} (${u.lines} lines)`),
            [],
            `split these into named steps of at most ${MAX_LINES} lines`,
        );
    });
});

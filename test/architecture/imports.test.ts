/**
 * Layers point one way: config/ (vocabulary, sections, rules, loader) and components/ sit at
 * the bottom; stacks/, policies/ and tools/ build on them. A component or a config module
 * that imported a stack step, a policy or a tool would tie the bottom to the top (and make
 * cycles a matter of time), so this test parses the imports of every .ts file and fails on
 * any that reaches up.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");

/** Which top-level folders each guarded layer may not import from. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
    config: ["stacks", "policies", "tools", "cli", "drills", "test"],
    components: ["stacks", "policies", "tools", "cli", "drills", "test"],
};

function tsFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(p);
        return e.name.endsWith(".ts") ? [p] : [];
    });
}

/** Every module specifier of a file: import/export ... from, import("x"), require("x"). */
export function moduleSpecifiers(file: string, text = fs.readFileSync(file, "utf8")): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            found.push(node.moduleSpecifier.text);
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
            found.push(node.moduleReference.expression.text);
        } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
            const callee = node.expression;
            if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) found.push(node.arguments[0].text);
        } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
            found.push(node.argument.literal.text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/** The top-level project folder a relative specifier lands in, or undefined for a package. */
function targetFolder(file: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier));
    return target.startsWith("..") ? "(outside the project)" : target.split(path.sep)[0];
}

describe("import graph: layers point one way", function () {
    this.timeout(120_000);
    for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
        it(`nothing in ${layer}/ imports from ${forbidden.join(", ")}`, () => {
            const files = tsFiles(path.join(ROOT, layer));
            assert.ok(files.length > 0, `no .ts files under ${layer}/`);
            const bad: string[] = [];
            for (const file of files) {
                for (const spec of moduleSpecifiers(file)) {
                    const folder = targetFolder(file, spec);
                    if (folder !== undefined && (forbidden.includes(folder) || folder === "(outside the project)")) {
                        bad.push(`${path.relative(ROOT, file)} imports "${spec}" (${folder}/)`);
                    }
                }
            }
            assert.deepStrictEqual(bad, []);
        });
    }

    it("sees every form of import (so the check above can fail)", () => {
        const text = [
            'import { a } from "../../stacks/x";',
            'import type { B } from "../../tools/y";',
            'export * from "./z";',
            'const c = require("../../policies/c");',
            'type D = import("../d").D;',
            'const e = import("./e");',
            'import f = require("./f");',
        ].join("\n");
        assert.deepStrictEqual(moduleSpecifiers(path.join(ROOT, "components", "core", "probe.ts"), text), [
            "../../stacks/x",
            "../../tools/y",
            "./z",
            "../../policies/c",
            "../d",
            "./e",
            "./f",
        ]);
        assert.strictEqual(targetFolder(path.join(ROOT, "components", "core", "probe.ts"), "../../stacks/x"), "stacks");
        assert.strictEqual(targetFolder(path.join(ROOT, "components", "core", "probe.ts"), "../regions"), "components");
    });
});

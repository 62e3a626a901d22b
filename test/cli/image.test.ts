/**
 * cli/Dockerfile cannot be built here (no Docker engine), so this test holds it to the CLI's
 * import graph: every project file cli/main.ts reaches at run time (value imports and
 * require() calls, resolved with the TypeScript compiler, walked from the bin's entry) must be
 * under a path the Dockerfile COPYs, and every package it requires must be installed by the
 * Dockerfile's `npm ci` (dependencies, or devDependencies when it passes --include=dev).
 * An import added outside the copied folders, or a new package left out, fails here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { builtinModules } from "module";

const ROOT = path.resolve(__dirname, "..", "..");
const DOCKERFILE = path.join(ROOT, "cli", "Dockerfile");
const OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, resolveJsonModule: true, allowJs: true };

/** Run-time module specifiers of a file: value imports/exports, require("x"), import("x") (type-only ones are erased). */
export function runtimeSpecifiers(file: string, text = fs.readFileSync(file, "utf8")): string[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && !node.importClause?.isTypeOnly) found.push(node.moduleSpecifier.text);
        else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) found.push(node.moduleSpecifier.text);
        else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteral(node.arguments[0])) {
            const callee = node.expression;
            if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) found.push(node.arguments[0].text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/** The project files and packages reached from `entry`. */
export function runtimeGraph(entry: string): { files: string[]; packages: string[]; unresolved: string[] } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const unresolved: string[] = [];
    const walk = (file: string) => {
        if (files.has(file)) return;
        files.add(file);
        for (const spec of runtimeSpecifiers(file)) {
            if (!spec.startsWith(".")) {
                const bare = spec.replace(/^node:/, "");
                if (!builtinModules.includes(bare) && !builtinModules.includes(bare.split("/")[0])) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
                continue;
            }
            const r = ts.resolveModuleName(spec, file, OPTIONS, ts.sys).resolvedModule;
            if (!r) unresolved.push(`${path.relative(ROOT, file)}: "${spec}"`);
            else walk(r.resolvedFileName);
        }
    };
    walk(entry);
    return { files: [...files].map((f) => path.relative(ROOT, f)).sort(), packages: [...packages].sort(), unresolved };
}

/** The repository paths the Dockerfile copies (COPY <src>... <dest>, sources relative to the context, the root). */
export function copiedPaths(dockerfile: string): string[] {
    return dockerfile
        .split("\n")
        .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
        .flatMap((l) => l.trim().split(/\s+/).slice(1, -1))
        .map((p) => p.replace(/\/$/, ""));
}

const covered = (file: string, copied: readonly string[]) => copied.some((c) => file === c || file.startsWith(`${c}/`));

describe("cli/Dockerfile: the image holds everything the CLI runs", () => {
    const dockerfile = fs.readFileSync(DOCKERFILE, "utf8");
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; bin: Record<string, string> };
    const graph = runtimeGraph(path.join(ROOT, "cli", "main.ts"));
    const copied = copiedPaths(dockerfile);

    it("every project file cli/main.ts imports at run time is under a path the Dockerfile copies", () => {
        assert.deepStrictEqual(graph.unresolved, []);
        assert.ok(graph.files.length > 20, `walked only ${graph.files.length} files`);
        assert.deepStrictEqual(graph.files.filter((f) => !covered(f, copied)), []);
    });

    it("copies the bin, the measured figures (reports/) and the project file the CLI reads by path", () => {
        for (const f of [pkg.bin.fortress, "reports/drill-postgres.json", "Pulumi.yaml", "stacks/Pulumi.prod.yaml", "package.json", "package-lock.json"]) assert.ok(covered(f, copied), f);
    });

    it("installs every package the CLI requires, and the bin's TypeScript loader (tsx)", () => {
        const includeDev = /npm ci\b[^\n]*--include=dev/.test(dockerfile);
        const installed = new Set([...Object.keys(pkg.dependencies), ...(includeDev ? Object.keys(pkg.devDependencies) : [])]);
        const bin = runtimeSpecifiers(path.join(ROOT, pkg.bin.fortress)).filter((s) => !s.startsWith("."));
        assert.deepStrictEqual([...graph.packages, ...bin].filter((p) => !installed.has(p.split("/").slice(0, p.startsWith("@") ? 2 : 1).join("/"))), []);
    });

    it("runs as the unprivileged CLI user, enters through the bin, smoke-checks `fortress --help` at build time", () => {
        assert.match(dockerfile, /^USER 65532:65532$/m);
        assert.match(dockerfile, /^ENTRYPOINT \["fortress"\]$/m);
        assert.match(dockerfile, /^RUN fortress --help/m);
        assert.match(dockerfile, /^ARG NODE_IMAGE=node:20-/m);
    });

    it("the check can fail: a file outside the copied paths, an uninstalled package", () => {
        assert.ok(!covered("drills/index.ts", copied));
        assert.deepStrictEqual(runtimeSpecifiers("x.ts", 'import type { A } from "./a";\nimport { b } from "left-pad";\nconst c = require("../c");'), ["left-pad", "../c"]);
    });
});

/**
 * Text layout for the plan: aligned tables and word-wrapped paragraphs that never exceed
 * WIDTH columns, so the plan reads in an ordinary terminal (test/tools/plan-output.test.ts
 * holds every stack to it).
 */

/** The widest line the plan prints. */
export const WIDTH = 160;

/** The narrowest room a wrapped line leaves for its text. */
const MIN_ROOM = 40;

/** What the plan prints: the default one-screen summary, or everything (`--details`). */
export interface RenderOptions {
    readonly details: boolean;
}

/**
 * Word-wraps `text` to WIDTH: the first line starts with `indent`, the next ones with
 * `hanging` (default: `indent`). A word longer than a line is cut.
 */
export function wrap(text: string, indent = "", hanging = indent): string[] {
    // A continuation indent must leave room for words.
    if (hanging.length > WIDTH - MIN_ROOM) hanging = hanging.slice(0, WIDTH - MIN_ROOM);
    const lines: string[] = [];
    let line = indent;
    let fresh = true;
    for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
        const sep = fresh ? "" : " ";
        if (line.length + sep.length + word.length <= WIDTH) {
            line += sep + word;
            fresh = false;
            continue;
        }
        let rest = word;
        if (!fresh) {
            lines.push(line);
            line = hanging;
        } else if (line.length >= WIDTH) {
            // An indent as wide as the line: start the word on the next line.
            lines.push(line);
            line = hanging;
        }
        while (line.length + rest.length > WIDTH) {
            const room = Math.max(1, WIDTH - line.length);
            lines.push(line + rest.slice(0, room));
            rest = rest.slice(room);
        }
        line += rest;
        fresh = false;
    }
    if (!fresh || lines.length === 0) lines.push(line);
    return lines;
}

/**
 * An aligned table: columns padded to their widest cell, two spaces apart. When a row is wider
 * than WIDTH, its last column wraps under itself.
 */
export function table(rows: readonly (readonly string[])[], indent = "  "): string {
    if (rows.length === 0) return `${indent}(none)\n`;
    const cols = Math.max(...rows.map((r) => r.length));
    const widths = Array.from({ length: cols }, (_, i) => Math.max(...rows.map((r) => (i === r.length - 1 ? 0 : (r[i] ?? "").length))));
    const out: string[] = [];
    for (const r of rows) {
        const head = indent + r.slice(0, -1).map((c, i) => c.padEnd(widths[i]) + "  ").join("");
        const last = r[r.length - 1] ?? "";
        if ((head + last).length <= WIDTH) out.push((head + last).trimEnd());
        else if (head.length <= WIDTH - MIN_ROOM) out.push(...wrap(last, head, " ".repeat(head.length)).map((l) => l.trimEnd()));
        // Columns wider than the screen: the row as a wrapped paragraph.
        else out.push(...wrap(head + last, "", `${indent}  `).map((l) => l.trimEnd()));
    }
    return out.join("\n") + "\n";
}

/** "a, b x2, c": each distinct item once, with its count when above one, in first-seen order. */
export function counted(items: readonly string[]): string {
    const n = new Map<string, number>();
    for (const i of items) n.set(i, (n.get(i) ?? 0) + 1);
    return [...n].map(([k, c]) => (c > 1 ? `${k} x${c}` : k)).join(", ");
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

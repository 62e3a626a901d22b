/**
 * The `fortress status --output json` snapshot, when one is given: shown as it is (the
 * report does not reinterpret the status command's fields), top-level values as a table and
 * arrays of records as tables, everything else as formatted JSON.
 */
import { esc } from "./html";

function scalar(v: unknown): string {
    if (v === null || v === undefined) return `<span class="muted">–</span>`;
    if (typeof v === "object") return `<code>${esc(JSON.stringify(v))}</code>`;
    return esc(v);
}

function recordsTable(rows: readonly Record<string, unknown>[]): string {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return `<div class="scroll"><table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${rows
        .map((r) => `<tr>${cols.map((c) => `<td>${scalar(r[c])}</td>`).join("")}</tr>`)
        .join("")}</tbody></table></div>`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function statusHtml(status: unknown, source: string): string {
    let html = `<p class="legend-note">Snapshot from <code>${esc(source)}</code> (<code>fortress status --output json</code>), shown as recorded.</p>`;
    if (isRecord(status)) {
        const simple = Object.entries(status).filter(([, v]) => !Array.isArray(v) && !isRecord(v));
        if (simple.length) html += `<table class="status">${simple.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${scalar(v)}</td></tr>`).join("")}</table>`;
        for (const [k, v] of Object.entries(status)) {
            if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) html += `<h3>${esc(k)}</h3>${recordsTable(v)}`;
            else if (isRecord(v)) {
                const inner = Object.values(v);
                html += `<h3>${esc(k)}</h3>` + (inner.length && inner.every(isRecord) ? recordsTable(Object.entries(v).map(([name, r]) => ({ name, ...(r as Record<string, unknown>) }))) : `<pre class="json">${esc(JSON.stringify(v, null, 2))}</pre>`);
            } else if (Array.isArray(v)) html += `<h3>${esc(k)}</h3><pre class="json">${esc(JSON.stringify(v, null, 2))}</pre>`;
        }
    } else html += `<pre class="json">${esc(JSON.stringify(status, null, 2))}</pre>`;
    return html;
}

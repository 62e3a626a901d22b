/**
 * Drill history: every `reports/drill-*.json` over time. Each file holds the newest run on top
 * and the earlier runs in `history` (drills/index.ts); the report draws, per drill, one small
 * chart per recovery figure (RPO-like: data-loss windows; RTO-like: restore, recovery and
 * failover times), a point per run at its date.
 */
import * as fs from "fs";
import * as path from "path";
import type { DrillFigure, DrillReportFile } from "../../drills/types";
import { esc } from "./html";

export interface DrillSeries {
    /** The figure's id (DrillFigure.id). */
    readonly key: string;
    readonly name: string;
    readonly unit: string;
    readonly kind: "rpo" | "rto";
    /** Oldest first. */
    readonly points: readonly { readonly at: string; readonly value: number; readonly mode?: string }[];
}

export interface DrillHistory {
    readonly drill: string;
    readonly runs: number;
    readonly series: readonly DrillSeries[];
}

const RPO = /\b(rpo|loss|lost)\b|loss window|window/i;
const RTO = /\b(rto|restore|recovery|failover|promot|switchover|to ready|until primary)\b/i;

/** Whether a figure is a recovery figure, and which kind: by its id and name. Seconds only. */
export function recoveryKind(f: Pick<DrillFigure, "id" | "name" | "unit">): "rpo" | "rto" | undefined {
    if (!/^s\b/.test(f.unit)) return undefined;
    const text = `${f.id} ${f.name}`.replace(/[._-]/g, " ");
    // The steps of a restore are parts of its total, charted once as the total.
    if (/\bstep\b|\bof which\b/i.test(text)) return undefined;
    if (RPO.test(text)) return "rpo";
    if (RTO.test(text)) return "rto";
    return undefined;
}

/** One drill file's runs (newest first in the file) as series per recovery figure, oldest first. */
export function drillHistory(file: DrillReportFile): DrillHistory {
    const runs = [{ startedAt: file.startedAt, mode: file.mode, figures: file.figures }, ...(file.history ?? [])].reverse();
    const series = new Map<string, { name: string; unit: string; kind: "rpo" | "rto"; points: { at: string; value: number; mode?: string }[] }>();
    for (const run of runs) {
        for (const f of run.figures) {
            const kind = recoveryKind(f);
            if (!kind || typeof f.value !== "number" || !Number.isFinite(f.value)) continue;
            const key = f.id;
            const s = series.get(key) ?? series.set(key, { name: f.name, unit: f.unit, kind, points: [] }).get(key)!;
            s.points.push({ at: run.startedAt, value: f.value, ...(run.mode ? { mode: run.mode } : {}) });
        }
    }
    return { drill: file.drill, runs: runs.length, series: [...series].map(([key, s]) => ({ key, ...s })) };
}

/** Reads every reports/drill-*.json of a directory; unreadable files become a note, not a crash. */
export function readDrillReports(dir: string): { files: DrillReportFile[]; problems: string[] } {
    const files: DrillReportFile[] = [];
    const problems: string[] = [];
    let names: string[] = [];
    try {
        names = fs.readdirSync(dir).filter((n) => /^drill-.+\.json$/.test(n)).sort();
    } catch {
        return { files, problems: [`${dir}: no reports directory; run npm run drill`] };
    }
    for (const n of names) {
        try {
            const parsed = JSON.parse(fs.readFileSync(path.join(dir, n), "utf8")) as DrillReportFile;
            if (typeof parsed.drill !== "string" || !Array.isArray(parsed.figures)) throw new Error("not a drill report (no drill or figures)");
            const noId = [parsed, ...(parsed.history ?? [])].flatMap((run) => run.figures.filter((f) => typeof f.id !== "string" || f.id === "").map((f) => `"${f.name}" (run of ${run.startedAt})`));
            if (noId.length > 0) throw new Error(`figures without an id: ${noId.slice(0, 3).join(", ")}${noId.length > 3 ? ` and ${noId.length - 3} more` : ""}; every figure needs its stable id (drills/types.ts DrillFigure.id): re-run npm run drill -- --only ${parsed.drill}`);
            files.push(parsed);
        } catch (e) {
            problems.push(`${path.join(dir, n)}: ${e instanceof Error ? e.message : String(e)}`);
        }
    }
    return { files, problems };
}

const W = 300;
const H = 86;
const PAD = { left: 40, right: 10, top: 8, bottom: 20 };

/** A small SVG chart of one series: a point per run (x by date), its value axis from 0. */
export function sparkline(s: DrillSeries): string {
    const times = s.points.map((p) => Date.parse(p.at));
    const t0 = Math.min(...times);
    const t1 = Math.max(...times);
    const vmax = Math.max(...s.points.map((p) => p.value), 1e-9) * 1.15;
    const x = (t: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
    const y = (v: number) => PAD.top + (1 - v / vmax) * (H - PAD.top - PAD.bottom);
    const pts = s.points.map((p, i) => ({ x: x(times[i]), y: y(p.value), p }));
    const colour = s.kind === "rpo" ? "#c0392b" : "#1f5fa8";
    const line = pts.length > 1 ? `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts.map((q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(" ")}"/>` : "";
    const dots = pts
        .map((q) => `<circle cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="3" fill="${colour}"><title>${esc(q.p.at)}${q.p.mode ? ` (${esc(q.p.mode)})` : ""}: ${q.p.value} ${esc(s.unit)}</title></circle>`)
        .join("");
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    return (
        `<svg class="spark" data-points="${s.points.length}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="10" font-family="system-ui, sans-serif">` +
        `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#999"/>` +
        `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#999"/>` +
        `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${+(vmax / 1.15).toPrecision(3)}</text><text x="${PAD.left - 4}" y="${H - PAD.bottom}" text-anchor="end">0</text>` +
        `<text x="${PAD.left}" y="${H - 5}">${day(t0)}</text>${t1 !== t0 ? `<text x="${W - PAD.right}" y="${H - 5}" text-anchor="end">${day(t1)}</text>` : ""}` +
        `${line}${dots}</svg>`
    );
}

export function drillsHtml(files: readonly DrillReportFile[], problems: readonly string[] = []): string {
    if (files.length === 0) return `<p class="muted">No drill reports: run <code>npm run drill</code>.</p>${problems.map((p) => `<p class="muted">${esc(p)}</p>`).join("")}`;
    let html = `<p class="legend-note">One point per run (reports/drill-*.json: the newest run and its <code>history</code>). <span style="color:#c0392b">■</span> data-loss (RPO) figures, <span style="color:#1f5fa8">■</span> recovery-time (RTO) figures, in seconds.</p>`;
    for (const f of files) {
        const h = drillHistory(f);
        html += `<h3>${esc(h.drill)} <span class="muted">(${h.runs} run${h.runs === 1 ? "" : "s"}, newest ${esc(f.startedAt)}${f.mode ? `, ${esc(f.mode)}` : ""}; ${f.checks.filter((c) => c.passed).length}/${f.checks.length} checks passed)</span></h3>`;
        html += `<div class="drills" data-drill="${esc(h.drill)}">`;
        for (const s of h.series) {
            const last = s.points[s.points.length - 1];
            html += `<div class="drill-chart" data-kind="${s.kind}"><h4>${esc(s.name)}</h4><div class="last">${s.kind.toUpperCase()} · latest ${last.value} ${esc(s.unit)}${s.key !== s.name ? ` · <code>${esc(s.key)}</code>` : ""}</div>${sparkline(s)}</div>`;
        }
        html += `</div>`;
        if (h.series.length === 0) html += `<p class="muted">no recovery figure in seconds in this drill</p>`;
    }
    for (const p of problems) html += `<p class="muted">${esc(p)}</p>`;
    return html;
}

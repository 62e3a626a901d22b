/**
 * The objectives table as a heat map: scenario (rows) × data class (columns); each position
 * holds the detection, RTO and RPO cells of the objectives model, coloured by verdict, with the
 * margin (objective minus achievable, seconds) as a number. Each cell is a <details>: opened,
 * it lists its mechanism, its terms with basis and source, the open terms and the notes.
 */
import type { Cell, CellStatus, ObjectivesTable, Row } from "../../objectives";
import { esc } from "./html";

/** The report's four verdicts (plus n/a) from the model's seven statuses. */
export type Verdict = "within" | "at-risk" | "over" | "open" | "na";

export const VERDICT_OF: Readonly<Record<CellStatus, Verdict>> = {
    within: "within",
    // Under the objective only on a typical, SLA or budget term (objectives/terms.ts).
    "at-risk": "at-risk",
    over: "over",
    missing: "over",
    informational: "na",
    "not-owned": "na",
};

export const VERDICT_LABEL: Readonly<Record<Verdict, string>> = {
    within: "within",
    "at-risk": "at risk",
    over: "over",
    open: "open",
    na: "n/a",
};

const METRICS = [
    ["detect", "detect"],
    ["rto", "RTO"],
    ["rpo", "RPO"],
] as const;

/** Objective minus achievable, seconds; null when either is unknown. Negative: over. */
export function margin(c: Cell): number | null {
    if (c.objectiveSeconds === null || c.seconds === null) return null;
    return Math.round((c.objectiveSeconds - c.seconds) * 10) / 10;
}

function num(v: number | null | undefined): string {
    if (v === null || v === undefined) return "–";
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function marginText(c: Cell): string {
    if (c.status === "not-owned") return "DR pair";
    if (c.status === "informational") return "no objective";
    if (c.status === "missing") return "missing";
    const m = margin(c);
    if (m === null) return "–";
    return `${m > 0 ? "+" : ""}${num(m)} s`;
}

function cellHtml(row: Row, metric: (typeof METRICS)[number], c: Cell): string {
    const verdict = VERDICT_OF[c.status];
    const terms = c.terms.length
        ? `<ul>${c.terms.map((t) => `<li>${esc(t.label)}: <b>${num(t.seconds)} s</b> <span class="basis">[${esc(t.basis)}] ${esc(t.source)}</span></li>`).join("")}</ul>`
        : `<p class="muted">no fixed terms</p>`;
    const accepted = c.accepted ? `<p>accepted risk: up to ${num(c.accepted.worstSeconds)} s (${esc(c.accepted.reason)})${c.accepted.holds ? "" : " — EXCEEDED"}</p>` : "";
    const open = c.soft.some((t) => t.basis === "budget") ? `<p>open (unmeasured): ${c.soft.filter((t) => t.basis === "budget").map((t) => esc(t.label)).join("; ")}</p>` : "";
    const notes = c.notes.length ? `<p>${c.notes.map(esc).join("<br>")}</p>` : "";
    return (
        `<details class="cell s-${verdict}" data-status="${c.status}" data-verdict="${verdict}" data-scenario="${row.scenario}" data-subject="${esc(row.subject)}" data-metric="${metric[0]}">` +
        `<summary><span class="metric">${metric[1]}</span><span>${num(c.seconds)}${c.soft.length ? "~" : ""} / ${num(c.objectiveSeconds)} s</span><span class="margin" title="objective minus achievable">${esc(marginText(c))}</span></summary>` +
        `<div class="terms"><p><b>${esc(VERDICT_LABEL[verdict])}</b> (${esc(c.status)}) — ${esc(c.mechanism)}</p>${terms}${accepted}${open}${notes}</div></details>`
    );
}

export function heatMapHtml(t: ObjectivesTable): string {
    const scenarios = [...new Map(t.rows.map((r) => [r.scenario, r.scenarioName])).entries()];
    const subjects = [...new Set(t.rows.map((r) => r.subject))];
    const counts: Record<Verdict, number> = { within: 0, "at-risk": 0, over: 0, open: 0, na: 0 };
    for (const r of t.rows) for (const [m] of METRICS) counts[VERDICT_OF[r[m].status]]++;
    const chips = (Object.keys(counts) as Verdict[]).map((v) => `<span class="chip s-${v}" data-count="${v}">${counts[v]} ${VERDICT_LABEL[v]}</span>`).join("");
    let html = `<p class="legend-note">achievable / objective (seconds) and the margin (objective − achievable; negative = over). "~": a typical or drill-scale figure. Click a cell for its terms and sources. <button type="button" data-toggle-all="heatmap-box">expand all</button></p>`;
    html += `<div class="summary">${chips}</div>`;
    html += `<div class="scroll" id="heatmap-box"><table class="heatmap" data-rows="${t.rows.length}"><thead><tr><th>scenario</th>${subjects.map((s) => `<th>${esc(s)}</th>`).join("")}</tr></thead><tbody>`;
    for (const [scenario, name] of scenarios) {
        html += `<tr><th>${esc(scenario)}<br><span class="muted">${esc(name)}</span></th>`;
        for (const subject of subjects) {
            const row = t.rows.find((r) => r.scenario === scenario && r.subject === subject);
            html += row ? `<td>${METRICS.map((m) => cellHtml(row, m, row[m[0]])).join("")}</td>` : `<td class="empty"></td>`;
        }
        html += `</tr>`;
    }
    html += `</tbody></table></div>`;
    if (t.notes.length) html += `<p class="legend-note">${t.notes.map(esc).join("<br>")}</p>`;
    return html;
}

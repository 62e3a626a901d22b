/**
 * The compliance matrix: framework × control, each control with the rules that provide
 * evidence for it and their status in this stack. A control is "fail" if any of its rules
 * fails, "pass" if at least one passes and none fails.
 */
import type { ComplianceEntry } from "../plan-findings";
import { esc } from "./html";

export function controlStatus(entries: readonly Pick<ComplianceEntry, "status">[]): "pass" | "warn" | "fail" | "not-applicable" {
    if (entries.some((e) => e.status === "fail")) return "fail";
    if (entries.some((e) => e.status === "warn")) return "warn";
    if (entries.some((e) => e.status === "pass")) return "pass";
    return "not-applicable";
}

export function complianceHtml(compliance: Readonly<Record<string, readonly ComplianceEntry[]>>): string {
    let html = `<div class="scroll"><table class="compliance"><thead><tr><th>framework</th><th>control</th><th>status</th><th>rules (status, enforcement)</th></tr></thead><tbody>`;
    for (const [framework, entries] of Object.entries(compliance)) {
        const controls = [...new Set(entries.map((e) => e.control))];
        controls.forEach((control, i) => {
            const rules = entries.filter((e) => e.control === control);
            const status = controlStatus(rules);
            html += `<tr data-framework="${esc(framework)}">${i === 0 ? `<th rowspan="${controls.length}">${esc(framework)}</th>` : ""}<td>${esc(control)}</td><td><span class="chip s-${status}">${status}</span></td><td>${rules
                .map((r) => `<span class="chip s-${esc(r.status)}" title="${esc(r.enforcementLevel)}, ${esc(r.severity)}">${esc(r.rule)}</span>`)
                .join(" ")}</td></tr>`;
        });
    }
    return html + `</tbody></table></div>`;
}

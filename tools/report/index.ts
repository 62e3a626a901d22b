/**
 * The DR posture report: one self-contained HTML file from an evaluated stack — the topology
 * (generated SVG), the objectives heat map, the compliance matrix, the drill history and,
 * when given, a `fortress status` snapshot. `buildReport` is pure apart from the layout
 * (elkjs, in process); `reportForStack` evaluates the stack, its DR pair, the policy pack and
 * the drill reports first, as the plan does.
 */
import * as fs from "fs";
import * as path from "path";
import type { DrillReportFile } from "../../drills/types";
import { evaluateStack, PlanResult } from "../evaluate";
import { listStacks, readStackFile } from "../../config";
import { PlanFindings, planFindings } from "../plan-findings";
import { complianceHtml } from "./compliance";
import { layoutTopology, renderDiagram } from "./diagram";
import { drillsHtml, readDrillReports } from "./drills";
import { heatMapHtml } from "./heatmap";
import { PageSection, esc, page } from "./html";
import { statusHtml } from "./status";
import { buildTopology, topologyLocations } from "./topology";

export { buildTopology, topologyLocations } from "./topology";

export interface ReportInput {
    readonly result: PlanResult;
    /** The other stack of the primary/DR pair, drawn into the topology (standby, DR alarms). */
    readonly pair?: PlanResult;
    readonly findings: Pick<PlanFindings, "objectives" | "objectivesProblem" | "compliance" | "mandatoryViolations">;
    readonly drills: { readonly files: readonly DrillReportFile[]; readonly problems: readonly string[] };
    readonly status?: { readonly source: string; readonly snapshot: unknown };
    /** ISO time printed in the header. */
    readonly generatedAt: string;
}

export async function buildReport(input: ReportInput): Promise<string> {
    const { result, findings } = input;
    const topology = buildTopology(result, input.pair);
    const layout = await layoutTopology(topology);
    const locations = topologyLocations(topology);
    const sections: PageSection[] = [
        {
            id: "topology",
            title: "Topology",
            html:
                `<p class="legend-note">${locations.length} locations, ${topology.nodes.filter((n) => n.tier).length} tier buckets${input.pair ? `; drawn with the ${esc(input.pair.stack)} stack of the pair` : ""}. From what the stack declares (Pulumi mock runtime: names are real, IDs and ARNs are mock values).</p>` +
                `<div class="scroll" id="diagram">${renderDiagram(layout)}</div>`,
        },
        {
            id: "objectives",
            title: "Recovery objectives",
            html: findings.objectives ? heatMapHtml(findings.objectives) : `<p>Not computed: ${esc(findings.objectivesProblem ?? "no objectives table")}</p>`,
        },
        {
            id: "compliance",
            title: "Compliance",
            html:
                (findings.mandatoryViolations.length ? `<p><span class="chip s-fail">mandatory violations</span> ${findings.mandatoryViolations.map(esc).join(", ")}</p>` : `<p><span class="chip s-pass">no mandatory violation</span></p>`) +
                complianceHtml(findings.compliance),
        },
        { id: "drills", title: "Drill history", html: drillsHtml(input.drills.files, input.drills.problems) },
    ];
    if (input.status) sections.push({ id: "status", title: "Status snapshot", html: statusHtml(input.status.snapshot, input.status.source) });
    const c = result.config;
    return page(`Fortress DR — ${result.stack}`, `environment ${c.environment}, role ${c.role}; generated ${input.generatedAt}`, sections);
}

/** The other stack of a pair: a DR stack's primary, or the DR stack that names this primary. */
export function pairStackOf(stack: string, config: PlanResult["config"]): string | undefined {
    if (config.role === "dr") {
        const primary = (config as { dr?: { primaryStack?: string } }).dr?.primaryStack;
        return primary?.split("/").pop();
    }
    for (const other of listStacks()) {
        if (other === stack) continue;
        const raw = readStackFile(other).config;
        if (raw["fortress-dr:role"] !== "dr") continue;
        try {
            const primary = JSON.parse(raw["fortress-dr:dr"] ?? "{}").primaryStack;
            if (typeof primary === "string" && primary.split("/").pop() === stack) return other;
        } catch {
            // a malformed DR section is that stack's own validation error, not this report's
        }
    }
    return undefined;
}

export interface ReportOptions {
    /** A `fortress status --output json` file to include. */
    readonly statusFile?: string;
    /** @default "<repo>/reports" */
    readonly reportsDir?: string;
    /** Draw the DR pair too. @default true */
    readonly withPair?: boolean;
}

/** Reads and parses the status snapshot, or throws one error naming the file and the fix. */
export function readStatusFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new Error(`--status ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); give the file written by \`fortress status <stack> --output json > status.json\``);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new Error(`--status ${file}: not JSON (${e instanceof Error ? e.message : String(e)}); give the output of \`fortress status <stack> --output json\``);
    }
}

export async function reportForStack(stack: string, options: ReportOptions = {}): Promise<string> {
    // The snapshot is read first: a bad --status fails before a long evaluation.
    const status = options.statusFile ? { source: options.statusFile, snapshot: readStatusFile(options.statusFile) } : undefined;
    const result = await evaluateStack(stack);
    const pairName = options.withPair === false ? undefined : pairStackOf(stack, result.config);
    const pair = pairName ? await evaluateStack(pairName) : undefined;
    const findings = await planFindings(result);
    const drills = readDrillReports(options.reportsDir ?? path.resolve(__dirname, "..", "..", "reports"));
    return buildReport({ result, pair, findings, drills, status, generatedAt: new Date().toISOString() });
}

/** Writes the report, creating the directory; returns the absolute path. */
export function writeReport(file: string, html: string): string {
    const out = path.resolve(file);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, html);
    return out;
}

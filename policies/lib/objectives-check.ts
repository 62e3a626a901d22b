/**
 * The objectives table of the stack a stack policy is looking at: its resources plus the
 * configuration in its DR manifest, through the pure model in objectives/. The
 * three objectives rules share one computation per resource list.
 */
import type { PolicyResource } from "@pulumi/policy";
import { DrillReportLike, ObjectivesTable, computeObjectives, loadDrillReports } from "../../objectives";
import type { FortressConfig } from "../../config";
import { objectivesInput } from "./objectives-input";
import { StackView } from "./stack-view";

export type ReportsSource = () => { reports: readonly DrillReportLike[]; problems: readonly string[] };

let committed: ReturnType<ReportsSource> | undefined;
/** The drill reports committed under reports/, read once per process. */
export const committedReports: ReportsSource = () => (committed ??= loadDrillReports());

export type TableResult = { ok: true; table: ObjectivesTable; config: FortressConfig } | { ok: false; problem: string };

const cache = new WeakMap<readonly PolicyResource[], Map<ReportsSource, TableResult>>();

export function objectivesOf(resources: readonly PolicyResource[], source: ReportsSource): TableResult {
    const bySource = cache.get(resources) ?? new Map<ReportsSource, TableResult>();
    cache.set(resources, bySource);
    const hit = bySource.get(source);
    if (hit) return hit;
    const view = new StackView(resources);
    const m = view.manifest();
    let result: TableResult;
    if (!m.ok) {
        result = m;
    } else {
        const { reports, problems } = source();
        result = { ok: true, config: m.config, table: computeObjectives(objectivesInput(m.stack ?? "", m.config, view.declared(), reports, problems)) };
    }
    bySource.set(source, result);
    return result;
}

/** A DR stack rebuilding or promoting is being deployed during an incident. */
export function isIncidentDeployment(config: FortressConfig): boolean {
    return config.role === "dr" && (config.dr?.mode === "rebuild" || config.dr?.promote === true);
}

/**
 * Whether a breach of the objectives blocks the deployment. It does for prod and staging; in
 * dev it is advisory; and a DR stack rebuilding or promoting is deployed *during* an incident,
 * where refusing to deploy would only make the outage longer.
 */
export function objectivesAreMandatory(config: FortressConfig): boolean {
    return config.environment !== "dev" && !isIncidentDeployment(config);
}

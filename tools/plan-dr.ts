/**
 * The plan's detection section (primary stacks) and, for a DR stack, what each mode declares:
 * the stack is evaluated once per mode (pilot-light, rebuild, promote) with only `dr` changed.
 */
import type { StepResult } from "../stacks/dr";
import { modeVariants, DrModeName, DrPlan } from "../stacks/steps/dr-mode";
import type { EvaluateOptions, PlanResult } from "./evaluate";
import { RenderOptions, plural, table } from "./plan-text";
import type { RecordedResource } from "../components/core/recorded-resource";

export const DR_MODES: readonly DrModeName[] = ["pilot-light", "rebuild", "promote"];

const ofType = (rs: readonly RecordedResource[], type: string) => rs.filter((r) => r.type === type);

/**
 * An alarm's name as the plan prints it: its `name` input, else (the provider then generates
 * a physical name) its logical name, marked as such.
 */
export function alarmName(a: RecordedResource): string {
    return typeof a.inputs.name === "string" && a.inputs.name.length > 0 ? a.inputs.name : `${a.name} (logical name; AWS name generated)`;
}

const threshold = (a: RecordedResource) => `${a.inputs.comparisonOperator === "LessThanThreshold" ? "<" : ">"} ${a.inputs.threshold}`;

/** Health checks, failover records, alert topics and alarms, as the plan declares them (default: alarms grouped by metric). */
export function detectionSection(result: PlanResult, options: RenderOptions = { details: false }): string {
    const rs = result.resources;
    const checks = ofType(rs, "aws:route53/healthCheck:HealthCheck");
    const records = ofType(rs, "aws:route53/record:Record").filter((r) => r.inputs.failoverRoutingPolicies);
    if (checks.length === 0 && records.length === 0) return "";
    const checkers = [...new Set(checks.map((c) => (c.inputs.regions as string[]).join(",")))];
    let out = `\nHealth checks (Route 53${checkers.length === 1 ? `; checkers in ${checkers[0]}` : ""})\n`;
    out += table([
        ["check", "probe", "latency", ...(checkers.length === 1 ? [] : ["checker regions"]), "endpoint"],
        ...checks.map((c) => [
            c.name,
            `${c.inputs.type} ${c.inputs.resourcePath ?? ""} every ${c.inputs.requestInterval}s, ${plural(Number(c.inputs.failureThreshold), "failure")}`.replace("  ", " "),
            c.inputs.measureLatency ? "measured" : "-",
            ...(checkers.length === 1 ? [] : [(c.inputs.regions as string[]).join(",")]),
            String(c.inputs.fqdn),
        ]),
    ]);
    const checkById = new Map(checks.map((c) => [`${c.name}-id`, c.name]));
    out += `\nFailover records\n`;
    out += table([
        ["hostname", "role", "type", "ttl", "target", "health check"],
        ...records.map((r) => [
            String(r.inputs.name),
            String(r.inputs.failoverRoutingPolicies[0].type),
            String(r.inputs.type),
            `${r.inputs.ttl}s`,
            (r.inputs.records as string[]).join(","),
            checkById.get(String(r.inputs.healthCheckId)) ?? String(r.inputs.healthCheckId),
        ]),
    ]);
    const topics = ofType(rs, "aws:sns/topic:Topic");
    const subs = ofType(rs, "aws:sns/topicSubscription:TopicSubscription");
    const alarms = ofType(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const topicNames = [...new Set(topics.map((t) => String(t.inputs.name ?? t.name)))];
    out += `\nAlarms (${alarms.length}); alert topic${topicNames.length === 1 ? "" : "s"} ${topicNames.join(", ")} in ${topics.map((t) => t.region).join(", ")} (${plural(subs.length, "subscription")})\n`;
    if (options.details) {
        out += table([
            ["region", "alarm", "metric", "threshold", "window", "missing data"],
            ...alarms.map((a) => [
                a.region ?? "?",
                alarmName(a),
                alarmMetric(a),
                threshold(a),
                a.inputs.period === undefined ? `${a.inputs.evaluationPeriods}x(query periods)` : `${a.inputs.evaluationPeriods}x${a.inputs.period}s`,
                String(a.inputs.treatMissingData),
            ]),
        ]);
        return out;
    }
    const byMetric = new Map<string, RecordedResource[]>();
    for (const a of alarms) {
        const metric = alarmMetric(a);
        byMetric.set(metric, [...(byMetric.get(metric) ?? []), a]);
    }
    const distinct = (xs: string[]) => [...new Set(xs)].join(", ");
    out += table([
        ["metric", "alarms", "region", "threshold", "missing data  (--details: each alarm by name)"],
        ...[...byMetric].map(([metric, as]) => [
            metric,
            String(as.length),
            distinct(as.map((a) => a.region ?? "?")),
            distinct([...as].sort((a, b) => Number(a.inputs.threshold) - Number(b.inputs.threshold)).map(threshold)),
            distinct(as.map((a) => String(a.inputs.treatMissingData))),
        ]),
    ]);
    return out;
}

/**
 * What an alarm watches: `<namespace> <metric>`, or for a metric-math alarm (no metric of its
 * own, `metricQueries` instead) the namespaces and metrics its queries read.
 */
function alarmMetric(a: RecordedResource): string {
    if (a.inputs.metricName !== undefined) return `${a.inputs.namespace} ${a.inputs.metricName}`;
    const queries = Array.isArray(a.inputs.metricQueries) ? (a.inputs.metricQueries as any[]) : [];
    const read = [...new Set(queries.filter((q) => q?.metric).map((q) => `${q.metric.namespace} ${q.metric.metricName}`))];
    return `metric math over ${read.length > 0 ? read.join(", ") : "its queries"}`;
}

export interface ModeSummary {
    readonly mode: DrModeName;
    readonly plan: DrPlan;
    readonly steps: Readonly<Record<string, StepResult>>;
    readonly resourceCount: number;
    readonly byType: Readonly<Record<string, number>>;
}

export function summarizeMode(mode: DrModeName, result: PlanResult): ModeSummary {
    const custom = result.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:"));
    const byType: Record<string, number> = {};
    for (const r of custom) byType[r.type] = (byType[r.type] ?? 0) + 1;
    return {
        mode,
        plan: result.outputs.plan as DrPlan,
        steps: result.outputs.steps as Record<string, StepResult>,
        resourceCount: custom.length,
        byType,
    };
}

/** Evaluates a DR stack in every mode; `evaluate` is tools/evaluate.ts's evaluateStack. */
export async function evaluateModes(
    stack: string,
    base: PlanResult,
    evaluate: (stack: string, options?: EvaluateOptions) => Promise<PlanResult>,
): Promise<Record<DrModeName, PlanResult>> {
    const out = {} as Record<DrModeName, PlanResult>;
    for (const v of modeVariants(base.config)) {
        out[v.name] = v.name === base.outputs.mode ? base : await evaluate(stack, { configOverrides: { "fortress-dr:dr": JSON.stringify(v.dr) } });
    }
    return out;
}

function databaseSource(s: ModeSummary): string {
    const db = s.plan.database;
    const source = db.source.kind === "stream" ? "stream from primary (fallback repo2)" : `${db.source.repo} (${db.source.tier})${db.source.targetTime ? ` to ${db.source.targetTime}` : ""}`;
    return `${db.standby ? "standby" : "promoted"}, ${source}`;
}

/** What a DR stack declares in each mode: a line per mode, then the steps of the mode shown (`--details`: of every mode). */
export function renderModes(stack: string, results: Record<DrModeName, PlanResult>, shown: DrModeName, options: RenderOptions = { details: false }): string {
    let out = `\nDR modes: what stack ${stack} declares in each (only dr.mode / dr.promote / dr.restoreFrom changed; --mode= picks the one shown)\n`;
    const summaries = DR_MODES.map((m) => summarizeMode(m, results[m]));
    out += table([
        ["mode", "resources", "database", "Redis from", "traffic"],
        ...summaries.map((s) => [
            `${s.mode}${s.mode === shown ? " *" : ""}`,
            String(s.resourceCount),
            databaseSource(s),
            s.plan.redis.restoreFrom,
            s.plan.serving ? "DR serves traffic" : "DR warm, not serving",
        ]),
    ]);
    for (const s of summaries) {
        if (!options.details && s.mode !== shown) continue;
        out += `\n  Steps in ${s.mode}${s.mode === shown ? " (* the mode shown)" : ""}\n`;
        out += table([["step", "status", "detail"], ...Object.entries(s.steps).map(([name, r]) => [name, r.status, r.detail])], "    ");
    }
    return out;
}

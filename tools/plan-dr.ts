/**
 * The plan's detection section (primary stacks) and, for a DR stack, what each mode declares:
 * the stack is evaluated once per mode (pilot-light, rebuild, promote) with only `dr` changed.
 */
import type { StepResult } from "../stacks/dr";
import { modeVariants, DrModeName, DrPlan } from "../stacks/steps/dr-mode";
import type { EvaluateOptions, PlanResult, PlannedResource } from "./evaluate";

export const DR_MODES: readonly DrModeName[] = ["pilot-light", "rebuild", "promote"];

function table(rows: string[][], indent = "  "): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}

const ofType = (rs: readonly PlannedResource[], type: string) => rs.filter((r) => r.type === type);

/** Health checks, failover records, alert topics and alarms, as the plan declares them. */
export function detectionSection(result: PlanResult): string {
    const rs = result.resources;
    const checks = ofType(rs, "aws:route53/healthCheck:HealthCheck");
    const records = ofType(rs, "aws:route53/record:Record").filter((r) => r.inputs.failoverRoutingPolicies);
    if (checks.length === 0 && records.length === 0) return "";
    let out = `\nHealth checks (Route 53)\n`;
    out += table([
        ["check", "endpoint", "type", "path", "interval", "threshold", "checker regions", "latency"],
        ...checks.map((c) => [
            c.name,
            String(c.inputs.fqdn),
            String(c.inputs.type),
            String(c.inputs.resourcePath),
            `${c.inputs.requestInterval}s`,
            String(c.inputs.failureThreshold),
            (c.inputs.regions as string[]).join(","),
            c.inputs.measureLatency ? "measured" : "-",
        ]),
    ]);
    const checkByUrn = new Map(checks.map((c) => [`${c.name}-id`, c.name]));
    out += `\nFailover records\n`;
    out += table([
        ["hostname", "role", "type", "ttl", "target", "health check"],
        ...records.map((r) => [
            String(r.inputs.name),
            String(r.inputs.failoverRoutingPolicies[0].type),
            String(r.inputs.type),
            `${r.inputs.ttl}s`,
            (r.inputs.records as string[]).join(","),
            checkByUrn.get(String(r.inputs.healthCheckId)) ?? String(r.inputs.healthCheckId),
        ]),
    ]);
    const topics = ofType(rs, "aws:sns/topic:Topic");
    const subs = ofType(rs, "aws:sns/topicSubscription:TopicSubscription");
    const alarms = ofType(rs, "aws:cloudwatch/metricAlarm:MetricAlarm");
    out += `\nAlarms (${alarms.length}) and alert topics (${topics.length}, ${subs.length} subscription${subs.length === 1 ? "" : "s"})\n`;
    out += table([
        ["region", "alarm", "metric", "threshold", "window", "missing data"],
        ...alarms.map((a) => [
            a.region ?? "?",
            String(a.inputs.name),
            `${a.inputs.namespace} ${a.inputs.metricName}`,
            `${a.inputs.comparisonOperator === "LessThanThreshold" ? "<" : ">"} ${a.inputs.threshold}`,
            `${a.inputs.evaluationPeriods}x${a.inputs.period}s`,
            String(a.inputs.treatMissingData),
        ]),
    ]);
    for (const t of topics) out += `  topic ${t.inputs.name} in ${t.region}\n`;
    return out;
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

export function renderModes(stack: string, results: Record<DrModeName, PlanResult>): string {
    let out = `\nDR modes: what stack ${stack} declares in each (only dr.mode / dr.promote / dr.restoreFrom changed)\n`;
    for (const mode of DR_MODES) {
        const s = summarizeMode(mode, results[mode]);
        const db = s.plan.database;
        const source = db.source.kind === "stream" ? "stream from primary (fallback repo2)" : `${db.source.repo} (${db.source.tier})${db.source.targetTime ? ` to ${db.source.targetTime}` : ""}`;
        out += `\n  ${mode}: ${s.resourceCount} resources; database ${db.standby ? "standby" : "promoted"} from ${source}; Redis from ${s.plan.redis.restoreFrom}; ${s.plan.serving ? "DR serves traffic" : "DR warm, not serving"}\n`;
        out += table(
            [["step", "status", "detail"], ...Object.entries(s.steps).map(([name, r]) => [name, r.status, r.detail])],
            "    ",
        );
    }
    return out;
}

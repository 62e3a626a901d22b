/**
 * The DR dashboard of an environment: one CloudWatch dashboard in the monitoring region (the
 * DR region) with the backup age per tier and data class, S3 replication latency, the Route 53
 * health checks, the DR standby's replay lag, the Redis replica lag, the backup verification
 * results, and the backup SLO figures.
 *
 * The body is built from the very alarm definitions the stack declares (same namespace,
 * metric, dimensions and region), so a graph cannot watch a metric nobody publishes while the
 * alarm watches another; each graph carries its alarm's threshold as a line. The SLO figures
 * read the metrics jobs/lib/slo-run.sh and the rollup publish (components/detection/slo.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmSpec } from "./metrics";
import { BACKUP_SLO_NAMESPACE, MathAlarmSpec, SLO_RUN_METRICS, SloTargets } from "./slo";

/** An alarm definition with its dimensions resolved and the region its metric lives in. */
export interface DashboardAlarm extends Omit<AlarmSpec, "dimensions"> {
    readonly dimensions: Readonly<Record<string, string>>;
    readonly region: string;
}

export interface DashboardInput {
    /** Shown in the header, e.g. "prod". */
    readonly environment: string;
    /** Where the dashboard lives: the monitoring (DR) region. */
    readonly region: string;
    readonly alarms: readonly DashboardAlarm[];
    readonly slo: { readonly alarms: readonly MathAlarmSpec[]; readonly targets: SloTargets };
}

interface Widget {
    type: "metric" | "text";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: Record<string, unknown>;
}

/** What each graph shows, by metric; the order is the dashboard's. */
const SECTIONS: readonly { readonly title: string; readonly match: (a: DashboardAlarm) => boolean; readonly splitBy?: string; readonly unit?: string }[] = [
    { title: "Backup age", match: (a) => a.metricName === "NewestBackupAgeSeconds", splitBy: "DataClass", unit: "s" },
    { title: "S3 replication latency", match: (a) => a.metricName === "ReplicationLatency", unit: "s" },
    { title: "S3 failed replication operations", match: (a) => a.metricName === "OperationsFailedReplication" },
    { title: "Route 53 health checks (1 = healthy)", match: (a) => a.metricName === "HealthCheckStatus" },
    { title: "DR standby replay lag", match: (a) => a.metricName === "StandbyReplayLagSeconds", unit: "s" },
    { title: "Redis replica lag", match: (a) => a.metricName === "ReplicaLagSeconds", unit: "s" },
    { title: "Backup verification (1 = passed)", match: (a) => a.namespace === "Fortress/Postgres" },
];

function metricLine(a: DashboardAlarm, label: string): unknown[] {
    const dims = Object.entries(a.dimensions).flat();
    return [a.namespace, a.metricName, ...dims, { label, stat: a.statistic, period: a.periodSeconds }];
}

/** The label of a series: the dimension values that differ within the graph. */
function labelOf(a: DashboardAlarm, all: readonly DashboardAlarm[], splitBy?: string): string {
    const keys = Object.keys(a.dimensions).filter((k) => k !== splitBy && new Set(all.map((x) => x.dimensions[k])).size > 1);
    return keys.length ? keys.map((k) => a.dimensions[k]).join(" ") : a.name;
}

function metricWidgets(input: DashboardInput): Omit<Widget, "x" | "y" | "width" | "height">[] {
    const widgets: Omit<Widget, "x" | "y" | "width" | "height">[] = [];
    const used = new Set<DashboardAlarm>();
    for (const s of SECTIONS) {
        const matched = input.alarms.filter(s.match);
        matched.forEach((a) => used.add(a));
        // One graph per split value and per region (a widget reads one region).
        const groups = new Map<string, DashboardAlarm[]>();
        for (const a of matched) {
            const key = `${s.splitBy ? a.dimensions[s.splitBy] : ""}|${a.region}`;
            groups.set(key, [...(groups.get(key) ?? []), a]);
        }
        for (const [key, alarms] of groups) {
            const [split, region] = key.split("|");
            const thresholds = [...new Map(alarms.map((a) => [a.threshold, a])).values()];
            widgets.push({
                type: "metric",
                properties: {
                    title: `${s.title}${split ? ` — ${split}` : ""}${s.unit ? ` (${s.unit})` : ""}${region !== input.region ? ` [${region}]` : ""}`,
                    region,
                    view: "timeSeries",
                    stacked: false,
                    metrics: alarms.map((a) => metricLine(a, labelOf(a, alarms, s.splitBy))),
                    annotations: {
                        horizontal: thresholds.map((a) => ({
                            label: thresholds.length > 1 ? `alarm ${labelOf(a, alarms, s.splitBy)} > ${a.threshold}` : `alarm ${a.comparison === "LessThanThreshold" ? "<" : ">"} ${a.threshold}`,
                            value: a.threshold,
                        })),
                    },
                    yAxis: { left: { min: 0 } },
                },
            });
        }
    }
    // Any other alarm still gets its graph: the dashboard shows everything that can page.
    for (const a of input.alarms.filter((x) => !used.has(x))) {
        widgets.push({
            type: "metric",
            properties: {
                title: `${a.name}${a.region !== input.region ? ` [${a.region}]` : ""}`,
                region: a.region,
                view: "timeSeries",
                metrics: [metricLine(a, a.name)],
                annotations: { horizontal: [{ label: `alarm ${a.threshold}`, value: a.threshold }] },
            },
        });
    }
    return widgets;
}

function sloWidgets(input: DashboardInput): Omit<Widget, "x" | "y" | "width" | "height">[] {
    const figures: unknown[][] = [];
    input.slo.alarms.forEach((a, i) => {
        const ids = new Map(a.metrics.map((m) => [m.id, `s${i}${m.id}`]));
        figures.push([{ expression: a.expression.replace(/\b[a-z][A-Za-z0-9_]*\b/g, (id) => ids.get(id) ?? id), label: `${a.label} (target ${a.threshold})`, id: `slo${i}` }]);
        for (const m of a.metrics) {
            figures.push([m.namespace, m.metricName, ...Object.entries(m.dimensions).flat(), { id: ids.get(m.id), stat: m.stat, period: m.periodSeconds, visible: false }]);
        }
    });
    const search = (metric: string, stat: string) => `SEARCH('{${BACKUP_SLO_NAMESPACE},DataClass,Purpose,Tier} MetricName="${metric}"', '${stat}', 86400)`;
    return [
        {
            type: "metric",
            properties: { title: `Backup SLOs over ${input.slo.targets.windowDays} days (%)`, region: input.region, view: "singleValue", metrics: figures, period: 86_400 },
        },
        {
            type: "metric",
            properties: {
                title: "Job runs per day: all, failed, outside their window",
                region: input.region,
                view: "timeSeries",
                metrics: [
                    [{ expression: `SUM(${search(SLO_RUN_METRICS.runs, "Sum")})`, label: "runs", id: "runs" }],
                    [{ expression: `SUM(${search(SLO_RUN_METRICS.runs, "Sum")}) - SUM(${search(SLO_RUN_METRICS.succeeded, "Sum")})`, label: "failed", id: "failed" }],
                    [{ expression: `SUM(${search(SLO_RUN_METRICS.succeeded, "Sum")}) - SUM(${search(SLO_RUN_METRICS.withinWindow, "Sum")})`, label: "succeeded outside the window", id: "late" }],
                ],
                period: 86_400,
                yAxis: { left: { min: 0 } },
            },
        },
        {
            type: "metric",
            properties: {
                title: "Job duration, longest per data class, tier and purpose (s)",
                region: input.region,
                view: "timeSeries",
                metrics: [[{ expression: search(SLO_RUN_METRICS.duration, "Maximum"), label: "", id: "duration" }]],
                period: 3600,
                yAxis: { left: { min: 0 } },
            },
        },
    ];
}

/** The dashboard body (the `dashboardBody` JSON of aws.cloudwatch.Dashboard). */
export function dashboardBody(input: DashboardInput): { widgets: Widget[] } {
    const t = input.slo.targets;
    const header: Widget = {
        type: "text",
        x: 0,
        y: 0,
        width: 24,
        height: 2,
        properties: {
            markdown:
                `# Fortress DR — ${input.environment}\n` +
                `Backups, replication, failover health, standby and Redis lag, verification, and the backup SLOs (completion ≥ ${t.backupCompletionPercent} %, window adherence ≥ ${t.windowAdherencePercent} %, verification ${t.verifySuccessPercent} %, recovery tests ≥ ${t.recoverySuccessPercent} % over ${t.windowDays} days). Lines on a graph are its alarm's threshold.`,
        },
    };
    const body = [...sloWidgets(input), ...metricWidgets(input)];
    const widgets: Widget[] = [header];
    body.forEach((w, i) => widgets.push({ ...w, x: (i % 2) * 12, y: 2 + Math.floor(i / 2) * 6, width: 12, height: 6 } as Widget));
    return { widgets };
}

/** CloudWatch's limits on a dashboard body. */
export function validateDashboard(name: string, body: { widgets: Widget[] }): void {
    const problems: string[] = [];
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) problems.push(`dashboardName "${name}": use letters, digits, "-" and "_" only`);
    if (body.widgets.length > 500) problems.push(`${body.widgets.length} widgets; a dashboard holds at most 500`);
    for (const w of body.widgets) {
        const metrics = (w.properties.metrics as unknown[] | undefined) ?? [];
        if (metrics.length > 500) problems.push(`widget "${w.properties.title}": ${metrics.length} metrics; at most 500`);
    }
    const size = JSON.stringify(body).length;
    if (size > 1_000_000) problems.push(`body of ${size} bytes; CloudWatch takes at most 1 MB`);
    if (problems.length) throw new Error(`DrDashboard ${name}:\n  - ${problems.join("\n  - ")}`);
}

export interface DrDashboardArgs {
    /** Dashboard name, unique in the account and region, e.g. "fortress-prod-dr". */
    readonly dashboardName: string;
    readonly environment: string;
    /** The monitoring region; the provider of this component must be of that region. */
    readonly region: string;
    /** The single-metric alarms the stack declares, with the region of each. */
    readonly alarms: readonly (AlarmSpec & { readonly region: string })[];
    readonly slo: DashboardInput["slo"];
}

/** One CloudWatch dashboard per environment, in the DR region. */
export class DrDashboard extends pulumi.ComponentResource {
    public readonly dashboardArn: pulumi.Output<string>;

    constructor(name: string, args: DrDashboardArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:DrDashboard", name, {}, opts);
        // Checked before anything is declared, with each output dimension standing in by its name.
        const placeholder = args.alarms.map((a) => ({ ...a, dimensions: Object.fromEntries(Object.keys(a.dimensions).map((k) => [k, k])) }));
        validateDashboard(args.dashboardName, dashboardBody({ environment: args.environment, region: args.region, alarms: placeholder, slo: args.slo }));
        // Health-check ids are outputs: resolve every dimension, then build the body.
        const alarms = pulumi.all(args.alarms.map((a) => pulumi.all(a.dimensions as Record<string, pulumi.Input<string>>).apply((dimensions) => ({ ...a, dimensions }) as DashboardAlarm)));
        const body = alarms.apply((resolved) => {
            return JSON.stringify(dashboardBody({ environment: args.environment, region: args.region, alarms: resolved, slo: args.slo }));
        });
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: args.dashboardName, dashboardBody: body }, { parent: this });
        this.dashboardArn = dashboard.dashboardArn;
        this.registerOutputs({ dashboardArn: this.dashboardArn });
    }
}

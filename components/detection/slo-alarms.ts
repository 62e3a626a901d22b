import * as pulumi from "@pulumi/pulumi";
import { AlarmDestination, declareAlarms, duplicateAlarmNames } from "./alarm-set";
import { MathAlarmSpec } from "./slo";

/** AlarmDestination: the topic is the monitoring region's, where the SLO metrics are. */
export interface SloAlarmsArgs extends AlarmDestination {
    /** The metric-math alarms (components/detection/slo.ts sloAlarms). */
    readonly alarms: readonly MathAlarmSpec[];
}

/** Checks the expressions' metric ids and CloudWatch's limits; throws naming the alarm and field. */
export function validateMathAlarms(name: string, alarms: readonly MathAlarmSpec[]): void {
    const problems = duplicateAlarmNames(alarms);
    for (const a of alarms) {
        const ids = a.metrics.map((m) => m.id);
        for (const id of a.expression.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? []) {
            if (!ids.includes(id)) problems.push(`${a.name}.expression: "${id}" is not one of its metrics (${ids.join(", ")})`);
        }
        for (const m of a.metrics) {
            if (!/^[a-z][A-Za-z0-9_]*$/.test(m.id)) problems.push(`${a.name}.metrics.${m.id}: an id starts with a lower-case letter`);
            if (m.periodSeconds % 60 !== 0) problems.push(`${a.name}.metrics.${m.id}.periodSeconds: ${m.periodSeconds}; use a multiple of 60`);
            // CloudWatch: period × evaluation periods at most 7 days (one day under an hour's period).
            const limit = m.periodSeconds >= 3600 ? 604_800 : 86_400;
            if (m.periodSeconds * a.evaluationPeriods > limit) problems.push(`${a.name}: ${m.periodSeconds} s × ${a.evaluationPeriods} periods exceeds CloudWatch's ${limit} s`);
        }
    }
    if (problems.length > 0) throw new Error(`SloAlarms ${name}:\n  - ${problems.join("\n  - ")}`);
}

/**
 * The backup SLO alarms: CloudWatch metric-math alarms over the rollup's sums (completion
 * rate, window adherence, verification and recovery success), each telling the region's topic.
 */
export class SloAlarms extends pulumi.ComponentResource {
    public readonly alarmArns: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: SloAlarmsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:SloAlarms", name, {}, opts);
        validateMathAlarms(name, args.alarms);
        const arns = declareAlarms(this, name, args, (a) => ({
            metricQueries: [
                { id: "rate", expression: a.expression, label: a.label, returnData: true },
                ...a.metrics.map((m) => ({
                    id: m.id,
                    returnData: false,
                    metric: { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, period: m.periodSeconds, stat: m.stat },
                })),
            ],
        }));
        this.alarmArns = arns;
        this.registerOutputs({ alarmArns: this.alarmArns });
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmName } from "./metrics";
import { MathAlarmSpec } from "./slo";

export interface SloAlarmsArgs {
    /** The metric-math alarms (components/detection/slo.ts sloAlarms). */
    readonly alarms: readonly MathAlarmSpec[];
    /** Prefix of every alarm name, e.g. "fortress-prod". */
    readonly namePrefix: string;
    /** SNS topic of the alarms' region (the monitoring region, where the SLO metrics are). */
    readonly topicArn: pulumi.Input<string>;
}

/** Checks the expressions' metric ids and CloudWatch's limits; throws naming the alarm and field. */
export function validateMathAlarms(name: string, alarms: readonly MathAlarmSpec[]): void {
    const problems: string[] = [];
    const names = alarms.map((a) => a.name);
    names.forEach((n, i) => names.indexOf(n) !== i && problems.push(`${n}: declared twice; alarm names must be unique`));
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
        const arns: Record<string, pulumi.Output<string>> = {};
        for (const a of args.alarms) {
            arns[a.name] = new aws.cloudwatch.MetricAlarm(
                `${name}-${a.name}`,
                {
                    name: alarmName(args.namePrefix, a),
                    alarmDescription: a.description,
                    comparisonOperator: a.comparison,
                    threshold: a.threshold,
                    evaluationPeriods: a.evaluationPeriods,
                    datapointsToAlarm: a.evaluationPeriods,
                    treatMissingData: a.treatMissingData,
                    metricQueries: [
                        { id: "rate", expression: a.expression, label: a.label, returnData: true },
                        ...a.metrics.map((m) => ({
                            id: m.id,
                            returnData: false,
                            metric: { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, period: m.periodSeconds, stat: m.stat },
                        })),
                    ],
                    alarmActions: [args.topicArn],
                    okActions: [args.topicArn],
                },
                { parent: this },
            ).arn;
        }
        this.alarmArns = arns;
        this.registerOutputs({ alarmArns: this.alarmArns });
    }
}

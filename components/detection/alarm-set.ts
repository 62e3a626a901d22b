import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmSpec, MAX_ALARM_WINDOW_SECONDS, alarmName } from "./metrics";

/** Where a set of alarms goes: their name prefix and the topic of their region. */
export interface AlarmDestination {
    /** Prefix of every alarm name, e.g. "fortress-prod". */
    readonly namePrefix: string;
    /** SNS topic of the alarms' region: told on ALARM and on OK. */
    readonly topicArn: pulumi.Input<string>;
}

export interface AlarmSetArgs extends AlarmDestination {
    /** The alarms of one region; their metrics must be published in the provider's region. */
    readonly alarms: readonly AlarmSpec[];
}

/** What every alarm spec (a metric alarm or a metric-math alarm) has. */
type CommonAlarmSpec = Pick<AlarmSpec, "name" | "description" | "evaluationPeriods" | "threshold" | "comparison" | "treatMissingData">;

/** "declared twice" for each alarm name that is not unique. */
export function duplicateAlarmNames(alarms: readonly Pick<AlarmSpec, "name">[]): string[] {
    const names = alarms.map((a) => a.name);
    return names.flatMap((n, i) => (names.indexOf(n) !== i ? [`${n}: declared twice; alarm names must be unique`] : []));
}

/**
 * A CloudWatch alarm `<name>-<alarm>` per spec under `parent`, named with the prefix, firing
 * after every evaluation period breaches and telling the topic on ALARM and on OK; `what`
 * gives each alarm's metric (a metric alarm's fields, or metric-math queries). The ARNs by alarm name.
 */
export function declareAlarms<A extends CommonAlarmSpec>(
    parent: pulumi.Resource,
    name: string,
    args: AlarmDestination & { readonly alarms: readonly A[] },
    what: (a: A) => Partial<aws.cloudwatch.MetricAlarmArgs>,
): Record<string, pulumi.Output<string>> {
    const arns: Record<string, pulumi.Output<string>> = {};
    for (const a of args.alarms) {
        arns[a.name] = new aws.cloudwatch.MetricAlarm(
            `${name}-${a.name}`,
            {
                name: alarmName(args.namePrefix, a),
                alarmDescription: a.description,
                ...what(a),
                evaluationPeriods: a.evaluationPeriods,
                datapointsToAlarm: a.evaluationPeriods,
                threshold: a.threshold,
                comparisonOperator: a.comparison,
                treatMissingData: a.treatMissingData,
                alarmActions: [args.topicArn],
                okActions: [args.topicArn],
            },
            { parent },
        ).arn;
    }
    return arns;
}

/** Checks the alarm definitions against CloudWatch's limits; throws naming the alarm and field. */
export function validateAlarms(name: string, alarms: readonly AlarmSpec[]): void {
    const problems = duplicateAlarmNames(alarms);
    for (const a of alarms) {
        const p = a.periodSeconds;
        if (!(p === 10 || p === 30 || (p >= 60 && p % 60 === 0))) problems.push(`${a.name}.periodSeconds: ${p}; CloudWatch takes 10, 30 or a multiple of 60`);
        if (p * a.evaluationPeriods > MAX_ALARM_WINDOW_SECONDS) {
            problems.push(`${a.name}: periodSeconds × evaluationPeriods = ${p * a.evaluationPeriods} s exceeds CloudWatch's one-day limit`);
        }
        if (Object.keys(a.dimensions).length === 0) problems.push(`${a.name}.dimensions: empty; an alarm without dimensions watches nothing Fortress publishes`);
    }
    if (problems.length > 0) throw new Error(`AlarmSet ${name}:\n  - ${problems.join("\n  - ")}`);
}

/** CloudWatch metric alarms of one region, each telling the region's alert topic. */
export class AlarmSet extends pulumi.ComponentResource {
    public readonly alarmArns: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: AlarmSetArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:AlarmSet", name, {}, opts);
        validateAlarms(name, args.alarms);
        const arns = declareAlarms(this, name, args, (a) => ({
            namespace: a.namespace,
            metricName: a.metricName,
            dimensions: { ...a.dimensions },
            statistic: a.statistic,
            period: a.periodSeconds,
        }));
        this.alarmArns = arns;
        this.registerOutputs({ alarmArns: this.alarmArns });
    }
}

/**
 * The backup SLO runs of `fortress backup` and `fortress dr-test`: the same metrics, dimensions
 * and units as the jobs' wrapper (jobs/lib/slo-run.sh → s3.py publish_run), from the one set of
 * constants the alarms and the dashboard read (components/detection/slo.ts), sent through the
 * driver's MetricsSink: CloudWatch in the stack's DR (monitoring) region on the platform, moto
 * on 127.0.0.1 in the lab.
 *
 * A run publishes once its outcome is final (after the audit record), whatever the outcome —
 * a failed backup or drill publishes Succeeded=0 before the command exits non-zero. Not
 * published: dry runs, usage errors and refusals (nothing was attempted; a second process
 * holding the run publishes its own). A publish that fails never changes the outcome: a
 * verified backup stays verified; the run prints a WARNING line and the JSON document's
 * `sloMetrics.error` says what failed (the SLO then misses a run, which the rollup and the
 * weekly audit show as a gap rather than as a failure).
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { BACKUP_SLO_NAMESPACE, SloRun, sloRunDatums } from "../components/detection/slo";
import type { DataClassLabel } from "../components/core/names";
import { untilDeadline } from "./drivers/types";
import type { DataClass, MetricDatum, MetricsSink, Wait } from "./drivers/types";
import type { Json, StepRecord } from "./runner";

/** The CLI's data class → the DataClass dimension the jobs publish (the tier config's names). */
export const SLO_DATA_CLASS: Readonly<Record<DataClass, DataClassLabel>> = Object.freeze({ database: "database", cache: "redis", configuration: "configuration", secrets: "secrets" });

/** CloudWatch through AWS SDK v3. */
export class CloudWatchMetricsSink implements MetricsSink {
    private readonly client: CloudWatchClient;
    readonly describe: string;

    constructor(o: { readonly region: string; readonly endpoint?: string; readonly credentials?: { accessKeyId: string; secretAccessKey: string } }) {
        this.client = new CloudWatchClient({ region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}), ...(o.credentials ? { credentials: o.credentials } : {}), maxAttempts: 3 });
        this.describe = `CloudWatch ${o.region}${o.endpoint ? ` at ${o.endpoint}` : ""}`;
    }

    async putMetricData(namespace: string, data: readonly MetricDatum[], wait: Wait): Promise<void> {
        const now = new Date();
        // PutMetricData takes at most 1000 datapoints per call.
        for (let i = 0; i < data.length; i += 1000) {
            await this.client.send(
                new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 1000).map((d) => ({ MetricName: d.MetricName, Dimensions: d.Dimensions.map((x) => ({ ...x })), Value: d.Value, Unit: d.Unit, Timestamp: now })) }),
                untilDeadline(wait),
            );
        }
    }

    destroy(): void {
        this.client.destroy();
    }
}

/** Whether every one of `ids` was verified (in this attempt or an earlier one of the same run). */
export function stepsVerified(records: readonly StepRecord[], ids: readonly string[]): boolean {
    return ids.every((id) => {
        const r = records.find((x) => x.id === id);
        return r !== undefined && (r.status === "verified" || r.status === "verified-earlier");
    });
}

/** Seconds this attempt spent in `ids`, and their combined budget (the run's window). */
export function stepsTime(records: readonly StepRecord[], ids: readonly string[]): { seconds: number; budgetSeconds: number } {
    const mine = records.filter((r) => ids.includes(r.id));
    return { seconds: Math.round(mine.reduce((t, r) => t + (r.seconds ?? 0), 0) * 1000) / 1000, budgetSeconds: mine.reduce((t, r) => t + r.budgetSeconds, 0) };
}

/** What the run document says about the publish (`sloMetrics`). */
export interface SloPublishReport {
    readonly namespace: string;
    readonly sink: string | null;
    readonly published: boolean;
    readonly runs: { dataClass: string; tier: string; purpose: string; succeeded: number; withinWindow: number; durationSeconds: number; windowSeconds: number }[];
    readonly error?: string;
}

/** Publishes the runs; never throws — a failure is in the report's `error`. */
export async function publishSloRuns(runs: readonly SloRun[], sink: MetricsSink | undefined, why: string | undefined, wait: Wait): Promise<SloPublishReport> {
    const data = runs.flatMap(sloRunDatums);
    const report = {
        namespace: BACKUP_SLO_NAMESPACE,
        sink: sink?.describe ?? null,
        runs: runs.map((r) => ({
            dataClass: r.dataClass,
            tier: r.tier,
            purpose: r.purpose,
            succeeded: r.succeeded ? 1 : 0,
            withinWindow: r.succeeded && r.durationSeconds <= r.windowSeconds ? 1 : 0,
            durationSeconds: r.durationSeconds,
            windowSeconds: r.windowSeconds,
        })),
    };
    if (!sink) return { ...report, published: false, error: why ?? "the driver has no metrics sink" };
    try {
        await sink.putMetricData(BACKUP_SLO_NAMESPACE, data, wait);
        return { ...report, published: true };
    } catch (e) {
        const err = e as Error & { name?: string };
        return { ...report, published: false, error: `PutMetricData to ${sink.describe} failed: ${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}` };
    }
}

/** The report as JSON for the run document. */
export const reportJson = (r: SloPublishReport): Json => JSON.parse(JSON.stringify(r)) as Json;

/**
 * What the alarms watch: the metric contract between Fortress DR's alarms and whoever publishes
 * each metric, and the pure rules that turn the stack config into alarm definitions.
 *
 * Where each alarm lives is forced by where AWS publishes its metric, because a CloudWatch
 * alarm only sees metrics of its own region and only notifies an SNS topic of its own region:
 * - Route 53 health-check metrics exist only in us-east-1;
 * - S3 `ReplicationLatency` is published in the destination bucket's region and
 *   `OperationsFailedReplication` in the source bucket's region;
 * - the metrics Fortress jobs publish go to the monitoring region, the DR region, so the
 *   alarms that watch the primary region do not share its fate (a silent primary shows up as
 *   missing data, which these alarms treat as breaching).
 */
import type * as pulumi from "@pulumi/pulumi";
import { maxIntervalSeconds } from "../core/cron";

/** Namespace and metric of the newest-backup age the backup jobs publish (jobs/lib/s3.py publish-age). */
export const BACKUP_AGE_METRIC = { namespace: "Fortress/Backups", metricName: "NewestBackupAgeSeconds" } as const;
/** The standby database's replay lag behind the primary, published from the DR region. */
export const STANDBY_LAG_METRIC = { namespace: "Fortress/Database", metricName: "StandbyReplayLagSeconds" } as const;
/** WAL the DR standby received and has not replayed yet, in bytes (published beside the seconds; no alarm). */
export const STANDBY_LAG_BYTES_METRIC = { namespace: STANDBY_LAG_METRIC.namespace, metricName: "StandbyReplayLagBytes" } as const;
/** The largest lag of any Redis replica behind its primary (INFO replication `lag`). */
export const REDIS_REPLICA_LAG_METRIC = { namespace: "Fortress/Redis", metricName: "ReplicaLagSeconds" } as const;

/** Where an alarm lives, by the role of the region. */
export type AlarmHome = "route53" | "primary" | "dr";

export interface AlarmSpec {
    /** Short name, unique within a stack; the CloudWatch alarm name is `<prefix>-<name>`. */
    readonly name: string;
    readonly home: AlarmHome;
    readonly description: string;
    readonly namespace: string;
    readonly metricName: string;
    /** Exactly the dimensions the publisher sends: CloudWatch matches the whole set. */
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly statistic: "Minimum" | "Maximum" | "Sum" | "Average";
    readonly periodSeconds: number;
    readonly evaluationPeriods: number;
    readonly threshold: number;
    readonly comparison: "GreaterThanThreshold" | "LessThanThreshold";
    readonly treatMissingData: "breaching" | "notBreaching" | "missing";
}

/** CloudWatch: period × evaluation periods of a metric alarm may not exceed one day. */
export const MAX_ALARM_WINDOW_SECONDS = 86_400;

/** The alarms' own names must be unique per region and account: the stack prefixes them. */
export function alarmName(prefix: string, spec: Pick<AlarmSpec, "name">): string {
    return `${prefix}-${spec.name}`;
}

/** A health check reports 1 (healthy) or 0; the alarm fires on any minute at 0. */
export function healthCheckAlarm(name: string, healthCheckId: pulumi.Input<string>, what: string): AlarmSpec {
    return {
        name,
        home: "route53",
        description: `Route 53 health check of ${what} is failing`,
        namespace: "AWS/Route53",
        metricName: "HealthCheckStatus",
        dimensions: { HealthCheckId: healthCheckId },
        statistic: "Minimum",
        periodSeconds: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparison: "LessThanThreshold",
        treatMissingData: "breaching",
    };
}

export interface ReplicationRule {
    readonly ruleId: string;
    readonly sourceBucket: string;
    readonly destinationBucket: string;
    /** Whether the destination is the DR region (latency metrics are published there). */
    readonly destinationIsDr: boolean;
}

/**
 * Replication of one rule: latency over the regional RPO (only where the latency metric is
 * published in the DR region) and any failed operation (published in the source region).
 */
export function replicationAlarms(rule: ReplicationRule, rpoSeconds: number): AlarmSpec[] {
    const dimensions = { SourceBucket: rule.sourceBucket, DestinationBucket: rule.destinationBucket, RuleId: rule.ruleId };
    const specs: AlarmSpec[] = [];
    if (rule.destinationIsDr) {
        specs.push({
            name: `replication-latency-${rule.ruleId}`,
            home: "dr",
            description: `S3 replication ${rule.ruleId} is more than ${rpoSeconds} s behind (what the regional RPO leaves for replication), or S3 stopped reporting it (source region silent)`,
            namespace: "AWS/S3",
            metricName: "ReplicationLatency",
            dimensions,
            statistic: "Maximum",
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: rpoSeconds,
            comparison: "GreaterThanThreshold",
            // S3 keeps publishing the latency while nothing replicates; silence means the source is gone.
            treatMissingData: "breaching",
        });
    }
    specs.push({
        name: `replication-failed-${rule.ruleId}`,
        home: "primary",
        description: `S3 replication ${rule.ruleId} failed to replicate objects`,
        namespace: "AWS/S3",
        metricName: "OperationsFailedReplication",
        dimensions,
        statistic: "Sum",
        periodSeconds: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparison: "GreaterThanThreshold",
        // Not published while nothing fails to replicate.
        treatMissingData: "notBreaching",
    });
    return specs;
}

type ScheduleDef = Readonly<Record<string, string | number | undefined>>;

/** The longest gap between two runs of a tier's most frequent schedule. */
export function worstGapSeconds(def: ScheduleDef): number {
    const crons = ["full", "differential", "incremental", "snapshot"]
        .map((k) => def[k])
        .filter((v): v is string => typeof v === "string");
    if (crons.length === 0) throw new Error(`a tier definition has no schedule (full, differential, incremental or snapshot): ${JSON.stringify(def)}`);
    return Math.min(...crons.map((c) => maxIntervalSeconds(c)));
}

/** Time a job may take beyond its interval before its backup counts as late. */
export function backupGraceSeconds(intervalSeconds: number): number {
    return Math.max(300, Math.ceil(intervalSeconds / 4));
}

const roundUpToMinute = (s: number) => Math.ceil(s / 60) * 60;

/**
 * One alarm per data class and tier on the newest-backup age. It fires when the newest backup
 * is older than one interval plus grace — at the latest when a second run in a row is missed —
 * and, where the window fits in CloudWatch's one-day limit, when no job reported at all for a
 * whole window (a stopped job or a silent primary region).
 */
export function backupAgeAlarms(tiers: Readonly<Record<string, Readonly<Record<string, ScheduleDef>>>>): AlarmSpec[] {
    const specs: AlarmSpec[] = [];
    for (const [dataClass, byTier] of Object.entries(tiers)) {
        for (const [tier, def] of Object.entries(byTier)) {
            const interval = worstGapSeconds(def);
            const threshold = interval + backupGraceSeconds(interval);
            const window = roundUpToMinute(threshold);
            const fits = window <= MAX_ALARM_WINDOW_SECONDS;
            specs.push({
                name: `backup-age-${dataClass}-${tier}`,
                home: "dr",
                description: `Newest ${dataClass} backup in ${tier} is older than ${threshold} s (schedule gap ${interval} s plus grace)${fits ? ", or no job reported for that long" : ""}`,
                ...BACKUP_AGE_METRIC,
                dimensions: { DataClass: dataClass, Tier: tier },
                statistic: "Maximum",
                periodSeconds: fits ? window : MAX_ALARM_WINDOW_SECONDS,
                evaluationPeriods: 1,
                threshold,
                comparison: "GreaterThanThreshold",
                // Longer than a day, silence is the normal state between two runs.
                treatMissingData: fits ? "breaching" : "notBreaching",
            });
        }
    }
    return specs;
}

/** Redis replicas of the primary region falling behind (DR plan: lag monitoring < 1 s). */
export function redisReplicaLagAlarm(cluster: string, maxLagSeconds: number): AlarmSpec {
    return {
        name: "redis-replica-lag",
        home: "dr",
        description: `A Redis replica of ${cluster} is more than ${maxLagSeconds} s behind its primary, or no lag was reported`,
        ...REDIS_REPLICA_LAG_METRIC,
        dimensions: { Cluster: cluster },
        statistic: "Maximum",
        periodSeconds: 60,
        evaluationPeriods: 3,
        threshold: maxLagSeconds,
        comparison: "GreaterThanThreshold",
        treatMissingData: "breaching",
    };
}

/** The DR standby's replay lag over the database RPO. Declared by the DR stack while it streams. */
export function standbyLagAlarm(cluster: string, rpoSeconds: number): AlarmSpec {
    return {
        name: "standby-replication-lag",
        home: "dr",
        description: `The DR standby ${cluster} replays more than ${rpoSeconds} s (the database RPO) behind the primary, or no lag was reported`,
        ...STANDBY_LAG_METRIC,
        dimensions: { Cluster: cluster },
        statistic: "Maximum",
        periodSeconds: 60,
        evaluationPeriods: 2,
        threshold: rpoSeconds,
        comparison: "GreaterThanThreshold",
        treatMissingData: "breaching",
    };
}

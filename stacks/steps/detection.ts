/**
 * Step: detection and alerting of the primary stack — Route 53 health checks and failover
 * records for every public hostname, the alert topics, and the alarms on health, replication,
 * backup age and Redis replica lag. Alarms live where AWS publishes their metric (see
 * components/detection/metrics.ts); everything Fortress publishes itself goes to the DR region.
 */
import * as aws from "@pulumi/aws";
import { maxIntervalSeconds } from "../../components/core/cron";
import * as pulumi from "@pulumi/pulumi";
import { bucketName } from "../../components/core/names";
import {
    AlarmHome,
    AlarmSet,
    AlarmSpec,
    AlertTopic,
    FailoverEndpoint,
    SecurityDetection,
    backupAgeAlarms,
    healthCheckAlarm,
    redisReplicaLagAlarm,
    replicationAlarms,
} from "../../components/detection";
import type { Providers } from "../providers";
import { FortressConfig, TierId, tierRegion } from "../../config";
import { REPLICATION_RULE_IDS, stackTags } from "../../components/core/tags";

/** Route 53 publishes health-check metrics only in us-east-1. */
export const ROUTE53_METRICS_REGION = "us-east-1";
/** The StatefulSet of the platform's Redis (a dimension of its replica-lag metric). */
export const REDIS_CLUSTER_NAME = "fortress-redis";
/** Replication rule ids of stacks/steps/storage.ts; a test checks they match the plan. */
export const REPLICATION_RULES = [
    { ruleId: REPLICATION_RULE_IDS.tier1ToTier2, from: "tier1", to: "tier2" },
    { ruleId: REPLICATION_RULE_IDS.configurationToTier3, from: "tier1", to: "tier3" },
] as const;

export interface DetectionOutputs {
    /** Where the job-published metrics go and the DR stack's alarms live. */
    readonly monitoringRegion: string;
    readonly alarmNamePrefix: string;
    /** The alert topic of each region that holds alarms. */
    readonly alertTopicArns: Readonly<Record<string, pulumi.Output<string>>>;
    readonly endpoints: ReadonlyArray<{ readonly hostname: string; readonly healthCheckIds: Readonly<Record<"primary" | "dr", pulumi.Output<string>>> }>;
    /** Every alarm declared here with the region it lives in (the DR dashboard graphs them). */
    readonly alarms: readonly (AlarmSpec & { readonly region: string })[];
}

/** The alarm names' prefix and the alert topics' name: unique per environment in an account. */
export function alertNamePrefix(config: FortressConfig): string {
    return `${config.namePrefix}-${config.environment}`;
}

/** What a backup job may take between its schedule firing and its object landing in tier 1. */
export const SNAPSHOT_JOB_ALLOWANCE_SECONDS = 30;

/**
 * The replication lag a rule may show before its alarm fires. For the tier-1 hot copy, a
 * regional disaster loses the tier-1 snapshot interval, the job's run time and the replication
 * lag; the alarm watches the lag at what the regional RPO leaves after the other two (the
 * Redis drill measured the job at 5.6 s; 30 s is allowed). Other rules: the regional RPO.
 */
export function replicationLagBudgetSeconds(config: FortressConfig, ruleId: string): number {
    const rpo = config.objectives.scenarios.S4.rpoSeconds ?? 300;
    if (ruleId !== REPLICATION_RULE_IDS.tier1ToTier2) return rpo;
    const tier1Gaps = Object.values(config.tiers)
        .map((byTier) => (byTier as Record<string, { snapshot?: string } | undefined>).tier1?.snapshot)
        .filter((c): c is string => c !== undefined)
        .map((c) => maxIntervalSeconds(c));
    const budget = rpo - Math.max(0, ...tier1Gaps) - SNAPSHOT_JOB_ALLOWANCE_SECONDS;
    // Below a minute S3's 5-minute Maximum statistic still sees it; below 10 s it is noise.
    return Math.max(10, budget);
}

/** The alarms that do not depend on a health check id: replication, backup age, Redis lag. */
export function dataPathAlarms(config: FortressConfig): AlarmSpec[] {
    const { namePrefix, environment, regions } = config;
    const bucket = (tier: TierId) => bucketName(namePrefix, environment, tier, tierRegion(regions, tier));
    return [
        ...REPLICATION_RULES.flatMap((r) =>
            replicationAlarms(
                { ruleId: r.ruleId, sourceBucket: bucket(r.from), destinationBucket: bucket(r.to), destinationIsDr: tierRegion(regions, r.to) === regions.dr },
                replicationLagBudgetSeconds(config, r.ruleId),
            ),
        ),
        ...backupAgeAlarms(config.tiers as unknown as Record<string, Record<string, Record<string, string | number | undefined>>>),
        redisReplicaLagAlarm(REDIS_CLUSTER_NAME, config.redis.maxReplicaLagSeconds),
    ];
}

/** The regions that hold Fortress buckets or keys: each gets GuardDuty and the tampering rule. */
export function securityRegions(config: FortressConfig): string[] {
    return [...new Set([config.regions.primary, config.regions.dr, config.regions.tier3])];
}

/** The AWS provider of each region: one the stack already has, or a new one with the same tags. */
function providersByRegion(config: FortressConfig, providers: Providers): (region: string) => aws.Provider {
    const known = new Map<string, aws.Provider>([
        [config.regions.primary, providers.aws.primary],
        [config.regions.dr, providers.aws.dr],
        [config.regions.tier3, providers.aws.tier3],
    ]);
    return (region) => {
        const existing = known.get(region);
        if (existing) return existing;
        const made = new aws.Provider(`aws-${region}`, {
            region: region as aws.Region,
            defaultTags: { tags: stackTags(config.environment, pulumi.getStack()) },
        });
        known.set(region, made);
        return made;
    };
}

export function declareDetection(config: FortressConfig, providers: Providers, accountId: pulumi.Input<string>): DetectionOutputs {
    const e = config.endpoints;
    const providerIn = providersByRegion(config, providers);
    const route53 = providerIn(ROUTE53_METRICS_REGION);
    const endpoints = e.hosts.map((h) => {
        const ep = new FailoverEndpoint(
            `endpoint-${h.hostname.replace(/\./g, "-")}`,
            {
                zoneId: e.hostedZoneId,
                hostname: h.hostname,
                primaryTarget: h.primaryTarget,
                drTarget: h.drTarget,
                healthPath: h.healthPath,
                intervalSeconds: e.healthCheck.intervalSeconds,
                failureThreshold: e.healthCheck.failureThreshold,
                checkerRegions: e.healthCheck.regions,
                ttlSeconds: e.ttlSeconds,
                activeRegion: e.activeRegion,
            },
            { provider: route53 },
        );
        return { hostname: h.hostname, healthCheckIds: ep.healthCheckIds };
    });

    const specs: AlarmSpec[] = [
        ...endpoints.flatMap((ep) =>
            (["primary", "dr"] as const).map((region) =>
                healthCheckAlarm(`health-${ep.hostname.replace(/\./g, "-")}-${region}`, ep.healthCheckIds[region], `${ep.hostname} in the ${region} region`),
            ),
        ),
        ...dataPathAlarms(config),
    ];

    const regionOfHome: Record<AlarmHome, string> = { route53: ROUTE53_METRICS_REGION, primary: config.regions.primary, dr: config.regions.dr };
    const prefix = alertNamePrefix(config);
    const byRegion = new Map<string, AlarmSpec[]>();
    for (const s of specs) {
        const region = regionOfHome[s.home];
        byRegion.set(region, [...(byRegion.get(region) ?? []), s]);
    }
    const alertTopicArns: Record<string, pulumi.Output<string>> = {};
    for (const [region, alarms] of byRegion) {
        const provider = providerIn(region);
        const topic = new AlertTopic(`alerts-${region}`, { topicName: `${prefix}-alerts`, subscribers: config.alerts.subscribers, accountId }, { provider });
        new AlarmSet(`alarms-${region}`, { alarms, namePrefix: prefix, topicArn: topic.arn }, { provider });
        alertTopicArns[region] = topic.arn;
    }
    // S5: GuardDuty and the tampering rule wherever Fortress keeps data (tier 3 included:
    // CloudTrail hands a call to EventBridge only in the region where it was made), each into
    // that region's topic; a region without alarms gets a topic of its own.
    for (const region of securityRegions(config)) {
        const provider = providerIn(region);
        alertTopicArns[region] ??= new AlertTopic(`alerts-${region}`, { topicName: `${prefix}-alerts`, subscribers: config.alerts.subscribers, accountId }, { provider }).arn;
        new SecurityDetection(
            `security-${region}`,
            { namePrefix: prefix, alertTopicArn: alertTopicArns[region], watchedBucketPrefixes: [`${prefix}-`] },
            { provider },
        );
    }
    return { monitoringRegion: config.regions.dr, alarmNamePrefix: prefix, alertTopicArns, endpoints, alarms: specs.map((s) => ({ ...s, region: regionOfHome[s.home] })) };
}

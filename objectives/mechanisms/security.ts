/**
 * S5 security detection: Falco, GuardDuty, the backup-tampering EventBridge rules and CloudTrail.
 */
import { BUDGETS, CONSTANTS, vendor } from "../constants";
import { ModelContext, Subject, collect } from "../input";
import { RESOURCE_TYPES, extract, readKnown } from "../resources";
import { Bound, bestFor, budget, isMissing, sum } from "../terms";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredRuntimeDetection {
    readonly name: string;
    readonly driver: string;
    /** falcosidekick.config.aws.sns.minimumpriority ("" forwards every priority). */
    readonly minimumPriority: string;
}

/**
 * Helm releases of the falcosecurity falco chart with a syscall driver and falcosidekick's
 * SNS output set (components/detection/runtime-detection.ts declares one). The topic ARN is
 * another resource's output, unknown in a first preview: unknown still means set.
 */
export function runtimeDetections(resources: readonly RecordedResource[]) {
    return extract<DeclaredRuntimeDetection>(resources, RESOURCE_TYPES.helmRelease, (r) => {
        const p = r.inputs;
        if (p.chart !== "falco") return undefined;
        const v = p.values ?? {};
        if (v.driver?.enabled === false) return undefined;
        const sidekick = v.falcosidekick ?? {};
        if (sidekick.enabled !== true) return undefined;
        const topic = readKnown(() => sidekick.config?.aws?.sns?.topicarn as unknown);
        if (topic.known && (typeof topic.value !== "string" || topic.value === "")) return undefined;
        return { name: String(p.name ?? r.name), driver: String(v.driver?.kind ?? "the chart's default"), minimumPriority: String(sidekick.config?.aws?.sns?.minimumpriority ?? "") };
    });
}

// ---------------------------------------------------------------------------------------------
// Bounds

/**
 * The management calls a tampering rule must watch, by event source: the ones that weaken
 * the backups (bucket policy, lifecycle, versioning, replication, Object Lock), their keys,
 * or the audit trail. Either spelling of the lifecycle call counts.
 */
export const REQUIRED_TAMPER_CALLS: readonly (readonly string[])[] = [
    ["PutBucketPolicy"],
    ["DeleteBucketPolicy"],
    ["PutBucketLifecycle", "PutBucketLifecycleConfiguration"],
    ["PutBucketVersioning"],
    ["PutBucketReplication"],
    ["PutObjectLockConfiguration"],
    ["DisableKey"],
    ["ScheduleKeyDeletion"],
    ["PutKeyPolicy"],
    ["StopLogging"],
    ["DeleteTrail"],
    ["UpdateTrail"],
];

/** Every value of `key` anywhere in an event pattern (patterns nest under detail and $or). */
function valuesOf(pattern: unknown, key: string): unknown[] {
    if (Array.isArray(pattern)) return pattern.flatMap((p) => valuesOf(p, key));
    if (pattern === null || typeof pattern !== "object") return [];
    return Object.entries(pattern as Record<string, unknown>).flatMap(([k, v]) => (k === key ? (Array.isArray(v) ? v : [v]) : valuesOf(v, key)));
}

interface DeclaredRule {
    readonly name: string;
    readonly region?: string;
    readonly pattern: unknown;
    readonly targeted: boolean;
}

function eventRules(ctx: ModelContext): DeclaredRule[] {
    const out: DeclaredRule[] = [];
    const targets = ctx.resources.filter((r) => r.type === RESOURCE_TYPES.eventTarget);
    for (const r of ctx.resources.filter((x) => x.type === RESOURCE_TYPES.eventRule)) {
        const k = readKnown(() => ({ pattern: r.inputs.eventPattern as unknown, ruleName: r.inputs.name as unknown }));
        if (!k.known || typeof k.value.pattern !== "string") {
            ctx.unknown.push(`${RESOURCE_TYPES.eventRule} ${r.name}.eventPattern`);
            continue;
        }
        const ruleName = k.value.ruleName;
        const targeted = targets.some((t) => readKnown(() => t.inputs.rule).known && t.inputs.rule === ruleName && t.region === r.region);
        out.push({ name: r.name, region: r.region, pattern: JSON.parse(k.value.pattern), targeted });
    }
    return out;
}

/** Whether a bucketName matcher of a pattern (a name, or { prefix }) matches the bucket. */
function matchesBucket(matcher: unknown, bucket: string): boolean {
    if (typeof matcher === "string") return matcher === bucket;
    const prefix = (matcher as { prefix?: unknown } | null)?.prefix;
    return typeof prefix === "string" && bucket.startsWith(prefix);
}

/** A tampering rule in every region with an AWS bucket, watching the required calls, with a target. */
function tamperDetection(ctx: ModelContext): Bound {
    const rules = eventRules(ctx).filter((r) => r.targeted && valuesOf(r.pattern, "detail-type").includes("AWS API Call via CloudTrail"));
    const complete = rules.filter((r) => {
        const names = new Set(valuesOf(r.pattern, "eventName"));
        return REQUIRED_TAMPER_CALLS.every((alts) => alts.some((a) => names.has(a)));
    });
    if (complete.length === 0) {
        const needed = REQUIRED_TAMPER_CALLS.map((a) => a[0]).join(", ");
        return { missing: `no EventBridge rule with a target matches the backup-tampering calls (detail-type "AWS API Call via CloudTrail", eventName ${needed})` };
    }
    const trails = ctx.resources.filter((r) => r.type === RESOURCE_TYPES.trail && r.inputs.enableLogging !== false);
    if (trails.length === 0) return { missing: `a tampering rule is declared but no CloudTrail trail (${RESOURCE_TYPES.trail}) with logging: EventBridge receives "AWS API Call via CloudTrail" events only with a trail logging` };
    const primary = ctx.input.regions.primary;
    const uncovered: string[] = [];
    for (const b of ctx.resources.filter((r) => r.type === RESOURCE_TYPES.bucket)) {
        const k = readKnown(() => b.inputs.bucket as unknown);
        if (!k.known || typeof k.value !== "string") {
            ctx.unknown.push(`${RESOURCE_TYPES.bucket} ${b.name}.bucket`);
            continue;
        }
        const region = b.region ?? primary;
        const name = k.value;
        if (!complete.some((r) => (r.region ?? primary) === region && valuesOf(r.pattern, "bucketName").some((m) => matchesBucket(m, name)))) uncovered.push(`${name} (${region})`);
    }
    if (uncovered.length > 0) {
        return { missing: `no tampering rule in their region watches buckets ${uncovered.join(", ")}: CloudTrail hands a call to EventBridge only in the region where it was made` };
    }
    const regions = [...new Set(complete.map((r) => r.region ?? primary))];
    return {
        mechanism: `backup-tampering rule (CloudTrail management events -> EventBridge -> alert topic) in ${regions.join(", ")}`,
        terms: [vendor("cloudTrailToEventBridge")],
        notes: [`CloudTrail hands management events to EventBridge on a best-effort basis: an event can be lost, so this path has no guaranteed bound (${CONSTANTS.cloudTrailToEventBridge.source.ref})`],
    };
}

/** GuardDuty findings at some severity routed to a target. */
function guardDutyDetection(ctx: ModelContext): Bound {
    const detectors = ctx.resources.filter((r) => r.type === RESOURCE_TYPES.guardDuty && r.inputs.enable !== false);
    if (detectors.length === 0) return { missing: `no security detection (an enabled ${RESOURCE_TYPES.guardDuty}) is declared: a breach is found by people, not by the stack` };
    const routed = eventRules(ctx).filter((r) => r.targeted && valuesOf(r.pattern, "source").includes("aws.guardduty"));
    if (routed.length === 0) return { missing: `GuardDuty is enabled but no EventBridge rule with a target takes its findings (source aws.guardduty): findings wait in the console` };
    const regions = [...new Set(detectors.map((d) => d.region ?? ctx.input.regions.primary))];
    return {
        mechanism: `GuardDuty (${regions.join(", ")}) finding -> EventBridge -> alert topic`,
        terms: [budget("GuardDuty's analysis from the activity to the finding", BUDGETS.guardDutyAnalysis.seconds, BUDGETS.guardDutyAnalysis.from), vendor("guardDutyNewFindingDelivery")],
    };
}

/**
 * Falco in the cluster: a rule matches the syscall on the node and falcosidekick publishes to
 * the alert topic. Neither step has a published or measured time, so both are open terms.
 */
function runtimeDetection(ctx: ModelContext): Bound {
    const falcos = collect(ctx, runtimeDetections(ctx.resources));
    if (falcos.length === 0) return { missing: `no runtime detection (a ${RESOURCE_TYPES.helmRelease} of the falco chart with falcosidekick's SNS output) is declared` };
    const f = falcos[0];
    return {
        mechanism: `Falco ${f.name} (${f.driver} driver) rule match -> falcosidekick -> alert topic (priority ${f.minimumPriority || "any"} and above)`,
        terms: [
            budget("Falco's evaluation of the syscall against its rules on the node", BUDGETS.falcoRuleEvaluation.seconds, BUDGETS.falcoRuleEvaluation.from),
            budget("falcosidekick's delivery of the event to SNS", BUDGETS.falcosidekickDelivery.seconds, BUDGETS.falcosidekickDelivery.from),
        ],
    };
}

/**
 * S5 detection. For data the breach that matters to recovery is tampering with the backups,
 * which the CloudTrail rule sees; GuardDuty is the other path. For services (a compromised
 * workload touches no bucket setting) Falco and GuardDuty are the paths.
 */
export function securityDetection(ctx: ModelContext, subject: Subject, objectiveSeconds: number | null): Bound {
    const gd = guardDutyDetection(ctx);
    if (subject === "services") {
        const runtime = runtimeDetection(ctx);
        if (isMissing(runtime) && isMissing(gd)) return { missing: `${gd.missing}; ${runtime.missing}` };
        const chosen = bestFor(objectiveSeconds, runtime, gd);
        if (isMissing(chosen) || isMissing(gd) || chosen === gd) return chosen;
        return { ...chosen, notes: [...(chosen.notes ?? []), `activity Falco's rules do not match relies on ${gd.mechanism}: ${sum(gd.terms)} s of which is ${CONSTANTS.guardDutyNewFindingDelivery.label}`] };
    }
    const chosen = bestFor(objectiveSeconds, tamperDetection(ctx), gd);
    if (isMissing(chosen) || isMissing(gd) || chosen === gd) return chosen;
    return { ...chosen, notes: [...(chosen.notes ?? []), `breaches that leave the backups alone rely on ${gd.mechanism}: ${sum(gd.terms)} s of which is ${CONSTANTS.guardDutyNewFindingDelivery.label}`] };
}


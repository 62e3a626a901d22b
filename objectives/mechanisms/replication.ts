/**
 * S3 replication: rules, Replication Time Control, latency alarms, the buckets of a data class.
 */
import { TAG_KEYS } from "../../components/core/tags";
import { vendor } from "../constants";
import { ModelContext, Subject, collect } from "../input";
import { RESOURCE_TYPES, extract, readKnown } from "../resources";
import { Bound, Term } from "../terms";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredReplicationRule {
    readonly config: string;
    readonly id: string;
    readonly prefix: string;
    readonly enabled: boolean;
    readonly rtcMinutes?: number;
}

export function replicationRules(resources: readonly RecordedResource[]) {
    const out = extract<DeclaredReplicationRule[]>(resources, RESOURCE_TYPES.replication, (r) =>
        (Array.isArray(r.inputs.rules) ? r.inputs.rules : []).map((rule: any) => ({
            config: r.name,
            id: String(rule?.id ?? "?"),
            prefix: String(rule?.filter?.prefix ?? rule?.prefix ?? ""),
            enabled: rule?.status === "Enabled",
            rtcMinutes: rule?.destination?.replicationTime?.status === "Enabled" ? Number(rule.destination.replicationTime.time?.minutes ?? 15) : undefined,
        })),
    );
    return { found: out.found.flat(), unknown: out.unknown };
}

// ---------------------------------------------------------------------------------------------
// Bounds

/** A declared ReplicationLatency alarm on the rule: it watches the typical lag, it bounds nothing. */
function latencyAlarm(ctx: ModelContext, ruleId: string): string | undefined {
    for (const a of ctx.resources.filter((r) => r.type === RESOURCE_TYPES.metricAlarm)) {
        const k = readKnown(() => ({ metric: a.inputs.metricName, ns: a.inputs.namespace, rule: a.inputs.dimensions?.RuleId, threshold: a.inputs.threshold }));
        if (k.known && k.value.metric === "ReplicationLatency" && k.value.ns === "AWS/S3" && k.value.rule === ruleId && typeof k.value.threshold === "number") {
            return `ReplicationLatency alarm ${a.name} at ${k.value.threshold} s watches the typical lag`;
        }
    }
    return undefined;
}

/** The RTC term of a rule: an SLA figure, so a path through it is at risk at best. */
export function rtcTerm(ctx: ModelContext, rule: { id: string; rtcMinutes?: number }): { term: Term; note: string } {
    const alarm = latencyAlarm(ctx, rule.id);
    return {
        term: vendor("s3RtcSla", `replication rule ${rule.id}: S3 RTC, 99.99 % of objects within ${rule.rtcMinutes} min (SLA)`, rule.rtcMinutes! * 60),
        note: alarm ? `most objects replicate within seconds; ${alarm} (an alarm, not a bound)` : `most objects replicate within seconds, but no ReplicationLatency alarm on rule ${rule.id} watches it`,
    };
}

export function missingClass(subject: Subject): Bound {
    return { missing: `no backup, replication or store of ${subject} is declared in this stack` };
}

export function bucketsFor(ctx: ModelContext, purpose: string): RecordedResource[] {
    return ctx.resources.filter((r) => r.type === RESOURCE_TYPES.bucket && r.inputs.tags?.[TAG_KEYS.purpose] === purpose);
}

/** Enabled replication rules configured on the given source bucket. */
export function replicationFrom(ctx: ModelContext, source: RecordedResource): DeclaredReplicationRule[] {
    const configs = ctx.resources.filter((r) => r.type === RESOURCE_TYPES.replication && readKnown(() => r.inputs.bucket === source.inputs.bucket || r.inputs.bucket === source.name).known && (r.inputs.bucket === source.inputs.bucket || r.inputs.bucket === source.name));
    return collect(ctx, replicationRules(configs)).filter((r) => r.enabled);
}

/** Loss of a class kept in S3 buckets tagged with `purpose`, for the scenario. */
export function bucketPath(ctx: ModelContext, scenario: "S3" | "S4" | "S5", subject: Subject, purpose: string): Bound {
    const primary = bucketsFor(ctx, purpose).filter((b) => b.region === undefined || b.region === ctx.input.regions.primary);
    if (primary.length === 0) return missingClass(subject);
    const source = primary[0];
    if (scenario === "S3") return { mechanism: `${subject} bucket ${source.name} (S3 outlives the cluster)`, terms: [vendor("s3Durability")] };
    if (scenario === "S5") return { mechanism: `${subject} bucket ${source.name}: versioned; a compromised writer adds delete markers, older versions stay`, terms: [vendor("s3Durability")] };
    const rtc = replicationFrom(ctx, source).find((r) => r.rtcMinutes !== undefined);
    if (!rtc) {
        const others = bucketsFor(ctx, purpose).filter((b) => b !== source && b.region !== undefined && b.region !== ctx.input.regions.primary);
        return {
            missing:
                others.length > 0
                    ? `${source.name} replicates to ${others.map((b) => b.name).join(", ")} without Replication Time Control: replication then has no time bound`
                    : `${subject} live only in ${source.name} in the primary region; a regional disaster loses them (no replication to another region is declared)`,
        };
    }
    const { term, note } = rtcTerm(ctx, rtc);
    return { mechanism: `replication rule ${rtc.id} of ${source.name} to the DR region`, terms: [term], notes: [note] };
}

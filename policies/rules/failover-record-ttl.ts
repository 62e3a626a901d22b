import type * as aws from "@pulumi/aws";
import { CONTROLS } from "../lib/compliance";
import { resourceRule, validateTyped } from "../lib/rule";
import { RESOURCE_TYPES } from "../lib/stack-view";

interface Config {
    readonly maxTtlSeconds: number;
}

/**
 * Failover records are cached briefly (TTL at most 60 s, AWS's recommendation for DNS
 * failover), and the PRIMARY record is tied to a health check, without which Route 53 never
 * fails over. Alias records have the target's fixed TTL (60 s for load balancers).
 */
export const failoverRecordTtl = resourceRule({
    name: "failover-record-ttl",
    description: "Route 53 failover records have a TTL of at most 60 s, and PRIMARY records are health-checked.",
    enforcementLevel: "mandatory",
    severity: "medium",
    compliance: [CONTROLS.hipaaDisasterRecovery, CONTROLS.gdprRestore, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations],
    remediationSteps: "Set ttl to 60 or less (endpoints.ttlSeconds) on failover records, and healthCheckId (or an alias with evaluateTargetHealth) on the PRIMARY record.",
    configSchema: { properties: { maxTtlSeconds: { type: "integer", minimum: 1, maximum: 300, default: 60 } } },
    validateResource: validateTyped<aws.route53.RecordArgs>(RESOURCE_TYPES.record, (rec, args, report) => {
        const max = args.getConfig<Partial<Config>>().maxTtlSeconds ?? 60;
        const role = rec.failoverRoutingPolicies?.[0]?.type;
        if (role === undefined) return args.notApplicable("not a failover record");
        const alias = (rec.aliases ?? []).length > 0;
        if (!alias && (typeof rec.ttl !== "number" || rec.ttl > max)) {
            report(`${role} record ${args.name}: ttl ${rec.ttl ?? "unset"}; resolvers would keep sending clients to a failed region for that long; use at most ${max} s`);
        }
        if (role === "PRIMARY" && !Object.prototype.hasOwnProperty.call(rec, "healthCheckId") && !(rec.aliases ?? []).some((a) => a.evaluateTargetHealth === true)) {
            report(`PRIMARY record ${args.name} has no healthCheckId: Route 53 would never fail over from it`);
        }
    }),
});

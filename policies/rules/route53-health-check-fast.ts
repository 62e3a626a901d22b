import type * as aws from "@pulumi/aws";
import { CONTROLS } from "../lib/compliance";
import { resourceRule, validateTyped } from "../lib/rule";
import { RESOURCE_TYPES } from "../lib/stack-view";

interface Config {
    readonly maxRequestIntervalSeconds: number;
    readonly maxFailureThreshold: number;
    readonly minRegions: number;
}
const DEFAULTS: Config = { maxRequestIntervalSeconds: 10, maxFailureThreshold: 3, minRegions: 3 };
const ENDPOINT_TYPES = /^(HTTP|HTTPS|TCP|HTTP_STR_MATCH|HTTPS_STR_MATCH)$/;

/**
 * Endpoint health checks are fast: a 10 s request interval (Route 53's "fast" interval),
 * at most 3 consecutive failures, checked from at least 3 regions (so one checker region's
 * network trouble cannot fail a healthy endpoint). Detection is interval x threshold.
 */
export const route53HealthCheckFast = resourceRule({
    name: "route53-health-check-fast",
    description: "Route 53 endpoint health checks use a 10 s interval, a failure threshold of at most 3, and at least 3 checker regions.",
    enforcementLevel: "mandatory",
    severity: "medium",
    compliance: [CONTROLS.hipaaDisasterRecovery, CONTROLS.gdprResilience, CONTROLS.gdprRestore, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations],
    remediationSteps: "Set requestInterval: 10, failureThreshold: 3 (or less) and regions with at least 3 entries (or leave regions unset: Route 53 then checks from all of its regions).",
    configSchema: {
        properties: {
            maxRequestIntervalSeconds: { type: "integer", enum: [10, 30], default: DEFAULTS.maxRequestIntervalSeconds },
            maxFailureThreshold: { type: "integer", minimum: 1, maximum: 10, default: DEFAULTS.maxFailureThreshold },
            minRegions: { type: "integer", minimum: 3, default: DEFAULTS.minRegions },
        },
    },
    validateResource: validateTyped<aws.route53.HealthCheckArgs>(RESOURCE_TYPES.healthCheck, (hc, args, report) => {
        const c = { ...DEFAULTS, ...args.getConfig<Partial<Config>>() };
        if (!ENDPOINT_TYPES.test(String(hc.type))) return args.notApplicable(`type ${hc.type} does not probe an endpoint`);
        const interval = hc.requestInterval ?? 30;
        if (interval > c.maxRequestIntervalSeconds) {
            report(`health check ${args.name}: requestInterval ${hc.requestInterval === undefined ? "unset (30 s default)" : `${interval} s`}; use ${c.maxRequestIntervalSeconds} s (detection is interval x threshold = ${interval * (hc.failureThreshold ?? 3)} s)`);
        }
        const threshold = hc.failureThreshold ?? 3;
        if (threshold > c.maxFailureThreshold) report(`health check ${args.name}: failureThreshold ${threshold} exceeds ${c.maxFailureThreshold}`);
        if (Array.isArray(hc.regions) && hc.regions.length < c.minRegions) {
            report(`health check ${args.name}: checked from ${hc.regions.length} region(s) (${hc.regions.join(", ")}); use at least ${c.minRegions}`);
        }
    }),
});

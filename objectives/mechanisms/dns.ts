/**
 * DNS failover: Route 53 endpoint health checks and the failover records they steer.
 */
import { RESOURCE_TYPES, extract, readKnown } from "../resources";
import { CONSTANTS, ROUTE53_DEFAULT_FAILURE_THRESHOLD, vendor } from "../constants";
import { ModelContext, collect } from "../input";
import { Bound, Term, declared } from "../terms";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredHealthCheck {
    readonly name: string;
    readonly type: string;
    readonly intervalSeconds: number;
    readonly failureThreshold: number;
    readonly regions: readonly string[] | undefined;
    readonly fqdn?: string;
}

/** Endpoint health checks (HTTP, HTTPS, TCP and their string-match forms). */
export function healthChecks(resources: readonly RecordedResource[]) {
    return extract<DeclaredHealthCheck>(resources, RESOURCE_TYPES.healthCheck, (r) => {
        const p = r.inputs;
        const type = String(p.type ?? "");
        if (!/^(HTTP|HTTPS|TCP|HTTP_STR_MATCH|HTTPS_STR_MATCH)$/.test(type)) return undefined;
        return {
            name: r.name,
            type,
            intervalSeconds: typeof p.requestInterval === "number" ? p.requestInterval : 30,
            failureThreshold: typeof p.failureThreshold === "number" ? p.failureThreshold : ROUTE53_DEFAULT_FAILURE_THRESHOLD,
            regions: Array.isArray(p.regions) ? [...p.regions] : undefined,
            fqdn: typeof p.fqdn === "string" ? p.fqdn : undefined,
        };
    });
}

export interface DeclaredFailoverRecord {
    readonly name: string;
    readonly recordName?: string;
    readonly role: "PRIMARY" | "SECONDARY";
    readonly ttlSeconds?: number;
    readonly alias: boolean;
    readonly evaluateTargetHealth: boolean;
    readonly hasHealthCheck: boolean;
}

export function failoverRecords(resources: readonly RecordedResource[]) {
    return extract<DeclaredFailoverRecord>(resources, RESOURCE_TYPES.record, (r) => {
        const p = r.inputs;
        const policies = Array.isArray(p.failoverRoutingPolicies) ? p.failoverRoutingPolicies : [];
        const role = policies[0]?.type;
        if (role !== "PRIMARY" && role !== "SECONDARY") return undefined;
        const aliases = Array.isArray(p.aliases) ? p.aliases : [];
        // The ID of a health check declared in the same stack is unknown during a first
        // preview: an unknown ID still means one is attached.
        const healthCheckId = readKnown(() => p.healthCheckId);
        return {
            name: r.name,
            recordName: typeof p.name === "string" ? p.name : undefined,
            role,
            ttlSeconds: typeof p.ttl === "number" ? p.ttl : undefined,
            alias: aliases.length > 0,
            evaluateTargetHealth: aliases.some((a: any) => a?.evaluateTargetHealth === true),
            hasHealthCheck: healthCheckId.known ? typeof healthCheckId.value === "string" && healthCheckId.value !== "" : true,
        };
    });
}

// ---------------------------------------------------------------------------------------------
// Bounds

/**
 * Route 53 declares the primary region's endpoint down. Each failing check first waits its
 * timeout (HTTP/HTTPS: 4 s to connect plus 2 s for the status; TCP: 10 s to connect), then the
 * next check comes one interval later: threshold x (interval + timeout) in the worst case (a
 * hung endpoint that accepts connections and never answers).
 */
export function dnsDetection(ctx: ModelContext): Bound {
    const checks = collect(ctx, healthChecks(ctx.resources));
    if (checks.length === 0) {
        return { missing: `no Route 53 endpoint health check (${RESOURCE_TYPES.healthCheck} of type HTTP, HTTPS or TCP) is declared: a failure of the primary region's endpoint is not detected` };
    }
    const timeout = (c: DeclaredHealthCheck) => (c.type === "TCP" ? CONSTANTS.route53TcpConnectWindow.seconds : CONSTANTS.route53ConnectWindow.seconds + CONSTANTS.route53ResponseWindow.seconds);
    const worst = checks.reduce((a, b) => (a.failureThreshold * (a.intervalSeconds + timeout(a)) >= b.failureThreshold * (b.intervalSeconds + timeout(b)) ? a : b));
    const n = worst.failureThreshold;
    const src = `${RESOURCE_TYPES.healthCheck} ${worst.name}.requestInterval/failureThreshold`;
    const timeoutTerms: Term[] =
        worst.type === "TCP"
            ? [vendor("route53TcpConnectWindow", `${n} x TCP connect window 10 s (each failing check waits it)`, 10 * n)]
            : [
                  vendor("route53ConnectWindow", `${n} x TCP connect window 4 s (each failing check waits it)`, 4 * n),
                  vendor("route53ResponseWindow", `${n} x ${worst.type} response window 2 s (a hung endpoint)`, 2 * n),
              ];
    return {
        mechanism: `Route 53 health check ${worst.name} (${worst.type}; ${checks.length} declared, the slowest bounds)`,
        terms: [declared(`health check ${worst.name}: failureThreshold ${n} x requestInterval ${worst.intervalSeconds} s`, n * worst.intervalSeconds, src), ...timeoutTerms],
        notes: [`per-check timeouts: ${CONSTANTS.route53ConnectWindow.source.ref}`],
    };
}

/** Clients follow the failover after the PRIMARY record's TTL. */
export function dnsSwitch(ctx: ModelContext): Bound {
    const records = collect(ctx, failoverRecords(ctx.resources));
    const primaries = records.filter((r) => r.role === "PRIMARY");
    if (primaries.length === 0) return { missing: `no failover record (${RESOURCE_TYPES.record} with failoverRoutingPolicies type PRIMARY) is declared: DNS never moves clients to the DR region` };
    if (!records.some((r) => r.role === "SECONDARY")) return { missing: `PRIMARY failover records are declared but no SECONDARY: there is nowhere for DNS to fail over to` };
    const unset = primaries.filter((r) => !r.alias && r.ttlSeconds === undefined);
    if (unset.length > 0) return { missing: `failover records ${unset.map((r) => r.name).join(", ")} declare no ttl: a resolver's cache time is then unbounded by the stack` };
    const terms = primaries.map((r) => (r.alias ? vendor("elbAliasTtl", `record ${r.name}: alias record, fixed TTL`) : declared(`record ${r.name}: ttl ${r.ttlSeconds} s`, r.ttlSeconds!, `${RESOURCE_TYPES.record} ${r.name}.ttl`)));
    const worst = terms.reduce((a, b) => (a.seconds >= b.seconds ? a : b));
    return { mechanism: "DNS failover (PRIMARY -> SECONDARY record)", terms: [worst] };
}

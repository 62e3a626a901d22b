import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Regions Route 53 can run health checkers from (Route 53 API, HealthCheckConfig.Regions). */
export const HEALTH_CHECKER_REGIONS = ["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"] as const;
export const MAX_FAILOVER_TTL_SECONDS = 60;

export interface FailoverEndpointArgs {
    /** Route 53 hosted zone holding the hostname. */
    readonly zoneId: pulumi.Input<string>;
    /** Public hostname users resolve, e.g. app.example.com. */
    readonly hostname: string;
    /** DNS name of the primary region's load balancer. */
    readonly primaryTarget: string;
    /** Stable DNS name of the DR region's ingress. */
    readonly drTarget: string;
    /** Path both regions answer health checks on. @default "/healthz" */
    readonly healthPath?: string;
    /** Seconds between two checks from one checker (10 or 30). @default 10 */
    readonly intervalSeconds?: 10 | 30;
    /** Consecutive failures before an endpoint counts as down. @default 3 */
    readonly failureThreshold?: number;
    /** Checker regions, at least three. @default ["us-east-1", "us-west-2", "eu-west-1"] */
    readonly checkerRegions?: readonly string[];
    /** TTL of the failover records, at most 60 s. @default 30 */
    readonly ttlSeconds?: number;
    /** The region the PRIMARY record points at. @default "primary" */
    readonly activeRegion?: "primary" | "dr";
}

export type EndpointRegion = "primary" | "dr";

/** Checks the arguments; throws one error naming every bad field and its fix. */
export function validateFailoverArgs(name: string, args: FailoverEndpointArgs): void {
    const problems: string[] = [];
    const interval = args.intervalSeconds ?? 10;
    const threshold = args.failureThreshold ?? 3;
    const regions = args.checkerRegions ?? ["us-east-1", "us-west-2", "eu-west-1"];
    const ttl = args.ttlSeconds ?? 30;
    if (interval !== 10 && interval !== 30) problems.push(`intervalSeconds: ${interval} is not offered by Route 53; use 10 (fast) or 30`);
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 10) problems.push(`failureThreshold: ${threshold} must be a whole number from 1 to 10`);
    if (new Set(regions).size < 3) problems.push(`checkerRegions: ${regions.length} given; Route 53 needs at least three distinct checker regions`);
    const unknown = regions.filter((r) => !(HEALTH_CHECKER_REGIONS as readonly string[]).includes(r));
    if (unknown.length > 0) problems.push(`checkerRegions: ${unknown.join(", ")} cannot run Route 53 health checkers; use ${HEALTH_CHECKER_REGIONS.join(", ")}`);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_FAILOVER_TTL_SECONDS) problems.push(`ttlSeconds: ${ttl} must be 1..${MAX_FAILOVER_TTL_SECONDS}; resolvers keep a failed-over answer for the TTL`);
    if (!(args.healthPath ?? "/healthz").startsWith("/")) problems.push(`healthPath: "${args.healthPath}" must start with "/"`);
    if (args.primaryTarget === args.drTarget) problems.push(`drTarget: equals primaryTarget "${args.primaryTarget}"; failover needs two distinct endpoints`);
    if (problems.length > 0) throw new Error(`FailoverEndpoint ${name}:\n  - ${problems.join("\n  - ")}`);
}

/**
 * One public hostname served from two regions: an HTTPS health check on each region's
 * endpoint and a PRIMARY/SECONDARY pair of failover records (CNAMEs, so the TTL is ours to
 * set — an alias record always carries its target's TTL).
 *
 * Worst-case time to move traffic: interval × failure threshold (checkers agree in parallel)
 * plus the records' TTL, e.g. 10 s × 3 + 30 s = 60 s.
 */
export class FailoverEndpoint extends pulumi.ComponentResource {
    public readonly healthCheckIds: Readonly<Record<EndpointRegion, pulumi.Output<string>>>;
    public readonly recordFqdns: pulumi.Output<string>[];

    constructor(name: string, args: FailoverEndpointArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:FailoverEndpoint", name, {}, opts);
        validateFailoverArgs(name, args);
        const interval = args.intervalSeconds ?? 10;
        const threshold = args.failureThreshold ?? 3;
        const regions = [...(args.checkerRegions ?? ["us-east-1", "us-west-2", "eu-west-1"])];
        const ttl = args.ttlSeconds ?? 30;
        const active = args.activeRegion ?? "primary";
        const targets: Record<EndpointRegion, string> = { primary: args.primaryTarget, dr: args.drTarget };

        const checks = {} as Record<EndpointRegion, aws.route53.HealthCheck>;
        for (const region of ["primary", "dr"] as const) {
            checks[region] = new aws.route53.HealthCheck(
                `${name}-${region}`,
                {
                    type: "HTTPS",
                    fqdn: targets[region],
                    port: 443,
                    resourcePath: args.healthPath ?? "/healthz",
                    requestInterval: interval,
                    failureThreshold: threshold,
                    regions,
                    measureLatency: true,
                    enableSni: true,
                    tags: { Name: `${args.hostname} ${region}` },
                },
                { parent: this },
            );
        }

        // The PRIMARY record answers while its check is healthy; after a promotion it points at
        // the DR region, so a recovered old primary never takes traffic back on its own.
        const standby: EndpointRegion = active === "primary" ? "dr" : "primary";
        const records = (
            [
                ["PRIMARY", active],
                ["SECONDARY", standby],
            ] as const
        ).map(
            ([role, region]) =>
                new aws.route53.Record(
                    `${name}-${role.toLowerCase()}`,
                    {
                        zoneId: args.zoneId,
                        name: args.hostname,
                        type: "CNAME",
                        ttl,
                        setIdentifier: role.toLowerCase(),
                        failoverRoutingPolicies: [{ type: role }],
                        healthCheckId: checks[region].id,
                        records: [targets[region]],
                    },
                    { parent: this },
                ),
        );

        this.healthCheckIds = { primary: checks.primary.id, dr: checks.dr.id };
        this.recordFqdns = records.map((r) => r.fqdn);
        this.registerOutputs({ healthCheckIds: this.healthCheckIds });
    }
}

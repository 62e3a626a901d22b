/**
 * Section `endpoints`: public hostnames, their Route 53 health checks and failover records.
 */
import { z } from "zod";

export const endpointsSection = z.strictObject({
    hostedZoneId: z.string().min(1),
    /**
     * The hosted zone's authoritative name servers (its NS record: `aws route53 get-hosted-zone`,
     * DelegationSet.NameServers, read once when the zone is set up). `fortress failover` resolves
     * the failover records there to confirm Route 53's health-check failover took effect — the
     * DNS data plane, never the Route 53 API (whose control plane is in us-east-1).
     */
    nameServers: z.array(z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, "a host name or ip[:port]")).min(1).optional(),
    hosts: z
        .array(
            z.strictObject({
                hostname: z.string().min(1),
                /** DNS name of the primary region's load balancer. */
                primaryTarget: z.string().min(1),
                /** Stable DNS name the DR stack points at its ingress; the SECONDARY record's target. */
                drTarget: z.string().min(1),
                healthPath: z.string().startsWith("/").default("/healthz"),
            }),
        )
        .min(1),
    healthCheck: z
        .strictObject({
            intervalSeconds: z.union([z.literal(10), z.literal(30)]).default(10),
            failureThreshold: z.number().int().min(1).max(10).default(3),
            regions: z.array(z.enum(["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"])).min(3).default(["us-east-1", "us-west-2", "eu-west-1"]),
        })
        .prefault({}),
    ttlSeconds: z.number().int().min(1).max(60, "failover records must use a TTL of at most 60 s").default(30),
    /**
     * The region the PRIMARY failover records point at. Set to "dr" after a promotion so that
     * traffic never fails back on its own to a recovered primary whose database is stale.
     */
    activeRegion: z.enum(["primary", "dr"]).default("primary"),
});

/**
 * Section `services`: the platform's workloads, their probes and the hostnames they serve.
 */
import { z } from "zod";
import { positiveInt } from "../fields";

export const serviceEntry = z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label"),
    image: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(8080),
    replicas: positiveInt.default(2),
    critical: z.boolean().default(false),
    healthPath: z.string().startsWith("/").default("/healthz"),
    /** Public hostnames (endpoints.hosts[].hostname) the DR ingress routes to this service. */
    hosts: z.array(z.string().min(1)).default([]),
    /**
     * Liveness and readiness probes (DR plan: every 10 s, 5 s timeout, 3 failures). Readiness
     * acts after 2 failures so a hung pod leaves traffic within the 30 s detection objective
     * (see components/workloads/manifests.ts).
     */
    probes: z
        .strictObject({
            periodSeconds: positiveInt.default(10),
            timeoutSeconds: positiveInt.default(5),
            failureThreshold: positiveInt.default(3),
            readinessFailureThreshold: positiveInt.default(2),
        })
        .prefault({}),
});

export const servicesSection = z.array(serviceEntry).default([]);

/**
 * Section `redis`: the Redis (Valkey) servers, Sentinel and the lag exporter.
 */
import { z } from "zod";
import { positiveInt } from "../fields";

export const redisSection = z
    .strictObject({
        /** Server and Sentinel image; jobs/Dockerfile copies its tools from the same image. */
        image: z.string().default("valkey/valkey:8.1.3"),
        storageSize: z.string().default("10Gi"),
        /** Replica lag alarm threshold (DR plan: lag monitoring < 1 s). */
        maxReplicaLagSeconds: positiveInt.default(1),
        /** Prometheus exporter sidecar: replica lag and offsets per member. */
        exporterImage: z.string().default("oliver006/redis_exporter:v1.67.0"),
    })
    .prefault({});

/**
 * Field types shared by the config sections, each with the message a user sees when a value
 * does not fit.
 */
import { z } from "zod";
import { CronError, maxIntervalSeconds, parseCron } from "../components/core/cron";
import { AWS_REGIONS } from "../components/core/regions";

export const DAY_SECONDS = 86_400;

export const awsRegion = z.string().refine((r) => r in AWS_REGIONS, {
    error: (iss) =>
        `"${String(iss.input)}" is not a known AWS region; use one of ${Object.keys(AWS_REGIONS).join(", ")}`,
});

export const cron = z.string().superRefine((value, ctx) => {
    try {
        maxIntervalSeconds(parseCron(value));
    } catch (e) {
        ctx.addIssue({
            code: "custom",
            message: `${e instanceof CronError ? e.message : String(e)}. Use five fields, e.g. "*/15 * * * *" for every 15 minutes`,
        });
    }
});

export const positiveInt = z.number().int().positive();
export const seconds = z.number().int().nonnegative();

/** A DNS-1123 label (Kubernetes names and namespaces). */
export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label");

/**
 * Section `alerts`: who the alert topics notify.
 */
import { z } from "zod";

export const alertsSection = z
    .strictObject({
        subscribers: z
            .array(z.strictObject({ protocol: z.enum(["email", "https", "sms", "lambda", "sqs"]), endpoint: z.string().min(1) }))
            .default([]),
    })
    .prefault({});

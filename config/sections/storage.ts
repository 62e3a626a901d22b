/**
 * Section `storage`: lifecycle transitions per tier, tier 3's Object Lock, and how long
 * compliance archives and logs are kept.
 */
import { z } from "zod";
import { positiveInt } from "../fields";

const lifecycleTransition = z.strictObject({
    afterDays: positiveInt,
    storageClass: z.enum(["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]),
});

export const storageSection = z
    .strictObject({
        tier1: z.strictObject({ transitions: z.array(lifecycleTransition).default([]) }).prefault({}),
        tier2: z.strictObject({ transitions: z.array(lifecycleTransition).default([]) }).prefault({}),
        tier3: z
            .strictObject({
                // Glacier Instant Retrieval keeps pgBackRest able to read the repo without a restore request.
                transitions: z.array(lifecycleTransition).default([{ afterDays: 30, storageClass: "GLACIER_IR" }]),
                objectLock: z
                    .strictObject({
                        mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).default("COMPLIANCE"),
                        days: positiveInt.default(365),
                    })
                    .prefault({}),
            })
            .prefault({}),
        /** Monthly compliance archives and the log archive (DR plan: access logs kept 7 years). */
        complianceRetentionDays: positiveInt.default(2557),
    })
    .prefault({});

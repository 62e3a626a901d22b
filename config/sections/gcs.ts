/**
 * Section `gcs`: the cross-cloud copy of tier 3.
 */
import { z } from "zod";
import { GCS_LOCATIONS } from "../../components/core/regions";

export const gcsSection = z.strictObject({
    project: z.string().min(1),
    location: z.string().refine((l) => l in GCS_LOCATIONS, {
        error: (iss) =>
            `"${String(iss.input)}" is not a GCS multi-region or predefined dual-region; use one of ${Object.keys(GCS_LOCATIONS).join(", ")}`,
    }),
    /** Lock the tier-3 retention policy (irreversible). Required in prod. */
    lockRetention: z.boolean().default(false),
    /** The AWS account's role that Storage Transfer Service assumes through web identity federation. */
    transferRoleName: z.string().default("fortress-gcs-transfer"),
});

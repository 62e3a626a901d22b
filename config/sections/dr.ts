/**
 * Section `dr` (DR stacks only): the primary it reads, the mode, promotion and the restore
 * source; contradictions between them are rules in config/rules/.
 */
import { z } from "zod";
import { DR_CONFIG_MODES, RESTORE_SOURCES } from "../vocabulary";

export const drSection = z.strictObject({
    /** The primary stack this DR stack reads, `<org>/fortress-dr/<stack>`. */
    primaryStack: z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, 'must be "<organization>/<project>/<stack>"'),
    mode: z.enum(DR_CONFIG_MODES).default("pilot-light"),
    /** The DR region becomes the primary. */
    promote: z.boolean().default(false),
    /** Where a rebuild restores from. */
    restoreFrom: z.enum(RESTORE_SOURCES).default("stream"),
    /** Point-in-time target of a rebuild (ISO 8601 with zone). */
    targetTime: z.iso.datetime({ offset: true }).optional(),
    /** The service mesh and the DR ingress gateway (Istio Helm charts). */
    istio: z
        .strictObject({
            /** Install Istio's charts. Unset: installed on a cluster the stack creates, assumed present on an existing one. */
            install: z.boolean().optional(),
            chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like "1.30.1"').default("1.30.1"),
        })
        .prefault({}),
});

/**
 * Section `notifications`: what `fortress failover` and `fortress restore` tell the alert
 * topics while they run (DR plan: incident notification within 2 minutes, stakeholder updates
 * every 15 minutes; cli/notify.ts).
 *
 * ```yaml
 * fortress-dr:notifications:
 *   enabled: true
 *   updateEverySeconds: 900
 *   incidentDeadlineSeconds: 120
 * ```
 */
import { z } from "zod";

export const notificationsSection = z
    .strictObject({
        enabled: z.boolean().default(true),
        /** Seconds between stakeholder updates while a failover or restore runs. */
        updateEverySeconds: z.number().int().min(60, "at least 60 seconds; the DR plan asks for 900").default(900),
        /** The start notice is retried until this many seconds after the start. */
        incidentDeadlineSeconds: z.number().int().min(10).max(600).default(120),
    })
    .prefault({});

export type NotificationsConfig = z.infer<typeof notificationsSection>;

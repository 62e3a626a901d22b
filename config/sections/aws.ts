/**
 * Section `aws`: the account's deployer and break-glass roles.
 */
import { z } from "zod";

export const awsSection = z
    .strictObject({
        /** The role CI deploys with; the only administrator of the backup keys. */
        deployRoleName: z.string().min(1).default("fortress-dr-deployer"),
        /** The only role that may destroy a backup version (incident use, audited). */
        breakGlassRoleName: z.string().min(1).default("fortress-dr-break-glass"),
    })
    .prefault({});

import type * as aws from "@pulumi/aws";
import type * as gcp from "@pulumi/gcp";
import { CONTROLS } from "../lib/compliance";
import { resourceRule, validateTyped } from "../lib/rule";
import { RESOURCE_TYPES } from "../lib/stack-view";

interface Config {
    /** The shortest deletion window a backup key may have, in days (KMS allows 7-30). */
    readonly minDeletionWindowDays: number;
    /** The longest rotation period (the cryptoperiod), in days. */
    readonly maxRotationDays: number;
}
const DEFAULTS: Config = { minDeletionWindowDays: 30, maxRotationDays: 365 };
const config = (get: () => Partial<Config>): Config => ({ ...DEFAULTS, ...get() });

/** Seconds in a GCP duration string ("7776000s"). */
function durationSeconds(text: unknown): number | undefined {
    const m = typeof text === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(text) : null;
    return m ? Number(m[1]) : undefined;
}

/**
 * Keys that protect backups rotate, and cannot be deleted at short notice: a scheduled
 * deletion must leave the longest window KMS allows (30 days) to notice and cancel it, since
 * deleting the key destroys every backup under it as surely as deleting the backups.
 */
export const kmsKeyRotationAndDeletionWindow = resourceRule({
    name: "kms-key-rotation-and-deletion-window",
    description: "KMS keys rotate (at most yearly) and keep a deletion window of at least 30 days.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.pciCryptoperiod, CONTROLS.pciKeyProtection, CONTROLS.hipaaEncryptionAtRest, CONTROLS.gdprEncryption, CONTROLS.soxRecordIntegrity],
    remediationSteps:
        "aws.kms.Key: enableKeyRotation: true, rotationPeriodInDays <= 365, deletionWindowInDays: 30 (and the same window on aws.kms.ReplicaKey). gcp.kms.CryptoKey: rotationPeriod <= 31536000s, destroyScheduledDuration >= 2592000s.",
    validateResource: [
        validateTyped<aws.kms.KeyArgs>(RESOURCE_TYPES.kmsKey, (key, args, report) => {
            const c = config(() => args.getConfig<Partial<Config>>());
            const spec = key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
            if (spec !== "SYMMETRIC_DEFAULT") return args.notApplicable(`${spec} keys cannot rotate automatically and do not encrypt S3 objects`);
            if (key.enableKeyRotation !== true) report(`kms key ${args.name}: enableKeyRotation is ${key.enableKeyRotation ?? "unset (off)"}; set it to true`);
            if (typeof key.rotationPeriodInDays === "number" && key.rotationPeriodInDays > c.maxRotationDays) {
                report(`kms key ${args.name}: rotationPeriodInDays ${key.rotationPeriodInDays} exceeds the ${c.maxRotationDays}-day cryptoperiod`);
            }
            if (typeof key.deletionWindowInDays === "number" && key.deletionWindowInDays < c.minDeletionWindowDays) {
                report(`kms key ${args.name}: deletionWindowInDays ${key.deletionWindowInDays} is below ${c.minDeletionWindowDays}; a scheduled deletion must leave time to notice and cancel it`);
            }
        }),
        validateTyped<aws.kms.ReplicaKeyArgs>(RESOURCE_TYPES.kmsReplicaKey, (key, args, report) => {
            const c = config(() => args.getConfig<Partial<Config>>());
            // A multi-Region replica rotates with its primary key; only its own deletion window is set here.
            if (typeof key.deletionWindowInDays === "number" && key.deletionWindowInDays < c.minDeletionWindowDays) {
                report(`kms replica key ${args.name}: deletionWindowInDays ${key.deletionWindowInDays} is below ${c.minDeletionWindowDays}`);
            }
        }),
        validateTyped<gcp.kms.CryptoKeyArgs>(RESOURCE_TYPES.gcpCryptoKey, (key, args, report) => {
            const c = config(() => args.getConfig<Partial<Config>>());
            if (key.purpose !== undefined && key.purpose !== "ENCRYPT_DECRYPT") return args.notApplicable(`purpose ${key.purpose} keys do not rotate automatically`);
            const rotation = durationSeconds(key.rotationPeriod);
            if (rotation === undefined) report(`gcp crypto key ${args.name}: no rotationPeriod; set one of at most ${c.maxRotationDays * 86_400}s`);
            else if (rotation > c.maxRotationDays * 86_400) report(`gcp crypto key ${args.name}: rotationPeriod ${key.rotationPeriod} exceeds the ${c.maxRotationDays}-day cryptoperiod`);
            const destroy = durationSeconds(key.destroyScheduledDuration);
            if (destroy !== undefined && destroy < c.minDeletionWindowDays * 86_400) {
                report(`gcp crypto key ${args.name}: destroyScheduledDuration ${key.destroyScheduledDuration} is below ${c.minDeletionWindowDays} days`);
            }
        }),
    ],
    configSchema: {
        properties: {
            minDeletionWindowDays: { type: "integer", minimum: 7, maximum: 30, default: DEFAULTS.minDeletionWindowDays },
            maxRotationDays: { type: "integer", minimum: 90, maximum: 2560, default: DEFAULTS.maxRotationDays },
        },
    },
});

/**
 * Scheduled backup and verification jobs: CronJobs and Velero Schedules, read by their labels
 * (LABEL_KEYS: data class, tier, purpose), exactly. A job without the labels is not counted:
 * the model never guesses what a job is for from its name, command or script.
 */
import { maxIntervalSeconds } from "../../components/core/cron";
import { DATA_CLASS_LABELS, DataClassLabel, LABEL_KEYS, PURPOSE_LABELS, PurposeLabel } from "../../components/core/names";
import { RESOURCE_TYPES, extract } from "../resources";
import type { RecordedResource } from "../../components/core/recorded-resource";

/** Names of the tier definitions (config/sections/tiers.ts). */
export const TIER_DATA_CLASSES = ["database", "redis", "configuration", "secrets"] as const;
export type TierDataClass = (typeof TIER_DATA_CLASSES)[number];

export interface DeclaredScheduledJob {
    readonly kind: "CronJob" | "VeleroSchedule";
    readonly name: string;
    readonly schedule: string;
    readonly worstGapSeconds?: number;
    readonly tier?: "tier1" | "tier2" | "tier3";
    readonly dataClass?: DataClassLabel;
    readonly purpose?: PurposeLabel;
}

function gap(schedule: string): number | undefined {
    try {
        return maxIntervalSeconds(schedule);
    } catch {
        return undefined;
    }
}

function fromLabels(labels: Readonly<Record<string, unknown>>): Pick<DeclaredScheduledJob, "tier" | "dataClass" | "purpose"> {
    const tier = labels[LABEL_KEYS.tier];
    const dataClass = labels[LABEL_KEYS.dataClass];
    const purpose = labels[LABEL_KEYS.purpose];
    return {
        tier: tier === "tier1" || tier === "tier2" || tier === "tier3" ? tier : undefined,
        dataClass: (DATA_CLASS_LABELS as readonly unknown[]).includes(dataClass) ? (dataClass as DataClassLabel) : undefined,
        purpose: (PURPOSE_LABELS as readonly unknown[]).includes(purpose) ? (purpose as PurposeLabel) : undefined,
    };
}

export function scheduledJobs(resources: readonly RecordedResource[]) {
    const read = (kind: DeclaredScheduledJob["kind"]) => (r: RecordedResource): DeclaredScheduledJob | undefined => {
        const p = r.inputs;
        const schedule = p.spec?.schedule;
        if (typeof schedule !== "string") return undefined;
        return { kind, name: String(p.metadata?.name ?? r.name), schedule, worstGapSeconds: gap(schedule), ...fromLabels(p.metadata?.labels ?? {}) };
    };
    const cron = extract(resources, RESOURCE_TYPES.cronJob, read("CronJob"));
    const velero = extract(resources, RESOURCE_TYPES.veleroSchedule, read("VeleroSchedule"));
    return { found: [...cron.found, ...velero.found], unknown: [...cron.unknown, ...velero.unknown] };
}

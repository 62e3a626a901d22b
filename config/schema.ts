/**
 * The whole stack configuration: one zod section per file (config/sections/), composed here.
 * Every key a stack file may set, its type and its default. Defaults come from the platform's
 * DR plan and the recovery objectives table; a stack file overrides them. Cross-field rules
 * are in config/rules/, one per file; validation and error rendering in config/validate.ts.
 */
import { z } from "zod";
import { alertsSection } from "./sections/alerts";
import { awsSection } from "./sections/aws";
import { drSection } from "./sections/dr";
import { endpointsSection } from "./sections/endpoints";
import { erasureSection } from "./sections/erasure";
import { gcsSection } from "./sections/gcs";
import { kubernetesSection } from "./sections/kubernetes";
import { notificationsSection } from "./sections/notifications";
import { objectivesSection, ScenarioObjective } from "./sections/objectives";
import { platformSection } from "./sections/platform";
import { postgresSection } from "./sections/postgres";
import { recoveryTestsSection } from "./sections/recovery-tests";
import { redisSection } from "./sections/redis";
import { regionsSection } from "./sections/regions";
import { servicesSection } from "./sections/services";
import { sloSection } from "./sections/slo";
import { storageSection } from "./sections/storage";
import { tiersSection } from "./sections/tiers";
import { DataClassObjectiveId, ENVIRONMENTS, STACK_ROLES, ScenarioId } from "./vocabulary";

export const configSchema = z
    .strictObject({
        environment: z.enum(ENVIRONMENTS),
        role: z.enum(STACK_ROLES),
        /** Prefix of globally unique names (buckets): `<namePrefix>-<environment>-...`. */
        namePrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/, "must be 3-32 lowercase letters, digits and hyphens").default("pat-fortress"),
        aws: awsSection,
        regions: regionsSection,
        gcs: gcsSection,
        objectives: objectivesSection,
        tiers: tiersSection,
        storage: storageSection,
        kubernetes: kubernetesSection,
        services: servicesSection,
        endpoints: endpointsSection,
        alerts: alertsSection,
        /** The backup-job image (jobs/Dockerfile), pinned by digest in prod. */
        jobImage: z.string().min(1),
        /** The fortress CLI image (cli/Dockerfile): scheduled recovery tests, the DR erasure replay. */
        cliImage: z.string().min(1),
        /** Schedules of the scheduled recovery tests (config/sections/recovery-tests.ts). */
        recoveryTests: recoveryTestsSection,
        postgres: postgresSection,
        redis: redisSection,
        platform: platformSection,
        dr: drSection.optional(),
        /** GDPR Art. 17: per-data-class erasure procedures and the erasure ledger (config/sections/erasure.ts). */
        erasure: erasureSection.optional(),
        /** The backup SLO targets and the rollup and weekly audit schedules (config/sections/slo.ts). */
        slo: sloSection,
        /** Incident notifications and stakeholder updates during a failover or restore (config/sections/notifications.ts). */
        notifications: notificationsSection,
        /** Whether a kubeconfig secret is set; its value never enters this object. */
        hasKubeconfig: z.boolean().default(false),
    });

export type FortressConfigInput = z.input<typeof configSchema>;
/** The config as the schema parses it, before the objectives' defaults are resolved. */
export type ParsedConfig = z.infer<typeof configSchema>;

/** Objectives with the defaults filled in for every scenario and data class. */
export interface ResolvedObjectives {
    readonly scenarios: Readonly<Record<ScenarioId, ScenarioObjective>>;
    readonly dataClasses: Readonly<Record<DataClassObjectiveId, { readonly rpoSeconds: number }>>;
    readonly criticalServicesRtoSeconds: number;
    readonly acceptedRisks: readonly { readonly cell: string; readonly worstSeconds: number; readonly reason: string }[];
}

export type FortressConfig = Omit<ParsedConfig, "objectives"> & { readonly objectives: ResolvedObjectives };

/** The top-level keys a stack file may set under the project namespace. */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(configSchema.shape).filter((k) => k !== "hasKubeconfig"), "kubeconfig"];

/**
 * Builds the objectives model's narrow input from a resolved stack config: the one place that
 * knows both the config schema and the model, so the model imports nothing from stacks/.
 */
import type { DrillReportLike, ObjectivesInput } from "../../objectives";
import type { FortressConfig } from "../../config";
import type { RecordedResource } from "../../components/core/recorded-resource";

export function objectivesInput(stack: string, config: FortressConfig, resources: readonly RecordedResource[], reports: readonly DrillReportLike[] = [], notes: readonly string[] = []): ObjectivesInput {
    return {
        stack,
        environment: config.environment,
        role: config.role,
        objectives: config.objectives,
        services: config.services.map((s) => ({ name: s.name, critical: s.critical })),
        regions: config.regions,
        cluster: config.kubernetes.cluster,
        redis: { maxReplicaLagSeconds: config.redis.maxReplicaLagSeconds },
        ...(config.dr ? { dr: { primaryStack: config.dr.primaryStack, mode: config.dr.mode, promote: config.dr.promote, restoreFrom: config.dr.restoreFrom } } : {}),
        resources,
        reports,
        notes,
    };
}

/**
 * Reading recovery mechanisms out of declared resources: health checks, failover records,
 * probes, the PostgreSQL cluster's Patroni and WAL settings, Sentinel, backup CronJobs,
 * replication. Pure functions over plain records, so the same code reads the plan's mock
 * records and the engine's resources in a policy.
 *
 * Under a real `pulumi preview` some inputs are unknown until the resource exists; the
 * policy SDK throws when one is read. `readKnown` turns that into a value the model can
 * report ("unknown until deployed") instead of aborting the whole table.
 */
import type { RecordedResource } from "../components/core/recorded-resource";


export const RESOURCE_TYPES = Object.freeze({
    bucket: "aws:s3/bucket:Bucket",
    bucketObject: "aws:s3/bucketObjectv2:BucketObjectv2",
    replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    healthCheck: "aws:route53/healthCheck:HealthCheck",
    record: "aws:route53/record:Record",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    eksCluster: "aws:eks/cluster:Cluster",
    guardDuty: "aws:guardduty/detector:Detector",
    eventRule: "aws:cloudwatch/eventRule:EventRule",
    eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
    trail: "aws:cloudtrail/trail:Trail",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    cronJob: "kubernetes:batch/v1:CronJob",
    configMap: "kubernetes:core/v1:ConfigMap",
    pgCluster: "kubernetes:pgv2.percona.com/v2:PerconaPGCluster",
    veleroSchedule: "kubernetes:velero.io/v1:Schedule",
    helmRelease: "kubernetes:helm.sh/v3:Release",
});

/** True for the error the policy SDK throws when a preview-time unknown is read. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof Error && (e.constructor?.name === "UnknownValueError" || /can't be known during preview/.test(e.message));
}

export type Known<V> = { readonly known: true; readonly value: V } | { readonly known: false; readonly why: string };

/** Runs a read that may touch a preview-time unknown. */
export function readKnown<V>(read: () => V): Known<V> {
    try {
        return { known: true, value: read() };
    } catch (e) {
        if (isUnknownValueError(e)) return { known: false, why: (e as Error).message };
        throw e;
    }
}

export const ofType = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type);

/** Reads each resource of a type; resources with unknowns are reported apart. */
export function extract<V>(resources: readonly RecordedResource[], type: string, read: (r: RecordedResource) => V | undefined): { found: V[]; unknown: string[] } {
    const found: V[] = [];
    const unknown: string[] = [];
    for (const r of ofType(resources, type)) {
        const k = readKnown(() => read(r));
        if (!k.known) unknown.push(`${r.type} ${r.name}: ${k.why}`);
        else if (k.value !== undefined) found.push(k.value);
    }
    return { found, unknown };
}

export function count(resources: readonly RecordedResource[], type: string): number {
    return ofType(resources, type).length;
}

/**
 * The lab driver: the recovery primitives on hosts — pgBackRest, PostgreSQL, Redis (snapshots.ts:
 * the platform's own job scripts for the cache, configuration and secrets) and an S3 endpoint —
 * as described by a lab description file (description.ts) that the drills write.
 *
 * Cross-region failover primitives (WAN proxy, Patroni, the region-B standby) are engineer
 * "lab"'s: they go in their own file here and are wired on the `failover` / `traffic` lines below.
 */
import type { StackContext } from "../../stack";
import { S3AuditSink } from "../../audit";
import type { Driver, Tier } from "../types";
import { LabDatabase } from "./database";
import { LabFailover, LabTraffic, parseLabFailover } from "./failover";
import { LabDescription, readLabDescription } from "./description";
import { CloudWatchMetricsSink } from "../../slo-metrics";
import { LabStorage, labS3Client } from "./storage";
import { LabBundle, LabCache } from "./snapshots";
import { labErasureDriver } from "../../erasure/lab";

/** The lab's CloudWatch (moto), when its description has a cloudwatch section. */
export function labMetricsSink(desc: LabDescription): CloudWatchMetricsSink | undefined {
    const cw = desc.cloudwatch;
    return cw ? new CloudWatchMetricsSink({ region: cw.region, endpoint: cw.endpoint, credentials: { accessKeyId: cw.accessKeyId, secretAccessKey: cw.secretAccessKey } }) : undefined;
}

export async function createLabDriver(file: string, stack: StackContext): Promise<Driver> {
    const desc = readLabDescription(file);
    const metrics = labMetricsSink(desc);
    const s3 = labS3Client(desc);
    const storage = new LabStorage(desc, s3);
    const failover = desc.failover !== undefined ? parseLabFailover(desc.failover, file) : undefined;
    const bounds: Partial<Record<Tier, number>> = {};
    for (const [tier, repo] of Object.entries(desc.repos)) if (repo?.maxBackupAgeSeconds !== undefined) bounds[tier as Tier] = repo.maxBackupAgeSeconds;
    return {
        name: "lab",
        describe: `lab: stanza ${desc.pgbackrest.stanza}, PostgreSQL ${desc.postgres.host}:${desc.postgres.port}, repos ${Object.entries(desc.repos).map(([t, r]) => `${t}=repo${r!.repo}`).join(" ")}${desc.s3 ? `, S3 ${desc.s3.endpoint}` : ""}`,
        database: new LabDatabase(desc, storage),
        storage,
        // The snapshot classes exist when the lab describes where they live and what they are.
        cache: desc.redis && desc.snapshots ? new LabCache(desc, s3) : undefined,
        configuration: desc.configuration && desc.snapshots ? new LabBundle("configuration", desc, s3) : undefined,
        secrets: desc.secrets && desc.snapshots ? new LabBundle("secrets", desc, s3) : undefined,
        audit: s3 && desc.s3?.auditBucket ? new S3AuditSink(s3, desc.s3.auditBucket, stack.config.storage.tier3.objectLock.mode) : undefined,
        metrics,
        backupBoundsSeconds: Object.keys(bounds).length ? bounds : undefined,
        erasure: labErasureDriver(desc),
        failover: failover ? new LabFailover(failover) : undefined,
        traffic: failover ? new LabTraffic(failover) : undefined,
        async close() {
            s3?.destroy();
            metrics?.destroy();
        },
    };
}

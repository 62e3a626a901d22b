/**
 * Issue 5's "done when", on the prod stack as `npm run plan -- prod` evaluates it: the Redis
 * StatefulSet and Sentinel, snapshot CronJobs at 5-minute, 15-minute and daily schedules,
 * Velero with its schedules, the Sealed Secrets key backup, the Vault unseal key, the
 * uploads replication and the seven-year log archive — and every Kubernetes object of them
 * valid against its schema.
 */
import * as assert from "assert";
import { maxIntervalSeconds } from "../../../components/core/cron";
import { evaluateStack, PlanResult } from "../../../tools/evaluate";
import { ofType, one } from "../../helpers/pulumi";
import { isCoreKind, kubernetesObjects, validateCoreObject, validateCustomResource } from "./kube-schema";
import { vendoredCrds } from "../../../crds";

describe("prod stack: Redis, configuration, secrets, uploads and logs", () => {
    let prod: PlanResult;
    before(async () => {
        prod = await evaluateStack("prod");
    });

    const cronJobs = (script: string) =>
        ofType(prod.resources, "kubernetes:batch/v1:CronJob").filter((j) => j.inputs.spec.jobTemplate.spec.template.spec.containers[0].command.some((c: string) => c.endsWith(`/${script}`)));

    it("runs Redis as a 3-member StatefulSet with a 3-member Sentinel", () => {
        assert.strictEqual(one(prod.resources, "kubernetes:apps/v1:StatefulSet", "fortress-redis").inputs.spec.replicas, 3);
        assert.strictEqual(one(prod.resources, "kubernetes:apps/v1:StatefulSet", "fortress-redis-sentinel").inputs.spec.replicas, 3);
    });

    it("snapshots Redis every 4 minutes to tier 1, every 15 to tier 2, daily to tier 3, with the job image from config", () => {
        const jobs = cronJobs("redis-snapshot.sh");
        const gaps = Object.fromEntries(jobs.map((j) => [j.inputs.metadata.labels["fortress/tier"], maxIntervalSeconds(j.inputs.spec.schedule)]));
        assert.deepStrictEqual(gaps, { tier1: 240, tier2: 900, tier3: 86_400 });
        for (const j of jobs) {
            assert.strictEqual(j.inputs.spec.jobTemplate.spec.template.spec.containers[0].image, prod.config.jobImage);
            assert.strictEqual(j.inputs.spec.schedule, (prod.config.tiers.redis as any)[j.inputs.metadata.labels["fortress/tier"]].snapshot);
        }
    });

    it("backs up Kubernetes objects with Velero: daily to tier 2 (30-day TTL), weekly to tier 3", () => {
        const schedules = Object.fromEntries(ofType(prod.resources, "kubernetes:velero.io/v1:Schedule").map((s) => [s.inputs.metadata.name, s.inputs.spec]));
        assert.strictEqual(schedules["configuration-daily"].template.ttl, "720h0m0s");
        assert.strictEqual(maxIntervalSeconds(schedules["comprehensive-weekly"].schedule), 7 * 86_400);
        assert.strictEqual(one(prod.resources, "kubernetes:helm.sh/v3:Release", "velero").inputs.version, prod.config.platform.velero.chartVersion);
    });

    it("backs the Sealed Secrets key up to tiers 2 and 3, and keeps a multi-Region Vault unseal key", () => {
        assert.deepStrictEqual(cronJobs("sealed-secrets-key-backup.sh").map((j) => j.inputs.metadata.labels["fortress/tier"]).sort(), ["tier2", "tier3"]);
        assert.deepStrictEqual(cronJobs("vault-raft-snapshot.sh").map((j) => j.inputs.metadata.labels["fortress/tier"]).sort(), ["tier2", "tier3"]);
        assert.strictEqual(one(prod.resources, "aws:kms/key:Key", "vault-unseal").inputs.multiRegion, true);
        assert.strictEqual(one(prod.resources, "aws:kms/replicaKey:ReplicaKey", /^vault-unseal-/).region, prod.config.regions.dr);
    });

    it("replicates uploads to the DR region with RTC and archives logs for seven years under Object Lock", () => {
        const uploads = one(prod.resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "uploads-replication-config").inputs.rules[0];
        assert.strictEqual(uploads.destination.replicationTime.status, "Enabled");
        assert.match(uploads.destination.bucket, new RegExp(`uploads-${prod.config.regions.dr}$`));
        const lock = one(prod.resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "log-archive-object-lock").inputs.rule.defaultRetention;
        assert.deepStrictEqual(lock, { mode: "COMPLIANCE", days: prod.config.storage.complianceRetentionDays });
        one(prod.resources, "aws:cloudtrail/trail:Trail");
    });

    it("every Kubernetes object of the primary stack passes its schema", () => {
        const crds = vendoredCrds("velero-crds.yaml");
        let checked = 0;
        for (const o of kubernetesObjects(prod.resources)) {
            if (o.type.startsWith("kubernetes:velero.io/")) validateCustomResource(o, crds);
            else if (!isCoreKind(o)) continue; // other operators' CRs: their owners' tests validate them
            else validateCoreObject(o);
            checked++;
        }
        assert.ok(checked > 30, `only ${checked} objects checked`);
    });
});

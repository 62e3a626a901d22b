import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RESTORE_ENTRYPOINT, Redis, RedisArgs, RedisSnapshots, RedisSnapshotsArgs, redisServerConfig, sentinelConfig, startRedisScript, startSentinelScript } from "../../../components/redis";
import { maxIntervalSeconds } from "../../../components/core/cron";
import { configSchema } from "../../../config";
import { errorOf, ofType, one, recordResources } from "../../helpers/pulumi";
import { kubernetesObjects, unwrapSecrets, validateCoreObject } from "../platform/kube-schema";

const redisArgs = (over: Partial<RedisArgs> = {}): RedisArgs => ({
    namespace: "fortress",
    image: "valkey/valkey:8.1.3",
    exporterImage: "oliver006/redis_exporter:v1.67.0",
    storageClass: "gp3",
    storageSize: "10Gi",
    maxReplicaLagSeconds: 1,
    ...over,
});

const tiers = configSchema.shape.tiers.parse(undefined);
const target = (tier: string) => ({ bucketName: `acme-${tier}`, region: tier === "tier1" ? "us-east-1" : "us-west-2", writerRoleArn: `arn:aws:iam::123456789012:role/${tier}-writer` });
const snapshotArgs = (over: Partial<RedisSnapshotsArgs> = {}): RedisSnapshotsArgs => ({
    namespace: "fortress",
    jobImage: "ghcr.io/pat-fortress/fortress-backup-job:0.1.0",
    redisHost: "redis.fortress.svc",
    redisPort: 6379,
    redisPasswordSecretName: "redis-password",
    schedules: { tier1: tiers.redis.tier1.snapshot, tier2: tiers.redis.tier2.snapshot, tier3: tiers.redis.tier3.snapshot },
    targets: { tier1: target("tier1"), tier2: target("tier2"), tier3: target("tier3") },
    serviceAccountName: "fortress-backup",
    metricsRegion: "us-east-1",
    ...over,
});

describe("redis/config", () => {
    it("persists with AOF everysec, automatic rewrite, and no diskless-sync delay", () => {
        const lines = redisServerConfig({ port: 6379, dir: "/data" });
        for (const l of ["appendonly yes", "appendfsync everysec", "auto-aof-rewrite-percentage 100", "auto-aof-rewrite-min-size 64mb", "repl-diskless-sync-delay 0", "dir /data"]) {
            assert.ok(lines.includes(l), `missing "${l}"`);
        }
        assert.throws(() => redisServerConfig({ port: 70000, dir: "/d" }), /port 70000 is not a TCP port/);
    });

    it("is a configuration redis-server itself accepts", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-conf-"));
        try {
            const conf = path.join(dir, "redis.conf");
            fs.writeFileSync(conf, redisServerConfig({ port: 6379, dir }).join("\n") + "\n");
            // --test-memory is not it; a config error makes redis-server exit at once with "Bad directive".
            const out = execFileSync("sh", ["-c", `timeout 2 redis-server ${conf} --port 0 --daemonize no 2>&1 || true`], { encoding: "utf8" });
            assert.doesNotMatch(out, /Bad directive|FATAL CONFIG FILE ERROR/, out);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("has Sentinel monitor the primary by hostname with the quorum", () => {
        const lines = sentinelConfig({ port: 26379, masterName: "fortress", initialPrimaryHost: "redis-0.h", redisPort: 6379, quorum: 2, downAfterMilliseconds: 5000, failoverTimeoutMilliseconds: 60000 });
        assert.ok(lines.includes("sentinel monitor fortress redis-0.h 6379 2"));
        assert.ok(lines.includes("sentinel resolve-hostnames yes"));
        assert.throws(() => sentinelConfig({ port: 1, masterName: "m", initialPrimaryHost: "h", redisPort: 1, quorum: 0, downAfterMilliseconds: 1, failoverTimeoutMilliseconds: 1 }), /quorum 0/);
    });

    it("start scripts are valid shell", () => {
        const names = { redisSet: "redis", redisHeadless: "redis-headless", sentinelSet: "redis-sentinel", sentinelHeadless: "redis-sentinel-headless", namespace: "fortress", masterName: "fortress", redisPort: 6379, sentinelPort: 26379, sentinels: 3 };
        for (const script of [startRedisScript(names), startSentinelScript(names)]) {
            execFileSync("sh", ["-n"], { input: script });
        }
        assert.match(startRedisScript(names), /redis-sentinel-2\.redis-sentinel-headless\.fortress\.svc\.cluster\.local/);
    });
});

describe("redis/Redis", () => {
    it("declares a 3-member StatefulSet with volumes, probes and an exporter, Sentinel x3, services and PDBs", async () => {
        const rs = await recordResources(() => {
            new Redis("redis", redisArgs());
        });
        const sts = one(rs, "kubernetes:apps/v1:StatefulSet", "redis").inputs;
        assert.strictEqual(sts.spec.replicas, 3);
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "10Gi");
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "gp3");
        const [redis, exporter] = sts.spec.template.spec.containers;
        assert.strictEqual(redis.image, "valkey/valkey:8.1.3");
        assert.deepStrictEqual(
            [redis.readinessProbe.periodSeconds, redis.readinessProbe.timeoutSeconds, redis.readinessProbe.failureThreshold],
            [10, 5, 3],
            "the architecture's probe settings: 10 s period, 5 s timeout, 3 failures",
        );
        assert.ok(redis.livenessProbe && redis.startupProbe);
        assert.strictEqual(exporter.image, "oliver006/redis_exporter:v1.67.0");

        const sentinel = one(rs, "kubernetes:apps/v1:StatefulSet", "redis-sentinel").inputs;
        assert.strictEqual(sentinel.spec.replicas, 3);
        const config = one(rs, "kubernetes:core/v1:ConfigMap", "redis-config").inputs.data;
        assert.match(config["redis.conf"], /^appendonly yes$/m);
        assert.match(config["redis.conf"], /^appendfsync everysec$/m);
        assert.match(config["sentinel.conf"], /^sentinel monitor fortress redis-0\.redis-headless\.fortress\.svc\.cluster\.local 6379 2$/m);

        const pdbs = ofType(rs, "kubernetes:policy/v1:PodDisruptionBudget");
        assert.deepStrictEqual(pdbs.map((p) => [p.name, p.inputs.spec.minAvailable]).sort(), [["redis", 2], ["redis-sentinel", 2]]);
        assert.deepStrictEqual(ofType(rs, "kubernetes:core/v1:Service").map((s) => s.name).sort(), ["redis", "redis-headless", "redis-sentinel", "redis-sentinel-headless"]);
        const rules = JSON.parse(one(rs, "kubernetes:core/v1:ConfigMap", "redis-alert-rules").inputs.data["redis-replication.rules.json"]);
        assert.match(rules.groups[0].rules[0].expr, /redis_connected_slave_lag_seconds.* > 1$/);
    });

    it("publishes the replicas' lag from a Deployment of the job image when asked", async () => {
        const rs = await recordResources(() => {
            new Redis("redis", redisArgs({ lagPublisher: { jobImage: "job:1", clusterName: "fortress-redis", metricsRegion: "us-west-2", serviceAccountName: "fortress-backup", roleArn: "arn:aws:iam::1:role/m" } }));
        });
        const c = one(rs, "kubernetes:apps/v1:Deployment", "redis-lag").inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual(c.command, ["/opt/fortress/jobs/redis-lag-publisher.sh"]);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.EXPECTED_REPLICAS, "2");
        assert.strictEqual(one(rs, "kubernetes:policy/v1:PodDisruptionBudget", "redis-lag").inputs.spec.minAvailable, 1);
        assert.ok(c.livenessProbe && c.readinessProbe, "a hung publisher is restarted");
        assert.strictEqual(env.SENTINEL_HOST, "redis-sentinel.fortress.svc");
        assert.strictEqual(ofType(await recordResources(() => void new Redis("redis", redisArgs())), "kubernetes:apps/v1:Deployment").length, 0);
    });

    it("restores member 0's empty volume from the newest snapshot when asked (the DR rebuild)", async () => {
        const restore = {
            jobImage: "job:1",
            bucketName: "acme-tier2",
            region: "us-west-2",
            prefixes: ["tier2/redis", "tier1/redis/"],
            readerRoleArn: "arn:aws:iam::1:role/tier2-reader",
            passphrase: "p",
            serviceAccountName: "fortress-restore",
        };
        const rs = await recordResources(() => void new Redis("redis", redisArgs({ restore })));
        const pod = one(rs, "kubernetes:apps/v1:StatefulSet", "redis").inputs.spec.template.spec;
        assert.strictEqual(pod.serviceAccountName, "fortress-restore");
        const init = pod.initContainers[0];
        const env = Object.fromEntries(init.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.BACKUP_PREFIX, "tier2/redis tier1/redis");
        assert.strictEqual(env.AWS_ROLE_ARN, "arn:aws:iam::1:role/tier2-reader");
        assert.strictEqual(env.REDIS_DATA_DIR, "/data");
        for (const o of kubernetesObjects(rs)) validateCoreObject(o);
        const plain = await recordResources(() => void new Redis("redis", redisArgs()));
        assert.strictEqual(one(plain, "kubernetes:apps/v1:StatefulSet", "redis").inputs.spec.template.spec.initContainers, undefined);
    });

    it("the restore entrypoint restores only member 0, and only onto an empty volume", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "redis-restore-entry-"));
        try {
            const script = RESTORE_ENTRYPOINT.replace(/\/data\//g, `${dir}/`).replace("exec /opt/fortress/jobs/redis-restore.sh", "echo RESTORING");
            const runAs = (host: string) => execFileSync("sh", ["-c", script], { env: { ...process.env, HOSTNAME: host }, encoding: "utf8" });
            assert.match(runAs("fortress-redis-1"), /member 1 replicates from member 0/);
            assert.match(runAs("fortress-redis-0"), /RESTORING/);
            fs.writeFileSync(path.join(dir, "dump.rdb"), "x");
            assert.match(runAs("fortress-redis-0"), /the volume holds data; not restoring over it/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("every Kubernetes object it declares passes the Kubernetes schema", async () => {
        const rs = await recordResources(() => {
            new Redis("redis", redisArgs({ lagPublisher: { jobImage: "job:1", clusterName: "c", metricsRegion: "us-west-2", serviceAccountName: "sa", roleArn: "arn:aws:iam::1:role/m" } }));
        });
        const objects = kubernetesObjects(rs);
        assert.ok(objects.length >= 10, `expected the full set of objects, got ${objects.length}`);
        for (const o of objects) validateCoreObject(o);
    });

    it("the schema check catches a broken object (it can fail)", async () => {
        const rs = await recordResources(() => {
            new Redis("redis", redisArgs());
        });
        const sts = one(rs, "kubernetes:apps/v1:StatefulSet", "redis");
        const broken = { ...sts, inputs: { ...sts.inputs, spec: { ...sts.inputs.spec, replicas: "three" } } };
        assert.throws(() => validateCoreObject(broken), /StatefulSet redis fails the Kubernetes schema: .*replicas must be integer/);
    });

    it("rejects an unpinned image and a bad volume size, naming the field", async () => {
        assert.match((await errorOf(() => recordResources(() => void new Redis("redis", redisArgs({ image: "valkey/valkey" }))))).message, /image "valkey\/valkey" has no tag/);
        assert.match((await errorOf(() => recordResources(() => void new Redis("redis", redisArgs({ storageSize: "10GB" }))))).message, /storageSize "10GB" is not a Kubernetes quantity/);
    });
});

describe("redis/RedisSnapshots", () => {
    it("schedules one snapshot CronJob per tier from the tier config: 4 min, 15 min, daily", async () => {
        const rs = await recordResources(() => {
            new RedisSnapshots("redis-snapshot", snapshotArgs());
        });
        const jobs = ofType(rs, "kubernetes:batch/v1:CronJob");
        const byTier = Object.fromEntries(jobs.map((j) => [j.inputs.metadata.labels["fortress/tier"], j.inputs]));
        assert.deepStrictEqual(Object.keys(byTier).sort(), ["tier1", "tier2", "tier3"]);
        assert.strictEqual(maxIntervalSeconds(byTier.tier1.spec.schedule), 240);
        assert.strictEqual(maxIntervalSeconds(byTier.tier2.spec.schedule), 900);
        assert.strictEqual(maxIntervalSeconds(byTier.tier3.spec.schedule), 86_400);
        for (const [tier, job] of Object.entries(byTier) as [string, any][]) {
            assert.strictEqual(job.spec.schedule, (tiers.redis as any)[tier].snapshot, "the schedule is the tier config's, not a copy");
            assert.strictEqual(job.spec.concurrencyPolicy, "Forbid");
            const pod = job.spec.jobTemplate.spec.template.spec;
            const c = pod.containers[0];
            assert.strictEqual(c.image, "ghcr.io/pat-fortress/fortress-backup-job:0.1.0");
            assert.deepStrictEqual(c.command, ["/opt/fortress/jobs/lib/slo-run.sh", "/opt/fortress/jobs/redis-snapshot.sh"]);
            const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
            assert.strictEqual(env.BACKUP_BUCKET, `acme-${tier}`);
            assert.strictEqual(env.BACKUP_PREFIX, `${tier}/redis`);
            assert.strictEqual(env.AWS_ROLE_ARN, `arn:aws:iam::123456789012:role/${tier}-writer`);
            assert.strictEqual(env.BACKUP_KEY_FILE, "/var/run/fortress/backup-key/passphrase");
            assert.strictEqual(env.REDIS_HOST, "redis.fortress.svc");
            assert.strictEqual(env.CLOUDWATCH_REGION, "us-east-1");
            assert.strictEqual(pod.serviceAccountName, "fortress-backup");
            assert.ok(job.spec.jobTemplate.spec.activeDeadlineSeconds < maxIntervalSeconds(job.spec.schedule), "a hung run must end before the next is due");
            validateCoreObject(jobs.find((j) => j.inputs === job)!);
        }
        one(rs, "random:index/randomPassword:RandomPassword", "redis-snapshot-key");
        const secret = one(rs, "kubernetes:core/v1:Secret", "redis-snapshot-key");
        assert.deepStrictEqual(Object.keys(unwrapSecrets(secret.inputs).stringData), ["passphrase"]);
        validateCoreObject(secret);
    });

    it("refuses a tier with a schedule but no bucket", async () => {
        const e = await errorOf(() => recordResources(() => void new RedisSnapshots("s", snapshotArgs({ targets: { tier1: target("tier1") } }))));
        assert.match(e.message, /tier tier2 has a schedule but no target bucket; pass targets.tier2/);
    });
});

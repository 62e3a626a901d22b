/**
 * The recovery drill's lab: a real PostgreSQL primary archiving through pgBackRest into three
 * repos — repo1 (tier 1, a local directory), repo2 (tier 2, a versioned S3 bucket on moto behind
 * stunnel4 TLS) and repo3 (tier 3, an S3 Object Lock bucket) — and the lab description file
 * (cli/drivers/lab/description.ts) through which `fortress --lab` reaches all of it.
 *
 * The snapshot data classes beside it: a Redis master with one replica (AOF on, as production
 * runs), a configuration directory of exported objects, a secrets directory (Sealed Secrets
 * sealing keys and a database password), an encryption passphrase file, and one snapshot bucket
 * per tier (tier 1 its own; tiers 2 and 3 share the pgBackRest buckets under <tier>/redis,
 * <tier>/configuration, <tier>/secrets — the platform's layout).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { LabDescription } from "../../cli/drivers/lab/description";
import { ArchivingPrimary, startArchivingPrimary } from "../lib/pgbackrest-primary";
import { RedisServerTool, requirePrereqs } from "../lib/prereqs";
import { ProcessGroup, freePort, poll } from "../postgres/processes";
import { RespClient } from "../redis/resp";
import { S3Lab, createLockedBucket, createVersionedBucket, startS3Lab } from "../postgres/s3lab";

/** The directory of pg_ctl/initdb: drills/lib/prereqs finds the installed major (never a hard-coded version). */
export function findPgBindir(): string {
    return requirePrereqs(["postgres"]).postgres.binDir;
}

export interface RecoveryLab {
    readonly description: LabDescription;
    readonly descriptionFile: string;
    readonly s3: S3Lab;
    readonly stanza: string;
    readonly pgbackrestConf: string;
    readonly repo1: string;
    /** The Redis master (AOF on) and its replica. */
    readonly redis: { readonly masterPort: number; readonly replicaPort: number; readonly dataDir: string; readonly cli: string };
    readonly snapshotBuckets: { readonly tier1: string; readonly tier2: string; readonly tier3: string };
    /** Starts the Redis master again on its data directory (after the drill stopped it to fence it). */
    startRedisMaster(): Promise<void>;
    stopRedisMaster(): Promise<void>;
    stopPrimary(): Promise<void>;
    startPrimary(): Promise<void>;
    /** Writes a variant of the description (e.g. a stricter lab schedule) beside the main one. */
    writeVariant(name: string, change: (d: LabDescription) => LabDescription): string;
}

/** pgBackRest's S3 repos (tiers 2 and 3); tier 2's and tier 3's snapshots share them. */
const TIER2_BUCKET = "fortress-recovery-tier2";
const TIER3_BUCKET = "fortress-recovery-tier3";
const SNAPSHOT_TIER1_BUCKET = "fortress-recovery-snapshots-tier1";
const SNAPSHOT_BUCKETS = { tier1: SNAPSHOT_TIER1_BUCKET, tier2: TIER2_BUCKET, tier3: TIER3_BUCKET };
/** moto's (and so the lab's) credentials. */
const LAB_KEY = "fortress-lab";

/** A sealing-key Secret as jobs/sealed-secrets-key-backup.sh exports it (server fields stripped). */
const sealingKey = (name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace: "kube-system", labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    data: { "tls.crt": randomBytes(600).toString("base64"), "tls.key": randomBytes(1200).toString("base64") },
});

/** moto behind stunnel4 TLS: the two pgBackRest buckets and tier 1's snapshot bucket. */
async function startBuckets(workDir: string, procs: ProcessGroup): Promise<S3Lab> {
    const s3 = await startS3Lab(path.join(workDir, "s3"), procs, ["tier2", "tier3"]);
    await createVersionedBucket(s3, TIER2_BUCKET, "us-west-2");
    await createLockedBucket(s3, TIER3_BUCKET, "us-east-2", 30);
    await createVersionedBucket(s3, SNAPSHOT_TIER1_BUCKET, "us-west-1");
    return s3;
}

interface RedisPair {
    readonly tool: RedisServerTool;
    /** The client and RDB checker of the same flavour (required here). */
    readonly cli: string;
    readonly checkRdb: string;
    readonly masterPort: number;
    readonly replicaPort: number;
    readonly masterDir: string;
    startRedisMaster(): Promise<void>;
    stopRedisMaster(): Promise<void>;
}

/** Answers PING with PONG on 127.0.0.1:port (undefined while it does not: poll's "not yet"). */
async function redisAnswers(port: number): Promise<true | undefined> {
    const c = await RespClient.connect(port).catch(() => undefined);
    if (!c) return undefined;
    try {
        return (await c.command("PING")) === "PONG" ? true : undefined;
    } finally {
        c.close();
    }
}

/** A Redis master (AOF on, as production runs) and one replica; tools of whichever flavour is installed. */
async function startRedisPair(workDir: string, procs: ProcessGroup): Promise<RedisPair> {
    const redisTool = requirePrereqs(["redis"]).redis;
    if (!redisTool.cli || !redisTool.checkRdb) throw new Error(`${redisTool.flavour}-cli and ${redisTool.flavour}-check-rdb are needed beside ${redisTool.command}`);
    const tool = redisTool;
    const redisDir = path.join(workDir, "redis");
    const masterDir = path.join(redisDir, "master");
    const replicaDir = path.join(redisDir, "replica");
    for (const x of [masterDir, replicaDir]) fs.mkdirSync(x, { recursive: true });
    const masterPort = await freePort();
    const replicaPort = await freePort();
    const redisArgs = (port: number, dir: string) => ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no"];
    const startRedisMaster = async () => {
        procs.start("redis-master", tool.command, redisArgs(masterPort, masterDir), path.join(redisDir, "master.log"));
        await poll(`redis master on 127.0.0.1:${masterPort}`, 30_000, () => redisAnswers(masterPort));
    };
    const stopRedisMaster = async () => {
        const c = await RespClient.connect(masterPort);
        await c.command("SHUTDOWN", "NOSAVE").catch(() => undefined);
        c.close();
        await poll("the redis master to stop listening", 30_000, async () => ((await RespClient.connect(masterPort).then((x) => (x.close(), true)).catch(() => false)) ? undefined : true));
    };
    await startRedisMaster();
    procs.start("redis-replica", tool.command, [...redisArgs(replicaPort, replicaDir), "--replicaof", "127.0.0.1", String(masterPort)], path.join(redisDir, "replica.log"));
    return { tool, cli: redisTool.cli, checkRdb: redisTool.checkRdb, masterPort, replicaPort, masterDir, startRedisMaster, stopRedisMaster };
}

/** Configuration (exported objects) and secrets (sealing keys, a password) on the host, and the snapshots' encryption key. */
function writeConfigurationAndSecrets(workDir: string): { configDir: string; secretsDir: string; keyFile: string } {
    const configDir = path.join(workDir, "configuration");
    fs.mkdirSync(path.join(configDir, "fortress"), { recursive: true });
    fs.writeFileSync(path.join(configDir, "fortress", "deployment-api.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api, namespace: fortress }\nspec: { replicas: 2 }\n");
    fs.writeFileSync(path.join(configDir, "fortress", "configmap-app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app, namespace: fortress }\ndata: { FEATURE_X: \"on\" }\n");
    fs.writeFileSync(path.join(configDir, "namespaces.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: { name: fortress }\n");
    const secretsDir = path.join(workDir, "secrets");
    fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(secretsDir, "sealing-keys.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items: [sealingKey("sealed-secrets-key1"), sealingKey("sealed-secrets-key2")] }, null, 1), { mode: 0o600 });
    fs.writeFileSync(path.join(secretsDir, "db-password"), randomBytes(24).toString("hex"), { mode: 0o600 });
    const keyFile = path.join(workDir, "snapshot.key");
    fs.writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
    return { configDir, secretsDir, keyFile };
}

/** pgBackRest's settings for repo `n` in an S3 bucket behind the lab's TLS endpoint for `tier`. */
function s3RepoSettings(s3: S3Lab, n: number, tier: string, bucket: string, region: string): Record<string, string> {
    return {
        [`repo${n}-type`]: "s3",
        [`repo${n}-path`]: `/pgbackrest/${tier}`,
        [`repo${n}-s3-bucket`]: bucket,
        [`repo${n}-s3-endpoint`]: `localhost:${s3.endpoints[tier].port}`,
        [`repo${n}-s3-region`]: region,
        [`repo${n}-s3-uri-style`]: "path",
        [`repo${n}-s3-key`]: LAB_KEY,
        [`repo${n}-s3-key-secret`]: LAB_KEY,
        [`repo${n}-storage-ca-file`]: s3.caFile,
        [`repo${n}-retention-full`]: "4",
    };
}

/** The primary, archiving into repo1 (a directory) and repos 2 and 3 (S3); stanza created and checked. */
function startPrimary(workDir: string, stanza: string, s3: S3Lab): Promise<ArchivingPrimary> {
    return startArchivingPrimary({
        workDir,
        bindir: findPgBindir(),
        stanza,
        repo1RetentionFull: 4,
        moreRepos: { ...s3RepoSettings(s3, 2, "tier2", TIER2_BUCKET, "us-west-2"), ...s3RepoSettings(s3, 3, "tier3", TIER3_BUCKET, "us-east-2") },
        processMax: 2,
        logLevelFile: "detail",
        // Commit timestamps make the point-in-time check exact.
        moreSettings: [`track_commit_timestamp = on`, `max_wal_size = '256MB'`],
        initialCommands: [["stanza-create"], ["check"]],
    });
}

interface LabParts {
    readonly workDir: string;
    readonly stanza: string;
    readonly metricsRegion: string;
    readonly s3: S3Lab;
    readonly redis: RedisPair;
    readonly files: ReturnType<typeof writeConfigurationAndSecrets>;
    readonly primary: ArchivingPrimary;
}

/** What `fortress --lab` reads (cli/drivers/lab/description.ts). */
function describeLab({ workDir, stanza, metricsRegion, s3, redis, files, primary }: LabParts): LabDescription {
    return {
        schemaVersion: "fortress.lab/v1",
        workDir,
        pgbackrest: { stanza, config: primary.conf },
        postgres: { bindir: primary.bindir, host: "127.0.0.1", port: primary.port, datadir: primary.datadir, user: "postgres", rowCountTables: ["drill_commits"] },
        repos: {
            tier1: { repo: 1, path: primary.repo1 },
            tier2: { repo: 2, bucket: TIER2_BUCKET, path: "/pgbackrest/tier2" },
            tier3: { repo: 3, bucket: TIER3_BUCKET, path: "/pgbackrest/tier3" },
        },
        s3: {
            endpoint: `http://127.0.0.1:${s3.motoPort}`,
            region: "us-east-1",
            accessKeyId: LAB_KEY,
            secretAccessKey: LAB_KEY,
            auditBucket: TIER3_BUCKET,
            buckets: { tier2: TIER2_BUCKET, tier3: TIER3_BUCKET },
        },
        redis: {
            host: "127.0.0.1",
            masterPort: redis.masterPort,
            replicaPorts: [redis.replicaPort],
            dataDir: redis.masterDir,
            server: redis.tool.command,
            cli: redis.cli,
            checkRdb: redis.checkRdb,
            probes: [{ name: "drill-first-key", command: "EXISTS drill:key:1", min: 1 }],
        },
        snapshots: { keyFile: files.keyFile, buckets: { ...SNAPSHOT_BUCKETS } },
        configuration: { dir: files.configDir },
        secrets: { dir: files.secretsDir },
        // moto serves CloudWatch on the same port: the backup SLO runs of backup / dr-test go there.
        cloudwatch: { endpoint: `http://127.0.0.1:${s3.motoPort}`, region: metricsRegion, accessKeyId: LAB_KEY, secretAccessKey: LAB_KEY },
    };
}

/**
 * `metricsRegion`: the region the CLI's backup SLO runs go to in moto's CloudWatch (the stack's
 * DR region, as on the platform).
 */
export async function startRecoveryLab(workDir: string, procs: ProcessGroup, stanza: string, metricsRegion = "us-west-2"): Promise<RecoveryLab> {
    const s3 = await startBuckets(workDir, procs);
    const redis = await startRedisPair(workDir, procs);
    const files = writeConfigurationAndSecrets(workDir);
    const primary = await startPrimary(workDir, stanza, s3);
    const description = describeLab({ workDir, stanza, metricsRegion, s3, redis, files, primary });
    const descriptionFile = path.join(workDir, "lab.json");
    fs.writeFileSync(descriptionFile, JSON.stringify(description, null, 2) + "\n");
    return {
        description,
        descriptionFile,
        s3,
        stanza,
        pgbackrestConf: primary.conf,
        repo1: primary.repo1,
        redis: { masterPort: redis.masterPort, replicaPort: redis.replicaPort, dataDir: redis.masterDir, cli: redis.cli },
        snapshotBuckets: { ...SNAPSHOT_BUCKETS },
        startRedisMaster: redis.startRedisMaster,
        stopRedisMaster: redis.stopRedisMaster,
        stopPrimary: primary.stopPrimary,
        startPrimary: primary.startPrimary,
        writeVariant(name, change) {
            const file = path.join(workDir, `lab-${name}.json`);
            fs.writeFileSync(file, JSON.stringify(change(JSON.parse(JSON.stringify(description)) as LabDescription), null, 2) + "\n");
            return file;
        },
    };
}

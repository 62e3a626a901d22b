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
import { execAsPostgres, mkdirForPostgres } from "../../cli/drivers/lab/exec";
import { pgCtl, query } from "../../cli/drivers/lab/pg";
import { requirePrereqs } from "../lib/prereqs";
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

const ini = (sections: Record<string, Record<string, string>>) =>
    Object.entries(sections)
        .map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join("\n")}\n`)
        .join("\n");

const SNAPSHOT_TIER1_BUCKET = "fortress-recovery-snapshots-tier1";

/** A sealing-key Secret as jobs/sealed-secrets-key-backup.sh exports it (server fields stripped). */
const sealingKey = (name: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name, namespace: "kube-system", labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    data: { "tls.crt": randomBytes(600).toString("base64"), "tls.key": randomBytes(1200).toString("base64") },
});

/**
 * `metricsRegion`: the region the CLI's backup SLO runs go to in moto's CloudWatch (the stack's
 * DR region, as on the platform).
 */
export async function startRecoveryLab(workDir: string, procs: ProcessGroup, stanza: string, metricsRegion = "us-west-2"): Promise<RecoveryLab> {
    fs.chmodSync(workDir, 0o755);
    const d = (name: string, mode = 0o700) => {
        const p = path.join(workDir, name);
        mkdirForPostgres(p, mode);
        return p;
    };
    const bindir = findPgBindir();
    const run = d("run", 0o755);
    const repo1 = d("repo1");
    const logs = d("logs", 0o755);
    const pgbr = d("pgbackrest", 0o755);
    for (const x of ["spool", "lock", "log"]) d(path.join("pgbackrest", x));
    d("restores", 0o755);

    const s3 = await startS3Lab(path.join(workDir, "s3"), procs, ["tier2", "tier3"]);
    await createVersionedBucket(s3, "fortress-recovery-tier2", "us-west-2");
    await createLockedBucket(s3, "fortress-recovery-tier3", "us-east-2", 30);
    await createVersionedBucket(s3, SNAPSHOT_TIER1_BUCKET, "us-west-1");

    // ---- Redis: a master (AOF on) and one replica; tools of whichever flavour is installed.
    const redisTool = requirePrereqs(["redis"]).redis;
    if (!redisTool.cli || !redisTool.checkRdb) throw new Error(`${redisTool.flavour}-cli and ${redisTool.flavour}-check-rdb are needed beside ${redisTool.command}`);
    const redisDir = path.join(workDir, "redis");
    const masterDir = path.join(redisDir, "master");
    const replicaDir = path.join(redisDir, "replica");
    for (const x of [masterDir, replicaDir]) fs.mkdirSync(x, { recursive: true });
    const masterPort = await freePort();
    const replicaPort = await freePort();
    const redisArgs = (port: number, dir: string) => ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--daemonize", "no"];
    const startRedisMaster = async () => {
        procs.start("redis-master", redisTool.command, redisArgs(masterPort, masterDir), path.join(redisDir, "master.log"));
        await poll(`redis master on 127.0.0.1:${masterPort}`, 30_000, async () => {
            const c = await RespClient.connect(masterPort).catch(() => undefined);
            if (!c) return undefined;
            try {
                return (await c.command("PING")) === "PONG" ? true : undefined;
            } finally {
                c.close();
            }
        });
    };
    const stopRedisMaster = async () => {
        const c = await RespClient.connect(masterPort);
        await c.command("SHUTDOWN", "NOSAVE").catch(() => undefined);
        c.close();
        await poll("the redis master to stop listening", 30_000, async () => ((await RespClient.connect(masterPort).then((x) => (x.close(), true)).catch(() => false)) ? undefined : true));
    };
    await startRedisMaster();
    procs.start("redis-replica", redisTool.command, [...redisArgs(replicaPort, replicaDir), "--replicaof", "127.0.0.1", String(masterPort)], path.join(redisDir, "replica.log"));

    // ---- Configuration (exported objects) and secrets (sealing keys, a password) on the host.
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

    const port = await freePort();
    const datadir = path.join(workDir, "pgdata");
    const s3repo = (n: number, tier: string, bucket: string, region: string) => ({
        [`repo${n}-type`]: "s3",
        [`repo${n}-path`]: `/pgbackrest/${tier}`,
        [`repo${n}-s3-bucket`]: bucket,
        [`repo${n}-s3-endpoint`]: `localhost:${s3.endpoints[tier].port}`,
        [`repo${n}-s3-region`]: region,
        [`repo${n}-s3-uri-style`]: "path",
        [`repo${n}-s3-key`]: "fortress-lab",
        [`repo${n}-s3-key-secret`]: "fortress-lab",
        [`repo${n}-storage-ca-file`]: s3.caFile,
        [`repo${n}-retention-full`]: "4",
    });
    const conf = path.join(pgbr, "pgbackrest.conf");
    fs.writeFileSync(
        conf,
        ini({
            global: {
                "repo1-path": repo1,
                "repo1-retention-full": "4",
                ...s3repo(2, "tier2", "fortress-recovery-tier2", "us-west-2"),
                ...s3repo(3, "tier3", "fortress-recovery-tier3", "us-east-2"),
                "start-fast": "y",
                "compress-type": "lz4",
                "process-max": "2",
                "spool-path": path.join(pgbr, "spool"),
                "lock-path": path.join(pgbr, "lock"),
                "log-path": path.join(pgbr, "log"),
                "log-level-console": "warn",
                "log-level-file": "detail",
            },
            [stanza]: { "pg1-path": datadir, "pg1-port": String(port), "pg1-socket-path": run },
        }),
        { mode: 0o644 },
    );
    const deadline = () => Date.now() + 180_000;
    mkdirForPostgres(datadir);
    const init = await execAsPostgres(path.join(bindir, "initdb"), ["-D", datadir, "-A", "trust", "-U", "postgres", "-k", "--no-instructions"], { deadline: deadline() });
    if (init.code !== 0) throw new Error(`initdb: ${init.stderr}`);
    const archive = `pgbackrest --config=${conf} --stanza=${stanza} archive-push %p`;
    fs.appendFileSync(
        path.join(datadir, "postgresql.auto.conf"),
        [
            `port = ${port}`,
            `listen_addresses = '127.0.0.1'`,
            `unix_socket_directories = '${run}'`,
            `wal_level = replica`,
            `archive_mode = on`,
            `archive_command = '${archive}'`,
            // Commit timestamps make the point-in-time check exact.
            `track_commit_timestamp = on`,
            `max_wal_size = '256MB'`,
        ].join("\n") + "\n",
    );
    const logFile = path.join(logs, "primary.log");
    const startPrimary = async () => {
        const r = await pgCtl(bindir, ["-D", datadir, "-l", logFile, "-w", "-t", "120", "start"], deadline());
        if (r.code !== 0) throw new Error(`pg_ctl start: ${r.stderr}${r.stdout}`);
    };
    const stopPrimary = async () => {
        const r = await pgCtl(bindir, ["-D", datadir, "-m", "fast", "-w", "-t", "120", "stop"], deadline());
        if (r.code !== 0) throw new Error(`pg_ctl stop: ${r.stderr}${r.stdout}`);
    };
    fs.chmodSync(logs, 0o777);
    await startPrimary();
    for (const args of [["stanza-create"], ["check"]]) {
        const r = await execAsPostgres("pgbackrest", [`--config=${conf}`, `--stanza=${stanza}`, ...args], { deadline: deadline() });
        if (r.code !== 0) throw new Error(`pgbackrest ${args[0]}: ${r.stderr}${r.stdout}`);
    }
    await query({ host: "127.0.0.1", port, user: "postgres" }, "select 1");

    const description: LabDescription = {
        schemaVersion: "fortress.lab/v1",
        workDir,
        pgbackrest: { stanza, config: conf },
        postgres: { bindir, host: "127.0.0.1", port, datadir, user: "postgres", rowCountTables: ["drill_commits"] },
        repos: {
            tier1: { repo: 1, path: repo1 },
            tier2: { repo: 2, bucket: "fortress-recovery-tier2", path: "/pgbackrest/tier2" },
            tier3: { repo: 3, bucket: "fortress-recovery-tier3", path: "/pgbackrest/tier3" },
        },
        s3: {
            endpoint: `http://127.0.0.1:${s3.motoPort}`,
            region: "us-east-1",
            accessKeyId: "fortress-lab",
            secretAccessKey: "fortress-lab",
            auditBucket: "fortress-recovery-tier3",
            buckets: { tier2: "fortress-recovery-tier2", tier3: "fortress-recovery-tier3" },
        },
        redis: {
            host: "127.0.0.1",
            masterPort,
            replicaPorts: [replicaPort],
            dataDir: masterDir,
            server: redisTool.command,
            cli: redisTool.cli,
            checkRdb: redisTool.checkRdb,
            probes: [{ name: "drill-first-key", command: "EXISTS drill:key:1", min: 1 }],
        },
        snapshots: { keyFile, buckets: { tier1: SNAPSHOT_TIER1_BUCKET, tier2: "fortress-recovery-tier2", tier3: "fortress-recovery-tier3" } },
        configuration: { dir: configDir },
        secrets: { dir: secretsDir },
        // moto serves CloudWatch on the same port: the backup SLO runs of backup / dr-test go there.
        cloudwatch: { endpoint: `http://127.0.0.1:${s3.motoPort}`, region: metricsRegion, accessKeyId: "fortress-lab", secretAccessKey: "fortress-lab" },
    };
    const descriptionFile = path.join(workDir, "lab.json");
    fs.writeFileSync(descriptionFile, JSON.stringify(description, null, 2) + "\n");
    return {
        description,
        descriptionFile,
        s3,
        stanza,
        pgbackrestConf: conf,
        repo1,
        redis: { masterPort, replicaPort, dataDir: masterDir, cli: redisTool.cli },
        snapshotBuckets: { tier1: SNAPSHOT_TIER1_BUCKET, tier2: "fortress-recovery-tier2", tier3: "fortress-recovery-tier3" },
        startRedisMaster,
        stopRedisMaster,
        stopPrimary,
        startPrimary,
        writeVariant(name, change) {
            const file = path.join(workDir, `lab-${name}.json`);
            fs.writeFileSync(file, JSON.stringify(change(JSON.parse(JSON.stringify(description)) as LabDescription), null, 2) + "\n");
            return file;
        },
    };
}

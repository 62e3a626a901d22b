/**
 * The erasure drill's servers: a real PostgreSQL archiving through pgBackRest into a local repo
 * (tier 1), a real Redis with RDB snapshots, and the lab description (cli/drivers/lab/
 * description.ts) through which `fortress restore --lab` reaches them, the ledger and uploads.
 */
import * as fs from "fs";
import * as path from "path";
import type { LabDescription } from "../../cli/drivers/lab/description";
import { execAsPostgres, mkdirForPostgres } from "../../cli/drivers/lab/exec";
import { pgCtl, query } from "../../cli/drivers/lab/pg";
import type { Postgres, RedisServerTool } from "../lib/prereqs";
import { poll } from "../postgres/processes";
import { Managed, ProcessGroup, freePort, sleep } from "../redis/procs";
import { RespClient } from "../redis/resp";
import { LedgerLab, labErasureBlock, labS3Block } from "./ledger-lab";

export const STANZA = "erasure";

export interface ErasureLab {
    readonly descriptionFile: string;
    readonly description: LabDescription;
    readonly pg: { host: string; port: number; user: string };
    readonly redisPort: number;
    readonly redisDir: string;
    readonly conf: string;
    pgbackrest(args: readonly string[]): Promise<{ stdout: string }>;
    redis(): Promise<RespClient>;
    startRedis(): Promise<void>;
    stopRedis(): Promise<void>;
}

const ini = (sections: Record<string, Record<string, string>>) =>
    Object.entries(sections)
        .map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join("\n")}\n`)
        .join("\n");

export async function startErasureLab(workDir: string, procs: ProcessGroup, pg: Postgres, redisTool: RedisServerTool, ledger: LedgerLab, hmacKeyFile: string): Promise<ErasureLab> {
    fs.chmodSync(workDir, 0o755);
    const d = (name: string, mode = 0o700) => {
        const p = path.join(workDir, name);
        mkdirForPostgres(p, mode);
        return p;
    };
    const run = d("run", 0o755);
    const repo1 = d("repo1");
    const logs = d("logs", 0o777);
    const pgbr = d("pgbackrest", 0o755);
    for (const x of ["spool", "lock", "log"]) d(path.join("pgbackrest", x));
    d("restores", 0o755);
    const port = await freePort();
    const datadir = path.join(workDir, "pgdata");
    const conf = path.join(pgbr, "pgbackrest.conf");
    fs.writeFileSync(
        conf,
        ini({
            global: {
                "repo1-path": repo1,
                "repo1-retention-full": "2",
                "start-fast": "y",
                "compress-type": "lz4",
                "spool-path": path.join(pgbr, "spool"),
                "lock-path": path.join(pgbr, "lock"),
                "log-path": path.join(pgbr, "log"),
                "log-level-console": "warn",
                "log-level-file": "info",
            },
            [STANZA]: { "pg1-path": datadir, "pg1-port": String(port), "pg1-socket-path": run },
        }),
        { mode: 0o644 },
    );
    const deadline = () => Date.now() + 180_000;
    mkdirForPostgres(datadir);
    const init = await execAsPostgres(pg.bin("initdb"), ["-D", datadir, "-A", "trust", "-U", "postgres", "-k", "--no-instructions"], { deadline: deadline() });
    if (init.code !== 0) throw new Error(`initdb: ${init.stderr}`);
    fs.appendFileSync(
        path.join(datadir, "postgresql.auto.conf"),
        [
            `port = ${port}`,
            `listen_addresses = '127.0.0.1'`,
            `unix_socket_directories = '${run}'`,
            `wal_level = replica`,
            `archive_mode = on`,
            `archive_command = 'pgbackrest --config=${conf} --stanza=${STANZA} archive-push %p'`,
            `track_commit_timestamp = on`,
        ].join("\n") + "\n",
    );
    const started = await pgCtl(pg.binDir, ["-D", datadir, "-l", path.join(logs, "primary.log"), "-w", "-t", "120", "start"], deadline());
    if (started.code !== 0) throw new Error(`pg_ctl start: ${started.stderr}${started.stdout}`);
    const pgbackrest = async (args: readonly string[]) => {
        const r = await execAsPostgres("pgbackrest", [`--config=${conf}`, `--stanza=${STANZA}`, ...args], { deadline: deadline() });
        if (r.code !== 0) throw new Error(`pgbackrest ${args.join(" ")}: ${r.stderr}${r.stdout}`);
        return r;
    };
    await pgbackrest(["stanza-create"]);
    const target = { host: "127.0.0.1", port, user: "postgres" };
    await query(target, "select 1");

    // Redis: RDB only (the snapshot is the file the drill keeps), in its own directory.
    const redisPort = await freePort();
    const redisDir = path.join(workDir, "redis");
    fs.mkdirSync(redisDir, { recursive: true });
    let server: Managed | undefined;
    const startRedis = async () => {
        server = procs.start("redis", redisTool.command, ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"], path.join(workDir, "redis.log"));
        await poll(`redis-server on 127.0.0.1:${redisPort}`, 30_000, async () => {
            const c = await RespClient.connect(redisPort).catch(() => undefined);
            if (!c) return undefined;
            try {
                return (await c.command("PING")) === "PONG" ? true : undefined;
            } catch {
                return undefined; // still loading the snapshot
            } finally {
                c.close();
            }
        });
    };
    const stopRedis = async () => {
        const c = await RespClient.connect(redisPort);
        await c.command("SHUTDOWN", "NOSAVE").catch(() => undefined);
        c.close();
        if (server) await Promise.race([server.exited, sleep(10_000)]);
    };
    await startRedis();

    const description: LabDescription = {
        schemaVersion: "fortress.lab/v1",
        workDir,
        pgbackrest: { stanza: STANZA, config: conf },
        postgres: { bindir: pg.binDir, host: "127.0.0.1", port, datadir, user: "postgres", rowCountTables: ["app_users", "app_orders"] },
        repos: { tier1: { repo: 1, path: repo1 } },
        s3: labS3Block(ledger),
        redis: { host: "127.0.0.1", masterPort: redisPort, replicaPorts: [] },
        erasure: labErasureBlock(ledger, hmacKeyFile),
    };
    const descriptionFile = path.join(workDir, "lab.json");
    fs.writeFileSync(descriptionFile, JSON.stringify(description, null, 2) + "\n");
    return { descriptionFile, description, pg: target, redisPort, redisDir, conf, pgbackrest, redis: () => RespClient.connect(redisPort), startRedis, stopRedis };
}

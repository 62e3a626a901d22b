/**
 * The erasure drill's servers: a real PostgreSQL archiving through pgBackRest into a local repo
 * (tier 1), a real Redis with RDB snapshots, and the lab description (cli/drivers/lab/
 * description.ts) through which `fortress restore --lab` reaches them, the ledger and uploads.
 */
import * as fs from "fs";
import * as path from "path";
import type { LabDescription } from "../../cli/drivers/lab/description";
import { ArchivingPrimary, startArchivingPrimary } from "../lib/pgbackrest-primary";
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

/** The primary, archiving into repo1 (a local directory); stanza created. */
function startPrimary(workDir: string, pg: Postgres): Promise<ArchivingPrimary> {
    return startArchivingPrimary({
        workDir,
        bindir: pg.binDir,
        stanza: STANZA,
        repo1RetentionFull: 2,
        logLevelFile: "info",
        moreSettings: [`track_commit_timestamp = on`],
        initialCommands: [["stanza-create"]],
    });
}

interface RedisServer {
    readonly redisPort: number;
    readonly redisDir: string;
    startRedis(): Promise<void>;
    stopRedis(): Promise<void>;
}

/** Redis: RDB only (the snapshot is the file the drill keeps), in its own directory. */
async function startRedisServer(workDir: string, procs: ProcessGroup, redisTool: RedisServerTool): Promise<RedisServer> {
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
    return { redisPort, redisDir, startRedis, stopRedis };
}

export async function startErasureLab(workDir: string, procs: ProcessGroup, pg: Postgres, redisTool: RedisServerTool, ledger: LedgerLab, hmacKeyFile: string): Promise<ErasureLab> {
    const primary = await startPrimary(workDir, pg);
    const redis = await startRedisServer(workDir, procs, redisTool);
    const description: LabDescription = {
        schemaVersion: "fortress.lab/v1",
        workDir,
        pgbackrest: { stanza: STANZA, config: primary.conf },
        postgres: { bindir: pg.binDir, host: "127.0.0.1", port: primary.port, datadir: primary.datadir, user: "postgres", rowCountTables: ["app_users", "app_orders"] },
        repos: { tier1: { repo: 1, path: primary.repo1 } },
        s3: labS3Block(ledger),
        redis: { host: "127.0.0.1", masterPort: redis.redisPort, replicaPorts: [] },
        erasure: labErasureBlock(ledger, hmacKeyFile),
    };
    const descriptionFile = path.join(workDir, "lab.json");
    fs.writeFileSync(descriptionFile, JSON.stringify(description, null, 2) + "\n");
    return {
        descriptionFile,
        description,
        pg: primary.target,
        redisPort: redis.redisPort,
        redisDir: redis.redisDir,
        conf: primary.conf,
        pgbackrest: primary.pgbackrest,
        redis: () => RespClient.connect(redis.redisPort),
        startRedis: redis.startRedis,
        stopRedis: redis.stopRedis,
    };
}

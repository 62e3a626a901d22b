/**
 * The Sentinel part of the Redis drill: a primary, two replicas and three Sentinels with the
 * production configuration (components/redis/config.ts), a writer on the primary, SIGKILL of
 * the primary, and what it took until the Sentinels named a replica primary and a write was
 * accepted there — and which acknowledged writes the promoted replica does not hold
 * (replication is asynchronous).
 */
import * as fs from "fs";
import * as path from "path";
import { redisServerConfig, sentinelConfig } from "../../components/redis/config";
import type { DrillCheck, DrillFigure } from "../types";
import { ProcessGroup, freePort, sleep, waitFor } from "./procs";
import { RespClient } from "./resp";

const MASTER = "fortress";
const now = () => performance.timeOrigin + performance.now();

export interface FailoverOptions {
    readonly workDir: string;
    readonly procs: ProcessGroup;
    /** The server binary (redis-server or valkey-server; drills/lib/prereqs finds it). */
    readonly serverCommand: string;
    readonly downAfterMilliseconds: number;
    readonly writesPerSecond: number;
    readonly writeMs: number;
    /** The S1 recovery objective the resumed writes are held to. */
    readonly rtoSeconds: number;
}

export async function sentinelFailover(o: FailoverOptions): Promise<{ figures: DrillFigure[]; checks: DrillCheck[] }> {
    const figures: DrillFigure[] = [];
    const checks: DrillCheck[] = [];
    const dir = path.join(o.workDir, "failover");
    fs.mkdirSync(dir, { recursive: true });
    const dataPorts = [await freePort(), await freePort(), await freePort()];
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    const clients: RespClient[] = [];
    const connect = async (port: number) => {
        const c = await RespClient.connect(port);
        clients.push(c);
        return c;
    };
    const ready = async (port: number) => {
        await waitFor(`redis on ${port}`, 30_000, async () => {
            const c = await RespClient.connect(port);
            try {
                return (await c.command("PING")) === "PONG";
            } finally {
                c.close();
            }
        });
    };

    try {
        const pids: number[] = [];
        for (const [i, port] of dataPorts.entries()) {
            const d = path.join(dir, `member-${i}`);
            fs.mkdirSync(d);
            const conf = path.join(dir, `member-${i}.conf`);
            const lines = [...redisServerConfig({ port, dir: d, bind: "127.0.0.1" }), "daemonize no"];
            if (i > 0) lines.push(`replicaof 127.0.0.1 ${dataPorts[0]}`);
            fs.writeFileSync(conf, lines.join("\n") + "\n");
            pids.push(o.procs.start(`member-${i}`, o.serverCommand, [conf], path.join(dir, `member-${i}.log`)).child.pid!);
            await ready(port);
        }
        for (const [i, port] of sentinelPorts.entries()) {
            const conf = path.join(dir, `sentinel-${i}.conf`);
            const lines = sentinelConfig({
                port,
                masterName: MASTER,
                initialPrimaryHost: "127.0.0.1",
                redisPort: dataPorts[0],
                quorum: 2,
                downAfterMilliseconds: o.downAfterMilliseconds,
                failoverTimeoutMilliseconds: 60_000,
            });
            fs.writeFileSync(conf, [...lines, "bind 127.0.0.1", `dir ${dir}`].join("\n") + "\n");
            o.procs.start(`sentinel-${i}`, o.serverCommand, [conf, "--sentinel"], path.join(dir, `sentinel-${i}.log`));
        }
        const s0 = await (async () => {
            await ready(sentinelPorts[0]);
            return connect(sentinelPorts[0]);
        })();
        await waitFor("every Sentinel to see two replicas and two other Sentinels", 60_000, async () => {
            for (const port of sentinelPorts) {
                const c = await RespClient.connect(port);
                try {
                    const replicas = (await c.command("SENTINEL", "replicas", MASTER)) as unknown[];
                    const peers = (await c.command("SENTINEL", "sentinels", MASTER)) as unknown[];
                    if (replicas.length < 2 || peers.length < 2) return false;
                } finally {
                    c.close();
                }
            }
            return true;
        });

        // Writer on the primary; every acknowledged write is recorded.
        const primary = await connect(dataPorts[0]);
        const acked: number[] = [];
        let stop = false;
        const started = now();
        const writing = (async () => {
            while (!stop) {
                if (acked.length >= Math.floor(((now() - started) / 1000) * o.writesPerSecond)) {
                    await sleep(2);
                    continue;
                }
                const seq = acked.length + 1;
                try {
                    await primary.command("SET", `f:${seq}`, String(seq));
                } catch {
                    return;
                }
                acked.push(seq);
            }
        })();
        await sleep(o.writeMs);

        const killAt = now();
        process.kill(pids[0], "SIGKILL");
        await writing;
        stop = true;

        // Until the Sentinels name another member, then until it accepts a write.
        let promotedPort = 0;
        await waitFor("the Sentinels to promote a replica", 120_000, async () => {
            const addr = (await s0.command("SENTINEL", "get-master-addr-by-name", MASTER)) as string[];
            promotedPort = Number(addr[1]);
            return promotedPort !== dataPorts[0];
        });
        const namedAt = now();
        const promoted = await connect(promotedPort);
        await waitFor("the promoted replica to accept a write", 60_000, async () => (await promoted.command("SET", "f:after-failover", "1")) === "OK");
        const writableAt = now();

        let lost = 0;
        for (let from = 1; from <= acked.length; from += 1000) {
            const keys = acked.slice(from - 1, from - 1 + 1000).map((s) => `f:${s}`);
            const values = (await promoted.command("MGET", ...keys)) as (string | null)[];
            lost += values.filter((v) => v === null).length;
        }
        figures.push(
            { id: "redis.sentinel.failover_seconds", name: "sentinel failover: kill to first write accepted", value: Math.round(writableAt - killAt) / 1000, unit: `s (down-after ${o.downAfterMilliseconds} ms)` },
            { id: "redis.sentinel.new_primary_named_seconds", name: "sentinel failover: kill to new primary named", value: Math.round(namedAt - killAt) / 1000, unit: "s" },
            { id: "redis.sentinel.lost_keys", name: "keys lost in sentinel failover (asynchronous replication)", value: lost, unit: `keys of ${acked.length} acknowledged` },
        );
        checks.push({
            name: "after the primary is killed, Sentinel promotes a replica and writes resume within the S1 recovery objective",
            passed: (writableAt - killAt) / 1000 <= o.rtoSeconds,
            detail: `member on port ${promotedPort} named primary ${Math.round(namedAt - killAt) / 1000} s and writable ${Math.round(writableAt - killAt) / 1000} s after the kill (objective ${o.rtoSeconds} s); ${lost} of ${acked.length} acknowledged writes missing on it`,
        });
    } finally {
        for (const c of clients) c.close();
    }
    return { figures, checks };
}

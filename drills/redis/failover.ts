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

/** The Sentinel set-up: its directory, ports, the data members' pids and every client opened (closed at the end). */
interface SentinelLab {
    readonly dir: string;
    /** Member 0 is the initial primary, 1 and 2 its replicas. */
    readonly dataPorts: readonly number[];
    readonly sentinelPorts: readonly number[];
    readonly pids: number[];
    readonly clients: RespClient[];
}

export async function sentinelFailover(o: FailoverOptions): Promise<{ figures: DrillFigure[]; checks: DrillCheck[] }> {
    const figures: DrillFigure[] = [];
    const checks: DrillCheck[] = [];
    const dir = path.join(o.workDir, "failover");
    fs.mkdirSync(dir, { recursive: true });
    const dataPorts = [await freePort(), await freePort(), await freePort()];
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    const lab: SentinelLab = { dir, dataPorts, sentinelPorts, pids: [], clients: [] };

    try {
        await startMembers(o, lab);
        startSentinels(o, lab);
        const s0 = await sentinelsSettled(lab);
        const { acked, killAt } = await writeThenKillPrimary(o, lab);
        const { promotedPort, namedAt, promoted, writableAt } = await awaitPromotion(lab, s0);
        const lost = await missingWrites(promoted, acked);
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
        for (const c of lab.clients) c.close();
    }
    return { figures, checks };
}

/** A client kept in `lab.clients`, so it is closed when the failover part ends. */
async function connect(lab: SentinelLab, port: number): Promise<RespClient> {
    const c = await RespClient.connect(port);
    lab.clients.push(c);
    return c;
}

/** Waits until the server on `port` answers PING. */
async function ready(port: number): Promise<void> {
    await waitFor(`redis on ${port}`, 30_000, async () => {
        const c = await RespClient.connect(port);
        try {
            return (await c.command("PING")) === "PONG";
        } finally {
            c.close();
        }
    });
}

/** The primary and its two replicas, with the production server settings, each started and answering. */
async function startMembers(o: FailoverOptions, lab: SentinelLab): Promise<void> {
    const { dir, dataPorts } = lab;
    for (const [i, port] of dataPorts.entries()) {
        const d = path.join(dir, `member-${i}`);
        fs.mkdirSync(d);
        const conf = path.join(dir, `member-${i}.conf`);
        const lines = [...redisServerConfig({ port, dir: d, bind: "127.0.0.1" }), "daemonize no"];
        if (i > 0) lines.push(`replicaof 127.0.0.1 ${dataPorts[0]}`);
        fs.writeFileSync(conf, lines.join("\n") + "\n");
        lab.pids.push(o.procs.start(`member-${i}`, o.serverCommand, [conf], path.join(dir, `member-${i}.log`)).child.pid!);
        await ready(port);
    }
}

/** Three Sentinels with the production Sentinel settings, watching member 0. */
function startSentinels(o: FailoverOptions, lab: SentinelLab): void {
    const { dir, dataPorts } = lab;
    for (const [i, port] of lab.sentinelPorts.entries()) {
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
}

/** Waits until every Sentinel sees two replicas and two other Sentinels; returns a client on the first Sentinel. */
async function sentinelsSettled(lab: SentinelLab): Promise<RespClient> {
    await ready(lab.sentinelPorts[0]);
    const s0 = await connect(lab, lab.sentinelPorts[0]);
    await waitFor("every Sentinel to see two replicas and two other Sentinels", 60_000, async () => {
        for (const port of lab.sentinelPorts) {
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
    return s0;
}

/** A writer on the primary (every acknowledged write recorded), then SIGKILL of the primary; returns when the writer noticed. */
async function writeThenKillPrimary(o: FailoverOptions, lab: SentinelLab): Promise<{ acked: number[]; killAt: number }> {
    const primary = await connect(lab, lab.dataPorts[0]);
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
    process.kill(lab.pids[0], "SIGKILL");
    await writing;
    stop = true;
    return { acked, killAt };
}

/** Until the Sentinels name another member, then until it accepts a write. */
async function awaitPromotion(lab: SentinelLab, s0: RespClient): Promise<{ promotedPort: number; namedAt: number; promoted: RespClient; writableAt: number }> {
    let promotedPort = 0;
    await waitFor("the Sentinels to promote a replica", 120_000, async () => {
        const addr = (await s0.command("SENTINEL", "get-master-addr-by-name", MASTER)) as string[];
        promotedPort = Number(addr[1]);
        return promotedPort !== lab.dataPorts[0];
    });
    const namedAt = now();
    const promoted = await connect(lab, promotedPort);
    await waitFor("the promoted replica to accept a write", 60_000, async () => (await promoted.command("SET", "f:after-failover", "1")) === "OK");
    return { promotedPort, namedAt, promoted, writableAt: now() };
}

/** How many acknowledged writes the promoted member does not hold. */
async function missingWrites(promoted: RespClient, acked: readonly number[]): Promise<number> {
    let lost = 0;
    for (let from = 1; from <= acked.length; from += 1000) {
        const keys = acked.slice(from - 1, from - 1 + 1000).map((s) => `f:${s}`);
        const values = (await promoted.command("MGET", ...keys)) as (string | null)[];
        lost += values.filter((v) => v === null).length;
    }
    return lost;
}

/**
 * The lab driver's cross-region failover and traffic primitives, on the two-region lab of
 * drills/lab (Patroni in region A, a Patroni standby cluster in region B, a WAN proxy between
 * them). They read the `failover` section of the lab description, which the failover drill
 * writes.
 *
 * What stands for what:
 *   - the lab's control plane (WanControl, HTTP on 127.0.0.1) is what a regional failover
 *     still has without region A: the DNS answer clients get (Route 53's failover record) and
 *     the cut of region A's links (the record withdrawn, region A's writer role on the tier-2
 *     bucket revoked, the standby's replication from A stopped);
 *   - region A's Patroni REST API, reached through the WAN (`ctl` link), is the operator's
 *     channel to the old primary: when it answers, region A is demoted to a standby cluster of
 *     region B (what `spec.standby.enabled` does to a PerconaPGCluster); under a partition it
 *     does not answer and the fence rests on the cut alone — said so in the evidence.
 * Every answer is read back from the servers; a timeout is reported as such, never as success.
 */
import * as net from "net";
import { z } from "zod";
import { UsageError } from "../../errors";
import { bytesToLsn, lsnToBytes } from "../../parse";
import { rest } from "./http";
import { boundedQuery } from "./pg";
import type { DatabasePositions, FailoverPrimitives, FenceProof, ProbeResult, TrafficPrimitives, Wait } from "../types";

const port = z.number().int().min(1).max(65535);

export const labFailoverSchema = z.strictObject({
    schemaVersion: z.literal("fortress.lab.failover/v1"),
    /** The lab's control plane (DNS answer, link fences). */
    controlPort: port,
    primary: z.strictObject({
        /** Region A's Patroni REST API through the WAN. */
        restPort: port,
        /** Clients' path to region A's primary (a WAN link). */
        clientPort: port,
        /** Links that carry region A's writes out of the region: fenced together. */
        fenceLinks: z.array(z.string().min(1)).min(1),
        /** The link region A's pgBackRest reaches repo2 through. */
        repoLink: z.string().min(1),
    }),
    dr: z.strictObject({
        /** Region B's Patroni members (REST and PostgreSQL ports). */
        members: z.array(z.strictObject({ name: z.string().min(1), pgPort: port, restPort: port })).min(1),
        /** Clients' path to region B's leader (a WAN link). */
        clientPort: port,
        /** Where region A's Patroni follows region B from once demoted (a WAN link into B). */
        followHost: z.string().min(1),
        followPort: port,
    }),
});
export type LabFailoverDescription = z.infer<typeof labFailoverSchema>;

/** Milliseconds left before `wait.deadline`, at most `cap`. */
const left = (wait: Wait, cap: number) => Math.max(100, Math.min(cap, wait.deadline - Date.now()));

/** Region B's queries, named in pg_stat_activity. */
const query = <T extends Record<string, unknown>>(p: number, sql: string, timeoutMs: number) => boundedQuery<T>(p, sql, [], timeoutMs, "fortress-failover");

/**
 * What a TCP connect to `p` meets within `ms`: "closed" (refused or closed at once: a fence),
 * "silent" (accepted, nothing comes back: a partition) or "open" (a server spoke or waits for us
 * and the connection stays up — told apart by the caller's own protocol check).
 */
export function tcpProbe(p: number, ms: number): Promise<"closed" | "silent"> {
    return new Promise((resolve) => {
        const s = net.createConnection({ host: "127.0.0.1", port: p });
        const done = (r: "closed" | "silent") => {
            clearTimeout(timer);
            s.destroy();
            resolve(r);
        };
        const timer = setTimeout(() => done("silent"), ms);
        s.on("error", () => done("closed"));
        s.on("close", () => done("closed"));
    });
}

export class LabFailover implements FailoverPrimitives {
    constructor(readonly d: LabFailoverDescription) {}

    /** Region B's member that holds its cluster's leader key (standby leader, or leader once promoted). */
    async drLeader(wait: Wait): Promise<{ name: string; pgPort: number; restPort: number }> {
        for (const m of this.d.dr.members) {
            const r = await rest(m.restPort, "GET", "/leader", undefined, left(wait, 2000));
            if (r.status === 200) return m;
        }
        throw new Error(`region B: no member holds the leader key (asked ${this.d.dr.members.map((m) => `${m.name} REST :${m.restPort}`).join(", ")})`);
    }

    /** Region A's primary write position through its Patroni REST API, if it answers in time. */
    async primaryLsn(wait: Wait, ms = 2000): Promise<{ lsn?: string; role?: string; detail: string }> {
        const r = await rest(this.d.primary.restPort, "GET", "/patroni", undefined, left(wait, ms));
        if (r.status === 0) return { detail: `region A's Patroni REST API did not answer (${r.body})` };
        try {
            const j = JSON.parse(r.body) as { role?: string; xlog?: { location?: number; received_location?: number } };
            const loc = j.xlog?.location ?? j.xlog?.received_location;
            return { lsn: loc !== undefined ? bytesToLsn(loc) : undefined, role: j.role, detail: `region A answered: role ${j.role}, position ${loc !== undefined ? bytesToLsn(loc) : "unknown"}` };
        } catch {
            return { detail: `region A's Patroni REST API answered ${r.status} without JSON` };
        }
    }

    async positions(wait: Wait): Promise<DatabasePositions> {
        const b = await this.drLeader(wait);
        const [s] = await query<{ received: string | null; replayed: string | null; replay_at: Date | null; sent_at: Date | null; receipt_at: Date | null; status: string | null; now: Date }>(
            b.pgPort,
            `select pg_last_wal_receive_lsn()::text as received, pg_last_wal_replay_lsn()::text as replayed, pg_last_xact_replay_timestamp() as replay_at,
                    r.last_msg_send_time as sent_at, r.last_msg_receipt_time as receipt_at, r.status, clock_timestamp() as now
               from (select 1) x left join pg_stat_wal_receiver r on true`,
            left(wait, 5000),
        );
        const a = await this.primaryLsn(wait);
        // The loss a promotion now would cause, seen from region B: everything region A committed
        // after the newest commit B holds. While B still hears from A, that is the time from that
        // commit to B's last message from A; once B has lost A, nobody knows when A stopped, so
        // the bound is the time since that commit — it grows until someone decides.
        let lag: number | undefined;
        if (s.replay_at) {
            const until = s.status === "streaming" && s.receipt_at ? s.receipt_at : s.now;
            lag = Math.max(0, (until.getTime() - s.replay_at.getTime()) / 1000);
        }
        return {
            ...(a.lsn ? { primaryWriteLsn: a.lsn } : {}),
            archived: {},
            standby: {
                ...(s.received ? { flushLsn: s.received } : {}),
                ...(s.replayed ? { replayLsn: s.replayed } : {}),
                ...(lag !== undefined ? { replayLagSeconds: Math.round(lag * 1000) / 1000 } : {}),
                ...(s.replay_at ? { lastReplayAt: s.replay_at } : {}),
            },
        };
    }

    async drCapacity(wait: Wait): Promise<ProbeResult> {
        const b = await this.drLeader(wait).catch((e: Error) => e);
        if (b instanceof Error) return { name: "dr-capacity", ok: false, detail: b.message };
        const h = await rest(b.restPort, "GET", "/health", undefined, left(wait, 2000));
        return { name: "dr-capacity", ok: h.status === 200, detail: `region B: ${this.d.dr.members.length} member(s); leader ${b.name} ${h.status === 200 ? "running" : `not healthy (${h.status})`}` };
    }

    private async control(method: string, path: string, wait: Wait): Promise<{ dns: string; links: Record<string, { partitioned: boolean; fenced: boolean; port: number }> }> {
        const r = await rest(this.d.controlPort, method, path, undefined, left(wait, 3000));
        if (r.status !== 200) throw new Error(`lab control plane ${method} ${path}: ${r.status} ${r.body}`);
        return JSON.parse(r.body);
    }

    /**
     * Demotes region A to a standby cluster following region B (Patroni's standby_cluster in its
     * dynamic configuration: the leader restarts read-only). Needs region A's REST API to answer.
     */
    async demotePrimary(wait: Wait, ms = 3000): Promise<{ ok: boolean; detail: string }> {
        const body = { standby_cluster: { host: this.d.dr.followHost, port: this.d.dr.followPort, create_replica_methods: ["basebackup"] } };
        const r = await rest(this.d.primary.restPort, "PATCH", "/config", body, left(wait, ms));
        if (r.status !== 200) return { ok: false, detail: `demotion of region A not delivered: ${r.status === 0 ? r.body : `${r.status} ${r.body.slice(0, 200)}`}` };
        return { ok: true, detail: `region A's Patroni configured as a standby cluster of region B (${this.d.dr.followHost}:${this.d.dr.followPort})` };
    }

    async fencePrimary(wait: Wait): Promise<FenceProof> {
        const evidence: string[] = [];
        // Reachable: demote first and let region B receive A's last WAL, so nothing acknowledged is left behind.
        const demote = await this.demotePrimary(wait);
        evidence.push(demote.detail);
        let fencedAtLsn: string | undefined;
        if (demote.ok) {
            const deadline = Math.min(wait.deadline, Date.now() + 60_000);
            for (;;) {
                const a = await this.primaryLsn(wait);
                if (a.role && a.role !== "master" && a.role !== "primary") {
                    fencedAtLsn = a.lsn;
                    evidence.push(`region A's leader now ${a.role} at ${a.lsn ?? "unknown"}`);
                    break;
                }
                if (Date.now() > deadline) throw new Error(`region A did not leave the primary role within 60 s of its demotion (${a.detail})`);
                await new Promise((r) => setTimeout(r, 500));
            }
        }
        for (const link of this.d.primary.fenceLinks) await this.control("POST", `/fence?link=${encodeURIComponent(link)}`, wait);
        evidence.push(`links cut by the control plane: ${this.d.primary.fenceLinks.join(", ")} (clients' DNS path to A, A's writes to repo2, B's replication from A)`);
        return { writesStopped: true, repoWritesStopped: true, ...(fencedAtLsn ? { fencedAtLsn } : {}), evidence };
    }

    async proveFenced(wait: Wait): Promise<FenceProof> {
        const evidence: string[] = [];
        const state = await this.control("GET", "/state", wait);
        const client = await tcpProbe(this.d.primary.clientPort, left(wait, 2000));
        const repo = await tcpProbe(state.links[this.d.primary.repoLink]?.port ?? 0, left(wait, 2000));
        let writesStopped = client === "closed";
        evidence.push(`clients' path to region A: ${client === "closed" ? "closed at once (fenced)" : "accepted without an answer"}`);
        const a = await this.primaryLsn(wait);
        if (a.role) {
            const readOnly = a.role !== "master" && a.role !== "primary";
            evidence.push(`region A reachable: leader role ${a.role}${readOnly ? " (read-only)" : " — still a primary inside its region"}`);
            writesStopped = writesStopped && state.links[this.d.primary.fenceLinks[0]]?.fenced === true;
        } else {
            evidence.push(`region A unreachable (${a.detail}): its in-region writes cannot reach clients or region B while the cut holds`);
        }
        const repoWritesStopped = repo === "closed" && state.links[this.d.primary.repoLink]?.fenced === true;
        evidence.push(`region A's path to repo2: ${repo === "closed" ? "closed at once (fenced)" : "accepted without an answer"}`);
        return { writesStopped, repoWritesStopped, ...(a.lsn && a.role !== "master" && a.role !== "primary" ? { fencedAtLsn: a.lsn } : {}), evidence };
    }

    async promoteStandby(minLsn: string | undefined, wait: Wait): Promise<{ readonly promotedAtLsn: string; readonly timeline: number; readonly evidence: readonly string[] }> {
        const b = await this.drLeader(wait);
        const evidence: string[] = [];
        // Replay everything received before the promotion ends recovery.
        let replayed = "";
        for (;;) {
            const [r] = await query<{ received: string | null; replayed: string | null }>(b.pgPort, "select pg_last_wal_receive_lsn()::text as received, pg_last_wal_replay_lsn()::text as replayed", left(wait, 5000));
            replayed = r.replayed ?? "0/0";
            if (!r.received || lsnToBytes(replayed) >= lsnToBytes(r.received)) break;
            if (Date.now() > wait.deadline) throw new Error(`region B did not replay what it received (${replayed} of ${r.received}) before the deadline`);
            await new Promise((res) => setTimeout(res, 200));
        }
        if (minLsn && lsnToBytes(replayed) < lsnToBytes(minLsn)) throw new Error(`region B holds WAL up to ${replayed}, short of the fenced position ${minLsn}: promoting would lose acknowledged commits`);
        evidence.push(`region B replayed up to ${replayed}`);
        const r = await rest(b.restPort, "PATCH", "/config", { standby_cluster: null }, left(wait, 5000));
        if (r.status !== 200) throw new Error(`region B's Patroni refused to leave standby mode: ${r.status} ${r.body.slice(0, 300)}`);
        evidence.push("region B's Patroni: standby_cluster removed from the dynamic configuration");
        let timeline = 0;
        for (;;) {
            const rows = await query<{ rec: boolean; wal: string }>(b.pgPort, "select pg_is_in_recovery() as rec, case when pg_is_in_recovery() then '' else pg_walfile_name(pg_current_wal_lsn()) end as wal", left(wait, 5000)).catch(() => []);
            if (rows[0] && !rows[0].rec) {
                timeline = parseInt(rows[0].wal.slice(0, 8), 16);
                break;
            }
            if (Date.now() > wait.deadline) throw new Error(`region B's leader ${b.name} still in recovery at the deadline`);
            await new Promise((res) => setTimeout(res, 200));
        }
        evidence.push(`region B's leader ${b.name} left recovery on timeline ${timeline}`);
        return { promotedAtLsn: replayed, timeline, evidence };
    }
}

export class LabTraffic implements TrafficPrimitives {
    constructor(readonly d: LabFailoverDescription) {}

    async switchTo(region: "primary" | "dr", wait: Wait): Promise<readonly string[]> {
        const active = region === "dr" ? "B" : "A";
        const r = await rest(this.d.controlPort, "POST", `/dns?active=${active}`, undefined, left(wait, 3000));
        if (r.status !== 200) throw new Error(`lab DNS: ${r.status} ${r.body}`);
        return [`lab DNS answer for the clients' entry point: region ${active}`];
    }

    async confirm(region: "primary" | "dr", wait: Wait): Promise<ProbeResult> {
        const r = await rest(this.d.controlPort, "GET", "/state", undefined, left(wait, 3000));
        const dns = r.status === 200 ? (JSON.parse(r.body) as { dns: string }).dns : "unknown";
        const want = region === "dr" ? "B" : "A";
        const p = region === "dr" ? this.d.dr.clientPort : this.d.primary.clientPort;
        const rows = await query<{ rec: boolean }>(p, "select pg_is_in_recovery() as rec", left(wait, 5000)).catch((e: Error) => e);
        const writable = !(rows instanceof Error) && rows[0]?.rec === false;
        return {
            name: "traffic",
            ok: dns === want && writable,
            detail: `DNS answers region ${dns}; clients' path to region ${want}: ${rows instanceof Error ? rows.message : writable ? "a writable primary" : "read-only"}`,
        };
    }
}

/** Parses the lab description's `failover` section; one error naming the field. */
export function parseLabFailover(section: unknown, file: string): LabFailoverDescription {
    const r = labFailoverSchema.safeParse(section);
    if (!r.success) {
        const i = r.error.issues[0];
        throw new UsageError(`--lab ${file}: failover.${i.path.join(".")}: ${i.message}`);
    }
    return r.data;
}

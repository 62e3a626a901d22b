/**
 * The failover drill, on the two-region lab (drills/lab): region A runs Patroni with three
 * PostgreSQL members and etcd, region B a Patroni standby cluster streaming through a WAN
 * proxy with a one-way delay; both configured from the functions the stacks use.
 *
 *  1. WAN: the delay the proxy really adds, measured.
 *  2. In-region, SIGKILL: region A's leader node dies (Patroni, postmaster, backends, archiver
 *     at once) under pgbench load and a ledger writer; acknowledged commits lost, seconds to the
 *     first write the new leader accepts, and the old node rejoining as a replica (timeline,
 *     position, data identical).
 *  3. In-region, SIGSTOP: the leader node hangs instead (every process frozen), then thaws.
 *  4. Standby lag under load: region B's replay lag across the WAN, in seconds and bytes.
 *  5. Regional: region A is partitioned (black hole) under load, just after an erasure request
 *     was recorded to the erasure ledger (the erasure drill's S3 lab); `fortress failover` on
 *     the lab driver (cli/drivers/lab/failover.ts) runs every step itself: fence region A,
 *     prove it, promote region B, replay the erasure ledger into B, switch the lab DNS, confirm,
 *     report the loss window — its exit code, JSON output and audit record are checked; the
 *     dry-run prediction before, the real loss and its window (acknowledged-writes ledger)
 *     after, the time from the partition to the first write region B accepts; after the link
 *     heals, proof that nothing region A accepted is visible to clients and that region A takes
 *     no more writes.
 *  6. Redis: Sentinel failover in region A, and the cache's loss at the regional failover — the
 *     newest tier-2 snapshot's age at the partition, restored in region B.
 */
import * as fs from "fs";
import * as path from "path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { AuditRecord } from "../../cli/audit";
import type { LabDescription } from "../../cli/drivers/lab/description";
import { LabFailover, LabFailoverDescription } from "../../cli/drivers/lab/failover";
import { labErasurePrimitives } from "../../cli/erasure/lab-primitives";
import { LedgerEntry, subjectHmac, subjectRef } from "../../cli/erasure/ledger-format";
import { remainingOf } from "../../cli/erasure/replay";
import { proceduresOf } from "../../cli/erasure/step";
import { expectedLossSeconds } from "../../cli/commands/failover";
import type { DatabasePositions, Wait } from "../../cli/drivers/types";
import { FortressConfig, loadStackConfig } from "../../config";
import { Lab, Member } from "../lab/lab";
import { LEDGER_TABLE, LedgerAck, LedgerWriter, lostWrites } from "../lab/ledger";
import { lsnBytes, pgQuery, rest } from "../lab/pg";
import { Check, DrillSizes, Fig, beginDrill, drillReport, prodConfig, removeWorkDirIfPassed } from "../lib/drill-setup";
import { prereqVersions, requirePrereqs } from "../lib/prereqs";
import { GroupProcess } from "../lab/procs";
import { DEFAULT_DELAY_MS, WanControl, measureAddedDelay } from "../lab/wan";
import { poll } from "../postgres/processes";
import { ORDERS_PER_USER, putUploads, seedApp } from "../erasure/app";
import { LedgerLab, labErasureBlock, labS3Block, recordToLedger, startLedgerLab, writeHmacKey } from "../erasure/ledger-lab";
import { runScript, sleep } from "../redis/procs";
import type { Drill, DrillOptions, DrillReport } from "../types";
import { redisScenarios } from "./redis";


interface Sizes {
    /** Ledger writes per second in region A (in-region drills). */
    readonly writerPerSecond: number;
    /** pgbench transactions per second (rate-limited: two cores are shared). */
    readonly pgbenchTps: number;
    /** Writing before the fault. */
    readonly warmupSeconds: number;
    /** Load before the partition, over which the standby lag is sampled. */
    readonly lagSeconds: number;
    /** From the partition to the operator's decision to fail over (the lab's stand-in for detection). */
    readonly decisionSeconds: number;
}

const SIZES: DrillSizes<Sizes> = { quick: { writerPerSecond: 20, pgbenchTps: 60, warmupSeconds: 4, lagSeconds: 15, decisionSeconds: 5 }, full: { writerPerSecond: 20, pgbenchTps: 150, warmupSeconds: 15, lagSeconds: 90, decisionSeconds: 15 } };

const s1 = (ms: number) => Math.round(ms / 100) / 10;
const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const waitFor = (ms: number): Wait => ({ deadline: Date.now() + ms });

const ROOT = path.resolve(__dirname, "..", "..");

const drillStart = Date.now();
/** One progress line per phase, so a slow phase shows in CI's log. */
const progress = (what: string) => console.log(`[failover +${Math.round((Date.now() - drillStart) / 1000)} s] ${what}`);

/** Ledger ids per scenario never overlap. */
const ID_BASE = { kill: 1_000_000, stop: 2_000_000, regional: 3_000_000, local: 4_000_000 } as const;

async function idsOn(port: number, writer: string): Promise<Set<number>> {
    const rows = await pgQuery<{ id: string }>(port, `select id from ${LEDGER_TABLE} where writer = $1`, [writer], 30_000);
    return new Set(rows.map((r) => Number(r.id)));
}

/** Timeline of a server from its current WAL file name (primary) or its WAL receiver (replica). */
async function timelineOf(port: number): Promise<number> {
    const [r] = await pgQuery<{ tli: string }>(
        port,
        "select case when pg_is_in_recovery() then coalesce((select received_tli from pg_stat_wal_receiver)::text, (select timeline_id from pg_control_checkpoint())::text) else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)) end as tli",
    );
    return r.tli.startsWith("x") ? parseInt(r.tli.slice(1), 16) : Number(r.tli);
}

/** Count and digest of every ledger row: two servers with equal digests hold the same rows. */
async function ledgerDigest(port: number): Promise<string> {
    const [r] = await pgQuery<{ n: string; d: string | null }>(port, `select count(*) as n, md5(string_agg(id::text || ':' || writer, ',' order by id)) as d from ${LEDGER_TABLE}`, [], 30_000);
    return `${r.n} rows, md5 ${r.d ?? "-"}`;
}

/** Waits until region A has every member streaming and one synchronous (and B streaming), as before a drill. */
async function clusterSettled(lab: Lab, timeoutMs: number): Promise<Member> {
    const n = lab.regionA.members.length;
    return poll("region A: a leader, every other member streaming, one synchronous, region B streaming", timeoutMs, async () => {
        const l = await lab.leader(lab.regionA);
        if (!l) return undefined;
        const rows = await pgQuery<{ a: string; sync: string; b: string }>(
            l.pgPort,
            "select count(*) filter (where application_name like 'a%' and state = 'streaming') as a, count(*) filter (where sync_state = 'sync') as sync, count(*) filter (where application_name = 'b0' and state = 'streaming') as b from pg_stat_replication",
        );
        return Number(rows[0].a) >= n - 1 && Number(rows[0].sync) >= 1 && Number(rows[0].b) >= 1 ? l : undefined;
    }, 500);
}

function startPgbench(lab: Lab, name: string, port: number, tps: number, seconds: number): GroupProcess {
    const [file, args] = [`${lab.o.pgBin}/pgbench`, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-n", "-c", "2", "-j", "1", "-R", String(tps), "-T", String(seconds), "postgres"]];
    return lab.procs.start(name, file, args, lab.dir(`${name}.log`), { ...process.env, PGAPPNAME: name });
}

// ------------------------------------------------------------------------------------------------
// In-region failover

/** A ledger writer to region A's current leader (whoever holds the leader key when it writes). */
function leaderWriter(lab: Lab, name: string, perSecond: number, idBase: number, labelPrefix = "", timeoutMs?: number): LedgerWriter {
    const target = async () => {
        const m = await lab.leader(lab.regionA, 1000);
        return m ? { port: m.pgPort, label: `${labelPrefix}${m.name}` } : undefined;
    };
    return timeoutMs === undefined ? new LedgerWriter(name, target, perSecond, lab.dir(`${name}.acks`), idBase) : new LedgerWriter(name, target, perSecond, lab.dir(`${name}.acks`), idBase, timeoutMs);
}

/** After an in-region fault, the old leader rejoins as a replica: on the leader's timeline, caught up, with the same rows. */
async function checkRejoin(lab: Lab, old: Member, rejoinFrom: number, mode: "kill" | "stop", fig: Fig, check: Check): Promise<void> {
    const A = lab.regionA;
    const label = mode === "kill" ? "SIGKILL" : "SIGSTOP";
    const rejoined = await poll(`${old.name} to rejoin as a streaming replica`, 240_000, async () => {
        const r = await rest(old.restPort, "GET", "/replica", undefined, 1500);
        if (r.status !== 200) return undefined;
        const l = await lab.leader(A, 1000);
        if (!l) return undefined;
        const [lt, ot] = [await timelineOf(l.pgPort), await timelineOf(old.pgPort)];
        const [{ lsn }] = await pgQuery<{ lsn: string }>(l.pgPort, "select pg_current_wal_lsn()::text as lsn");
        const [{ replay }] = await pgQuery<{ replay: string | null }>(old.pgPort, "select pg_last_wal_replay_lsn()::text as replay");
        return lt === ot && replay && lsnBytes(replay) >= lsnBytes(lsn) ? { leader: l, timeline: lt } : undefined;
    }, 500);
    const rejoinSeconds = s1(Date.now() - rejoinFrom);
    const [dl, dold] = [await ledgerDigest(rejoined.leader.pgPort), await ledgerDigest(old.pgPort)];
    const log = fs.readFileSync(path.join(old.baseDir, "patroni.log"), "utf8");
    const rewound = /pg_rewind|rewind/i.test(log.slice(-200_000));
    fig(`failover.inregion.${mode}.rejoin_seconds`, `${label}: old leader back to a caught-up replica after its return`, rejoinSeconds, "s");
    check(
        `in-region ${label}: the old leader rejoins as a replica without diverging`,
        dl === dold,
        `${old.name} streams from ${rejoined.leader.name} on timeline ${rejoined.timeline}, replayed up to the leader's position; ledger on the leader ${dl}, on ${old.name} ${dold}; ${rewound ? "Patroni's log mentions pg_rewind" : "no pg_rewind needed"}`,
    );
}

async function inRegion(lab: Lab, mode: "kill" | "stop", sizes: Sizes, rtoObjective: number, fig: Fig, check: Check): Promise<{ lost: number; rto: number }> {
    const A = lab.regionA;
    const old = await clusterSettled(lab, 240_000);
    const label = mode === "kill" ? "SIGKILL" : "SIGSTOP";
    const writerName = `inregion-${mode}`;
    const writer = leaderWriter(lab, writerName, sizes.writerPerSecond, ID_BASE[mode]);
    const bench = startPgbench(lab, `pgbench-${mode}`, old.pgPort, sizes.pgbenchTps, 600);
    writer.start();
    await sleep(sizes.warmupSeconds * 1000);
    const acksBefore = writer.acks.length;
    const t0 = Date.now();
    if (mode === "kill") await lab.killMember(old);
    else lab.freezeMember(old);
    let rejoinFrom = 0;
    try {
        const newLeader = await poll(`a new leader in region A after ${label} of ${old.name}`, 180_000, async () => {
            const m = await lab.leader(A, 1000);
            return m && m !== old ? m : undefined;
        }, 250);
        const promotedAt = Date.now();
        const first = await poll(`the first write accepted by the new leader ${newLeader.name}`, 120_000, async () => writer.acks.find((a) => a.at > t0 && a.via !== old.name), 100);
        await sleep(3000);
        // The old node comes back: a restarted node (after SIGKILL) or a thawed one (after SIGSTOP).
        rejoinFrom = Date.now();
        if (mode === "kill") lab.startMember(A, old);
        else lab.thawMember(old);
        // Keep writing through the return: a thawed old leader must not take an acknowledged write.
        await sleep(5000);
        await writer.stop();
        await lab.procs.kill(bench);

        const rto = (first.at - t0) / 1000;
        const leaderNow = (await lab.leader(A)) ?? newLeader;
        const present = await idsOn(leaderNow.pgPort, writerName);
        const { lost } = lostWrites(writer.acks, present);
        const viaOld = writer.acks.filter((a) => a.at > t0 && a.via === old.name);
        fig(`failover.inregion.${mode}.lost_commits`, `${label}: acknowledged commits lost`, lost.length, `commits of ${writer.acks.length}`);
        fig(`failover.inregion.${mode}.rto_seconds`, `${label}: fault to first write accepted by the new leader`, rto, "s");
        fig(`failover.inregion.${mode}.leader_seconds`, `${label}: fault to a new leader named (Patroni REST)`, s1(promotedAt - t0), "s");
        check(
            `in-region ${label} of the leader loses no acknowledged commit (synchronous mode)`,
            lost.length === 0 && writer.acks.length > acksBefore,
            `${writer.acks.length} commits acknowledged (${acksBefore} before the fault), ${lost.length} missing on the new leader ${leaderNow.name}; ${viaOld.length} acknowledged by ${old.name} after the fault`,
        );
        check(
            `in-region ${label}: writes resume on a new leader within the S1 recovery objective`,
            rto <= rtoObjective,
            `${old.name} ${mode === "kill" ? "killed" : "frozen"}; ${newLeader.name} named leader after ${s1(promotedAt - t0)} s, first write accepted after ${rto} s (objective ${rtoObjective} s; Patroni ttl ${lab.dcsA.ttl} s, loop_wait ${lab.dcsA.loop_wait} s, retry_timeout ${lab.dcsA.retry_timeout} s)`,
        );

        await checkRejoin(lab, old, rejoinFrom, mode, fig, check);
        return { lost: lost.length, rto };
    } finally {
        await writer.close().catch(() => undefined);
        await lab.procs.kill(bench).catch(() => undefined);
        if (mode === "stop") lab.thawMember(old);
        if (!old.proc) lab.startMember(A, old);
    }
}

// ------------------------------------------------------------------------------------------------
// Standby lag, regional failover

interface LagSample {
    readonly t: number;
    readonly replayLagS: number | null;
    readonly replayBytes: number;
    readonly flushBytes: number;
    readonly lsn: number;
}

async function sampleLag(lab: Lab, until: () => boolean): Promise<LagSample[]> {
    const out: LagSample[] = [];
    while (!until()) {
        try {
            const l = await lab.leader(lab.regionA, 1000);
            if (l) {
                const [r] = await pgQuery<{ lag: number | null; replay: string; flush: string; lsn: string }>(
                    l.pgPort,
                    "select extract(epoch from replay_lag)::float8 as lag, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text as replay, pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::text as flush, pg_current_wal_lsn()::text as lsn from pg_stat_replication where application_name = 'b0'",
                    [],
                    2000,
                );
                if (r) out.push({ t: Date.now(), replayLagS: r.lag, replayBytes: Number(r.replay), flushBytes: Number(r.flush), lsn: lsnBytes(r.lsn) });
            }
        } catch {
            /* a sample missed */
        }
        await sleep(500);
    }
    return out;
}

function labDescription(lab: Lab, control: WanControl): LabFailoverDescription {
    return {
        schemaVersion: "fortress.lab.failover/v1",
        controlPort: control.port,
        primary: {
            restPort: lab.link("ctl-a").port,
            clientPort: lab.link("client-a").port,
            fenceLinks: ["client-a", "s3-b", "s3http-b", "repl"],
            repoLink: "s3-b",
        },
        dr: {
            members: lab.regionB.members.map((m) => ({ name: m.name, pgPort: m.pgPort, restPort: m.restPort })),
            clientPort: lab.link("client-b").port,
            followHost: "127.0.0.1",
            followPort: lab.link("repl-b").port,
        },
    };
}

/** The erasure ledger the failover replays (the erasure drill's lab: drills/erasure/ledger-lab.ts). */
interface FailoverErasure {
    readonly ledger: LedgerLab;
    readonly hmacKeyFile: string;
    readonly hmacKey: Buffer;
}

/**
 * The lab description `fortress --lab` reads: region B's server as the database, the failover
 * section, and the erasure ledger (its S3 endpoint also holds the Object Lock audit bucket).
 */
function writeCliLab(lab: Lab, desc: LabFailoverDescription, erasure: FailoverErasure): string {
    const b0 = lab.regionB.members[0];
    const file = lab.dir("fortress-lab.json");
    const doc: LabDescription = {
        schemaVersion: "fortress.lab/v1",
        workDir: lab.dir("cli"),
        pgbackrest: { stanza: lab.stanza, config: b0.pgbrConfig, configIncludePath: path.join(b0.baseDir, "pgbackrest.d") },
        postgres: { bindir: lab.o.pgBin, host: "127.0.0.1", port: b0.pgPort, datadir: b0.dataDir, user: "postgres", rowCountTables: [] },
        repos: { tier2: { repo: 2, bucket: lab.tier2Bucket, path: "/tier2/database" } },
        s3: labS3Block(erasure.ledger),
        erasure: labErasureBlock(erasure.ledger, erasure.hmacKeyFile),
        failover: desc,
    };
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    return file;
}

/** Steps `fortress failover` must have run itself for the regional drill to count it. */
const REQUIRED_STEPS = ["preflight", "loss-guard", "fence", "fence-proved", "promote", "replay-erasures", "switch-traffic", "traffic-confirmed", "loss-window"] as const;

/** The application's users in the lab, and the one whose erasure is recorded just before the partition. */
const APP_USERS = Array.from({ length: 40 }, (_, i) => `u-${String(i + 1).padStart(4, "0")}`);
const ERASED_SUBJECT = "u-0007";

/** The run's audit record: the local JSON line and the tier-3 copy read back from the Object Lock bucket. */
async function auditRecords(lab: Lab, doc: NonNullable<CliRun["doc"]>, ledger: LedgerLab): Promise<{ localFile: string; local?: AuditRecord; tier3?: AuditRecord; tier3Error?: string }> {
    const localFile = doc.audit?.local ?? path.join(lab.dir("cli-state"), "audit.jsonl");
    const lines = fs.existsSync(localFile) ? fs.readFileSync(localFile, "utf8").trim().split("\n") : [];
    const local = lines.map((l) => JSON.parse(l) as AuditRecord).filter((r) => r.runId === doc.runId).at(-1);
    const m = doc.audit?.tier3 ? /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(doc.audit.tier3) : null;
    if (!m) return { localFile, local, tier3Error: `no tier-3 location (${doc.audit?.error ?? "none reported"})` };
    try {
        const got = await ledger.client("admin").send(new GetObjectCommand({ Bucket: m[1], Key: m[2], ...(m[3] ? { VersionId: m[3] } : {}) }));
        return { localFile, local, tier3: JSON.parse(await got.Body!.transformToString()) as AuditRecord };
    } catch (e) {
        return { localFile, local, tier3Error: `${(e as Error).name}: ${(e as Error).message}` };
    }
}

interface CliRun {
    readonly code: number | null;
    readonly ms: number;
    readonly doc?: { runId: string; outcome: string; message?: string; steps: { id: string; status: string; detail?: string; seconds?: number }[]; result: Record<string, unknown>; audit?: { local?: string; tier3?: string; error?: string } };
    readonly stderr: string;
}

/** `fortress failover` on the lab driver, as an operator runs it (the DR stack's config, --yes, JSON out). */
async function fortressFailover(lab: Lab, labFile: string, extra: readonly string[]): Promise<CliRun> {
    const r = await runScript(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "cli", "main.ts"), "failover", "--stack", "prod-dr", "--lab", labFile, "--reason", "failover drill: region A partitioned", "--yes", "--output", "json", "--state-dir", lab.dir("cli-state"), "--timeout", "180s", ...extra],
        { ...process.env, FORTRESS_REPORTS_DIR: lab.dir("cli-reports") },
        300_000,
    );
    let doc: CliRun["doc"];
    try {
        doc = JSON.parse(r.stdout);
    } catch {
        doc = undefined;
    }
    return { code: r.code, ms: r.ms, doc, stderr: r.stderr };
}

/** What the regional scenario sets up before any load: the lab description, the erasure lab, region B's view of the application. */
interface RegionalSetup {
    readonly leader: Member;
    readonly desc: LabFailoverDescription;
    readonly fo: LabFailover;
    readonly erasure: FailoverErasure;
    readonly procedures: NonNullable<ReturnType<typeof proceduresOf>>;
    readonly b0: Member;
    readonly bErasure: ReturnType<typeof labErasurePrimitives>;
}

async function regionalSetup(lab: Lab, control: WanControl): Promise<RegionalSetup> {
    const leader = await clusterSettled(lab, 240_000);
    const desc = labDescription(lab, control);
    fs.writeFileSync(lab.dir("lab-failover.json"), JSON.stringify({ failover: desc }, null, 2));
    // The erasure ledger the command replays after the promotion: the erasure drill's S3 lab (moto
    // with IAM enforced, the ledger and its DR copy under Object Lock, the uploads bucket), and
    // the application's tables in region A, streamed to region B like every other row.
    const hmacKeyFile = lab.dir("erasure-hmac.key");
    const erasure: FailoverErasure = { ledger: await startLedgerLab(lab.dir("erasure-s3"), lab.s3procs, 1), hmacKeyFile, hmacKey: writeHmacKey(hmacKeyFile) };
    await seedApp((sql, params) => pgQuery(leader.pgPort, sql, params ?? [], 60_000), APP_USERS, (id) => subjectHmac(erasure.hmacKey, id));
    await putUploads(erasure.ledger, APP_USERS.slice(0, 10));
    const procedures = proceduresOf(loadStackConfig("prod-dr").validated, erasure.ledger.uploadsBucket);
    if (!procedures?.database || !procedures.uploads) throw new Error("stacks/Pulumi.prod-dr.yaml: erasure.database and erasure.uploads must be declared; the failover's replay-erasures step would have nothing to prove");
    const b0 = lab.regionB.members[0];
    const bErasure = labErasurePrimitives({ postgres: { host: "127.0.0.1", port: b0.pgPort, user: "postgres", database: "postgres" }, s3: erasure.ledger.client("admin") });
    return { leader, desc, fo: new LabFailover(desc), erasure, procedures, b0, bErasure };
}

interface RegionalLoad {
    /** Clients reaching the database through the lab's DNS answer: region A's link, later B's. */
    readonly client: LedgerWriter;
    /** An application inside region A, writing to its local primary: it goes on during the partition. */
    readonly local: LedgerWriter;
    readonly bench: GroupProcess;
}

function startRegionalLoad(lab: Lab, control: WanControl, sizes: Sizes, leader: Member): RegionalLoad {
    const client = new LedgerWriter(
        "regional-client",
        async () => (control.dns === "A" ? { port: lab.link("client-a").port, label: "client-a" } : { port: lab.link("client-b").port, label: "client-b" }),
        10,
        lab.dir("regional-client.acks"),
        ID_BASE.regional,
    );
    const local = leaderWriter(lab, "regional-a-local", sizes.writerPerSecond, ID_BASE.local, "A ", 2000);
    const bench = startPgbench(lab, "pgbench-regional", leader.pgPort, sizes.pgbenchTps, 900);
    client.start();
    local.start();
    return { client, local, bench };
}

/** The standby's replay lag across the WAN under load, and what the dry run predicts before any partition. */
async function measureStandbyLag(lab: Lab, setup: RegionalSetup, load: RegionalLoad, sizes: Sizes, fig: Fig): Promise<number[]> {
    let sampling = true;
    const [before] = await pgQuery<{ lsn: string }>(setup.leader.pgPort, "select pg_current_wal_lsn()::text as lsn");
    const lagFrom = Date.now();
    const sampler = sampleLag(lab, () => !sampling);
    await sleep(sizes.lagSeconds * 1000);
    const dryBefore = await setup.fo.positions(waitFor(30_000));
    sampling = false;
    const samples = await sampler;
    const [after] = await pgQuery<{ lsn: string }>(setup.leader.pgPort, "select pg_current_wal_lsn()::text as lsn");
    const walRate = (lsnBytes(after.lsn) - lsnBytes(before.lsn)) / ((Date.now() - lagFrom) / 1000);
    const lags = samples.map((s) => s.replayLagS).filter((x): x is number => x !== null);
    const bytes = samples.map((s) => s.replayBytes);
    fig("failover.standby.replay_lag_seconds", "standby replay lag across the WAN under load, worst sample", Math.round(Math.max(0, ...lags) * 1000) / 1000, `s (median ${Math.round(pct(lags, 50) * 1000) / 1000} s, ${lags.length} samples)`);
    fig("failover.standby.replay_lag_bytes", "standby replay lag in bytes, worst sample", Math.max(0, ...bytes), `bytes (median ${pct(bytes, 50)})`);
    fig("failover.standby.wal_rate_bytes_per_second", "WAL rate during the lag sampling", Math.round(walRate), "bytes/s");
    fig("failover.standby.write_rate", "ledger writes during the lag sampling", `${load.client.acks.length} via the WAN + ${load.local.acks.length} in region A + pgbench ${sizes.pgbenchTps} tps`, "");
    fig("failover.dryrun.before_partition_seconds", "failover --dry-run's expected loss before the partition (standby view)", expectedLossSeconds(dryBefore), "s");
    return lags;
}

/** The partition, the dry run from region B alone, and `fortress failover` on the lab driver running every step itself. */
interface FailoverRun {
    readonly tP: number;
    readonly tF: number;
    readonly tDone: number;
    readonly dry: DatabasePositions;
    readonly predicted: number;
    readonly predictedBy: string;
    readonly doc: NonNullable<CliRun["doc"]>;
    readonly steps: [string, string][];
    readonly drivenBy: string;
    readonly proof: { writesStopped: boolean; repoWritesStopped: boolean; evidence: string[] };
    readonly promoted: { promotedAtLsn: string; timeline: number };
    readonly firstB: LedgerAck;
}

async function partitionAndFailover(lab: Lab, setup: RegionalSetup, load: RegionalLoad, sizes: Sizes, check: Check, redisAtPartition: () => Promise<void>): Promise<FailoverRun> {
    await redisAtPartition();
    const tP = Date.now();
    lab.wan.partition("A");
    await sleep(sizes.decisionSeconds * 1000);

    // What `fortress failover --dry-run` (its pre-flight) predicts, from region B alone.
    const labFile = writeCliLab(lab, setup.desc, setup.erasure);
    const dryCli = await fortressFailover(lab, labFile, ["--dry-run"]);
    const dry = await setup.fo.positions(waitFor(30_000));
    const cliPredicted = dryCli.doc?.result?.expectedLossSeconds;
    const predicted = typeof cliPredicted === "number" ? cliPredicted : expectedLossSeconds(dry);
    const predictedBy = typeof cliPredicted === "number" ? `fortress failover --dry-run (${s1(dryCli.ms)} s)` : `the lab driver's positions() directly (fortress failover --dry-run exited ${dryCli.code}: ${(dryCli.doc?.message ?? dryCli.stderr.trim().split("\n").at(-1) ?? "").slice(0, 200)})`;

    const tF = Date.now();
    const cli = await fortressFailover(lab, labFile, []);
    const doc = cli.doc;
    const steps: [string, string][] = (doc?.steps ?? []).map((st) => [st.id, `${st.status}${st.seconds !== undefined ? ` ${st.seconds} s` : ""}: ${st.detail ?? ""}`]);
    const drivenBy = `fortress failover --stack prod-dr --lab (exit ${cli.code}, outcome ${doc?.outcome ?? "no JSON"}, ${s1(cli.ms)} s)`;
    const notVerified = (doc?.steps ?? []).filter((st) => st.status !== "verified");
    const ran = cli.code === 0 && doc?.outcome === "done" && notVerified.length === 0 && REQUIRED_STEPS.every((id) => doc.steps.some((st) => st.id === id));
    check(
        "regional: fortress failover ran every step itself (fence, proof, promotion, erasure replay, traffic, confirmation, loss window) and exited 0",
        ran,
        `${drivenBy}; steps: ${(doc?.steps ?? []).map((st) => `${st.id} ${st.status}`).join(", ") || "none"}${doc?.message ? `; message: ${doc.message.slice(0, 300)}` : ""}${doc ? "" : `; stderr: ${cli.stderr.trim().slice(-500)}`}`,
    );
    if (!doc?.result?.promoted || !doc.result.fence) throw new Error(`fortress failover did not fence and promote (exit ${cli.code}): ${(doc?.message ?? cli.stderr.trim().split("\n").at(-1) ?? "").slice(0, 400)}`);
    const tDone = Date.now();
    const firstB = await poll("the first write accepted by region B", 120_000, async () => load.client.acks.find((a) => a.via === "client-b"), 100);
    await sleep(3000);
    await load.client.stop();
    return { tP, tF, tDone, dry, predicted, predictedBy, doc, steps, drivenBy, proof: doc.result.fence as FailoverRun["proof"], promoted: doc.result.promoted as FailoverRun["promoted"], firstB };
}

/** Acknowledged commits missing in region B, and region A's writes after the partition. */
interface RegionalLosses {
    readonly presentLocal: Set<number>;
    readonly lostClient: readonly LedgerAck[];
    readonly lostLocal: readonly LedgerAck[];
    readonly lost: readonly LedgerAck[];
    readonly ackedBefore: number;
    readonly lossWindow: number;
    readonly splitBrain: readonly LedgerAck[];
}

async function regionalLosses(setup: RegionalSetup, load: RegionalLoad, tP: number): Promise<RegionalLosses> {
    const presentClient = await idsOn(setup.b0.pgPort, "regional-client");
    const presentLocal = await idsOn(setup.b0.pgPort, "regional-a-local");
    const beforeP = (acks: readonly LedgerAck[]) => acks.filter((a) => a.at <= tP);
    const lostClient = lostWrites(beforeP(load.client.acks), presentClient).lost;
    const lostLocal = lostWrites(beforeP(load.local.acks), presentLocal).lost;
    const lost = [...lostClient, ...lostLocal].sort((a, b) => a.at - b.at);
    return {
        presentLocal,
        lostClient,
        lostLocal,
        lost,
        ackedBefore: beforeP(load.client.acks).length + beforeP(load.local.acks).length,
        lossWindow: lost.length > 0 ? (tP - lost[0].at) / 1000 : 0,
        splitBrain: load.local.acks.filter((a) => a.at > tP),
    };
}

/** The erasure recorded just before the partition: replayed by the command into region B, verified, before traffic moved. */
async function checkErasureReplay(setup: RegionalSetup, run: FailoverRun, recorded: LedgerEntry, beforeErasure: Record<string, number | undefined>, fig: Fig, check: Check): Promise<void> {
    const { doc, steps } = run;
    const replayed = (doc.result.erasuresReplayed ?? []) as { requestId: string; removed: Record<string, number> }[];
    const mine = replayed.filter((x) => x.requestId === recorded.requestId);
    const removedOf = (c: string) => mine.reduce((n, x) => n + (x.removed[c] ?? 0), 0);
    const afterErasure = await remainingOf(setup.bErasure, setup.procedures, recorded, setup.erasure.hmacKey);
    const [counts] = await pgQuery<{ u: string; o: string }>(setup.b0.pgPort, "select (select count(*) from app_users) as u, (select count(*) from app_orders) as o");
    const stepIndex = (id: string) => doc.steps.findIndex((st) => st.id === id);
    const others = { users: APP_USERS.length - 1, orders: (APP_USERS.length - 1) * ORDERS_PER_USER };
    fig("failover.regional.erasures_replayed", "regional: erasure requests fortress failover replayed into region B", replayed.length, `requests (${removedOf("database")} rows, ${removedOf("uploads")} uploads of the one recorded before the partition)`);
    check(
        "regional: fortress failover replayed the erasure recorded just before the partition into region B, verified it, before traffic moved",
        mine.length > 0 &&
            (beforeErasure.database ?? 0) > 0 &&
            removedOf("database") === beforeErasure.database &&
            removedOf("uploads") === beforeErasure.uploads &&
            Object.values(afterErasure).every((n) => n === 0) &&
            Number(counts.u) === others.users &&
            Number(counts.o) === others.orders &&
            stepIndex("replay-erasures") > stepIndex("promote") &&
            stepIndex("replay-erasures") < stepIndex("switch-traffic"),
        `request ${recorded.requestId} (subject ${ERASED_SUBJECT}, hashed): in region B before ${JSON.stringify(beforeErasure)}, removed by the replay ${JSON.stringify({ database: removedOf("database"), uploads: removedOf("uploads") })}, after ${JSON.stringify(afterErasure)}; other users ${counts.u} (want ${others.users}), orders ${counts.o} (want ${others.orders}); step: ${steps.find(([id]) => id === "replay-erasures")?.[1] ?? "missing"}`,
    );
}

/** The command's audit record (local and tier 3) and the loss window it reported against the ledger's. */
async function checkAuditAndReportedLoss(lab: Lab, setup: RegionalSetup, run: FailoverRun, recorded: LedgerEntry, losses: RegionalLosses, dbRpo: number, fig: Fig, check: Check): Promise<void> {
    const { doc, steps } = run;
    const audit = await auditRecords(lab, doc, setup.erasure.ledger);
    const planOk = audit.local?.plan.every((st) => st.status === "verified") ?? false;
    const auditLists = (r: AuditRecord | undefined) => ((r?.erasuresReplayed ?? []) as { requestId: string }[]).some((x) => x.requestId === recorded.requestId);
    check(
        "regional: the failover's audit record (local and the Object Lock copy) says done, every step verified, and names the replayed erasure",
        audit.local?.outcome === "done" && planOk && auditLists(audit.local) && audit.tier3?.runId === doc.runId && audit.tier3.outcome === "done" && auditLists(audit.tier3),
        `local ${audit.localFile}: ${audit.local ? `outcome ${audit.local.outcome}, steps ${audit.local.plan.map((st) => `${st.id} ${st.status}`).join(", ")}, erasures ${JSON.stringify(audit.local.erasuresReplayed ?? null).slice(0, 200)}` : "no record for the run"}; tier 3 ${doc.audit?.tier3 ?? doc.audit?.error ?? "none"}: ${audit.tier3 ? `outcome ${audit.tier3.outcome}, names the erasure ${auditLists(audit.tier3)}` : audit.tier3Error ?? "not read"}`,
    );
    const cliLoss = doc.result.expectedLossSeconds;
    const lossStep = steps.find(([id]) => id === "loss-window")?.[1] ?? "missing";
    fig("failover.regional.cli_loss_window_seconds", "regional: data-loss window fortress failover reported (region B's view at its pre-flight)", typeof cliLoss === "number" ? cliLoss : "not reported", `s (loss-window step: ${lossStep.slice(0, 200)})`);
    check(
        "regional: the loss window fortress failover reported bounds the one the acknowledged-writes ledger measured, within the database RPO",
        typeof cliLoss === "number" && cliLoss >= losses.lossWindow && cliLoss <= dbRpo,
        `fortress failover: expected loss ${cliLoss ?? "not reported"} s at its pre-flight, lost WAL bytes ${doc.result.lostWalBytes ?? "unknown (region A unreachable: no fenced position)"}; the ledger: ${losses.lost.length} acknowledged commits lost, window ${Math.round(losses.lossWindow * 1000) / 1000} s before the partition; database RPO ${dbRpo} s`,
    );
}

/** After the heal: region A demoted, read-only or refusing, and no write of region A after the partition visible to clients. */
interface HealOutcome {
    readonly detail: string;
    readonly readOnly: boolean;
    readonly visible: number;
}

async function healAndProbeRegionA(lab: Lab, setup: RegionalSetup, load: RegionalLoad, losses: RegionalLosses): Promise<HealOutcome> {
    const A = lab.regionA;
    lab.wan.heal("A");
    const demote = await poll("region A's demotion to a standby of region B, once reachable", 120_000, async () => {
        const d = await setup.fo.demotePrimary(waitFor(5000));
        return d.ok ? d : undefined;
    }, 1000);
    // Demoted, region A's leader restarts as a standby of B; its history forked from B's at the
    // promotion, so it may never become consistent (it then refuses every connection with "the
    // database system is starting up"). Either way it takes no write: what is checked here.
    const memberStates: string[] = [];
    const readOnly = await poll("every region A member read-only or refusing connections", 120_000, async () => {
        memberStates.length = 0;
        for (const m of A.members) {
            try {
                const [r] = await pgQuery<{ rec: boolean }>(m.pgPort, "select pg_is_in_recovery() as rec", [], 2000);
                if (!r.rec) return undefined;
                memberStates.push(`${m.name} in recovery`);
            } catch (e) {
                const msg = (e as Error).message;
                if (!/starting up|shutting down|not yet accepting|ECONNREFUSED/.test(msg)) return undefined;
                memberStates.push(`${m.name} refuses connections (${msg.slice(0, 60)})`);
            }
        }
        return true;
    }, 1000).catch(() => false);
    await load.local.stop();
    await lab.procs.kill(load.bench);
    // Attempts after the heal: through the clients' path to A (fenced) and straight at every A member.
    let acceptedAfterHeal = 0;
    const attempts: string[] = [];
    for (const [labelA, portA] of [["client-a", lab.link("client-a").port] as const, ...A.members.map((m) => [m.name, m.pgPort] as const)]) {
        try {
            await pgQuery(portA, `insert into ${LEDGER_TABLE} (id, writer) values ($1, 'after-heal')`, [9_000_000 + portA], 3000);
            acceptedAfterHeal++;
            attempts.push(`${labelA}: ACCEPTED`);
        } catch (e) {
            attempts.push(`${labelA}: ${(e as Error).message.slice(0, 80)}`);
        }
    }
    const splitVisible = losses.splitBrain.filter((a) => losses.presentLocal.has(a.id)).length;
    const presentAfter = await idsOn(lab.link("client-b").port, "regional-a-local");
    const splitVisibleAfterHeal = losses.splitBrain.filter((a) => presentAfter.has(a.id)).length;
    const afterHealVisible = (await pgQuery<{ n: string }>(lab.link("client-b").port, `select count(*) as n from ${LEDGER_TABLE} where writer = 'after-heal'`))[0].n;
    return {
        readOnly: readOnly === true,
        visible: splitVisible + splitVisibleAfterHeal + acceptedAfterHeal + Number(afterHealVisible),
        detail: `${losses.splitBrain.length} writes region A took from its own clients during the partition, ${splitVisible + splitVisibleAfterHeal} of them in region B; after the heal ${demote.detail}; ${memberStates.join(", ")}; write attempts: ${attempts.join("; ")}; 'after-heal' rows visible through the clients' path: ${afterHealVisible}`,
    };
}

/** The regional scenario's figures and its verdicts on loss, recovery time, split brain and the dry run's prediction. */
function regionalVerdicts(sizes: Sizes, config: FortressConfig, run: FailoverRun, losses: RegionalLosses, heal: HealOutcome, lags: readonly number[], fig: Fig, check: Check): void {
    const S4 = config.objectives.scenarios.S4;
    const dbRpo = config.objectives.dataClasses.database.rpoSeconds;
    const { lost, lossWindow } = losses;
    const rto = (run.firstB.at - run.tP) / 1000;
    const failoverSeconds = (run.firstB.at - run.tF) / 1000;
    fig("failover.dryrun.predicted_loss_seconds", "failover --dry-run's expected loss after the partition (region B's view)", run.predicted, `s (by ${run.predictedBy})`);
    fig("failover.regional.driven_by", "regional failover driven by", run.drivenBy, "");
    fig("failover.regional.lost_commits", "regional: acknowledged commits lost", lost.length, `commits of ${losses.ackedBefore} acknowledged before the partition (${losses.lostClient.length} via the WAN, ${losses.lostLocal.length} in region A)`);
    fig("failover.regional.loss_window_seconds", "regional: loss window (partition - first lost commit)", Math.round(lossWindow * 1000) / 1000, "s");
    fig("failover.regional.rto_seconds", "regional: partition to first write accepted in region B", s1(rto * 1000), `s (of which ${sizes.decisionSeconds} s the drill's decision delay)`);
    fig("failover.regional.failover_seconds", "regional: failover start to first write accepted in region B", s1(failoverSeconds * 1000), "s");
    fig("failover.regional.command_seconds", "regional: fortress failover's run (pre-flight, fence, prove, promote, replay erasures, switch, confirm)", s1(run.tDone - run.tF), "s");
    fig("failover.regional.promoted_lsn", "regional: region B promoted at", `${run.promoted.promotedAtLsn} (timeline ${run.promoted.timeline})`, "");
    fig("failover.regional.split_brain_writes", "regional: writes region A accepted from its own clients during the partition (lost by design)", losses.splitBrain.length, "commits");
    fig("failover.regional.old_primary_writes_visible", "regional: writes of region A after the partition that clients can see", heal.visible, "commits");
    for (const [id, text] of run.steps) fig(`failover.regional.step.${id}`, `regional step: ${id}`, text.slice(0, 400), "");

    const rtoBound = S4.rtoSeconds;
    const productionRto = S4.detectSeconds + failoverSeconds;
    check(
        "regional: acknowledged commits lost stay within the database RPO and the S4 RPO",
        lossWindow <= Math.min(dbRpo, S4.rpoSeconds ?? Infinity),
        `${lost.length} acknowledged commits lost, all acknowledged in the last ${Math.round(lossWindow * 1000) / 1000} s before the partition (database RPO ${dbRpo} s, S4 RPO ${S4.rpoSeconds} s); standby replay lag under load at most ${Math.round(Math.max(0, ...lags) * 1000) / 1000} s`,
    );
    check(
        "regional: writes resume in region B within the S4 recovery objective, counting S4's detection objective",
        rto <= rtoBound && productionRto <= rtoBound,
        `partition to first write in B ${s1(rto * 1000)} s in the lab (decision after ${sizes.decisionSeconds} s); with S4's detection objective ${S4.detectSeconds} s instead of the drill's decision delay: ${Math.round(productionRto)} s (objective ${rtoBound} s)`,
    );
    check("regional: region A cannot accept a write that clients see, before or after the link heals", heal.visible === 0 && run.proof.writesStopped && heal.readOnly, heal.detail);
    check(
        "regional: failover --dry-run's expected loss bounds the real loss window",
        Number.isFinite(run.predicted) && run.predicted >= lossWindow,
        `predicted ${run.predicted} s from region B's positions (${run.dry.standby?.replayLsn ?? "?"} replayed, last commit ${run.dry.standby?.lastReplayAt?.toISOString() ?? "?"}) ${sizes.decisionSeconds} s after the partition; real loss window ${Math.round(lossWindow * 1000) / 1000} s (${lost.length} commits)`,
    );
}

async function regional(lab: Lab, control: WanControl, sizes: Sizes, config: FortressConfig, fig: Fig, check: Check, redisAtPartition: () => Promise<void>): Promise<void> {
    const setup = await regionalSetup(lab, control);
    const load = startRegionalLoad(lab, control, sizes, setup.leader);
    const lags = await measureStandbyLag(lab, setup, load, sizes, fig);

    // --- an erasure recorded in the last moments before the region is lost ---------------------
    // The application records the request to the ledger first; region A is partitioned before its
    // procedures ran (or before what they did replicated): region B still holds the subject.
    const probeEntry: LedgerEntry = { v: 1, requestId: "probe", time: new Date().toISOString(), subject: subjectRef(ERASED_SUBJECT, setup.erasure.hmacKey), dataClasses: ["database", "uploads"] };
    const beforeErasure = await remainingOf(setup.bErasure, setup.procedures, probeEntry, setup.erasure.hmacKey);
    const recorded = await recordToLedger(setup.erasure.ledger, { subjectId: ERASED_SUBJECT, requestId: `failover-drill-${Date.now()}`, dataClasses: ["database", "uploads"] }, setup.erasure.hmacKey);

    // --- the partition and `fortress failover` ----------------------------------------------------
    const run = await partitionAndFailover(lab, setup, load, sizes, check, redisAtPartition);
    const losses = await regionalLosses(setup, load, run.tP);
    await checkErasureReplay(setup, run, recorded.entry, beforeErasure, fig, check);
    await checkAuditAndReportedLoss(lab, setup, run, recorded.entry, losses, config.objectives.dataClasses.database.rpoSeconds, fig, check);

    // --- the link heals; region A is demoted and must take no write that clients see ------------
    const heal = await healAndProbeRegionA(lab, setup, load, losses);
    regionalVerdicts(sizes, config, run, losses, heal, lags, fig, check);
}

// ------------------------------------------------------------------------------------------------

export const run: Drill = async (options: DrillOptions): Promise<DrillReport> => {
    const drill = beginDrill(options, SIZES);
    const { sizes, fig, check } = drill;
    const { config, source } = prodConfig();
    const found = requirePrereqs(["postgres", "pgbackrest", "patroni", "etcd", "stunnel4", "redis", "moto", "boto3", "lz4", "jq", "openssl"]);
    const pgBin = found.postgres.binDir;

    // --- 1. the WAN's real delay --------------------------------------------------------------------
    const delayMs = DEFAULT_DELAY_MS;
    const delay = await measureAddedDelay({ delayMs });
    fig("failover.wan.delay_configured_ms", "WAN one-way delay configured", delay.configuredMs, "ms");
    fig("failover.wan.delay_measured_ms", "WAN one-way delay measured (added by the proxy)", delay.addedOneWayMs.median, `ms median (min ${delay.addedOneWayMs.min}, p95 ${delay.addedOneWayMs.p95}, max ${delay.addedOneWayMs.max}; ${delay.samples} round trips)`);

    // FORTRESS_LAB_DCS=etcd3 reproduces Patroni 3.0.2's etcd3 leader-key takeover (docs/failover-lab.md).
    const dcs = process.env.FORTRESS_LAB_DCS === "etcd3" ? "etcd3" : "etcd";
    const lab = new Lab({ workDir: options.workDir, config, pgBin, link: { delayMs }, dcs });
    const control = new WanControl(lab.wan, "A");
    const t = Date.now();
    try {
        progress("lab start");
        await lab.start();
        await control.listen();
        fig("failover.lab.start_seconds", "lab start (S3, etcd, 3 + 1 Patroni members, stanza, standby streaming)", s1(Date.now() - t), "s");
        fig("failover.lab.dcs", "Patroni's DCS in each region", `one etcd member per region, Patroni's ${dcs === "etcd" ? "etcd (v2 API, compare-and-swap leader key)" : "etcd3"} client`, "");
        fig("failover.lab.patroni", "Patroni timings (from perconaClusterSpec)", `ttl ${lab.dcsA.ttl} s, loop_wait ${lab.dcsA.loop_wait} s, retry_timeout ${lab.dcsA.retry_timeout} s, synchronous_mode ${lab.dcsA.synchronous_mode} (strict ${lab.dcsA.synchronous_mode_strict})`, "");
        const leader = await clusterSettled(lab, 120_000);
        await pgQuery(leader.pgPort, `create table ${LEDGER_TABLE} (id bigint primary key, writer text not null, at timestamptz not null default clock_timestamp())`);
        const init = await lab.pgbench(leader, ["-i", "-q", "-s", "2"]);
        if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr.trim().slice(-500)}`);

        // --- 2-3. in-region ---------------------------------------------------------------------------
        const rtoS1 = config.objectives.scenarios.S1.rtoSeconds;
        // A scenario that throws is a failed check, and the drill goes on to the next.
        const attempt = async <T>(name: string, f: () => Promise<T>): Promise<T | undefined> => {
            progress(name);
            try {
                return await f();
            } catch (e) {
                check(`${name} ran to the end`, false, e instanceof Error ? e.message.slice(0, 1500) : String(e));
                return undefined;
            }
        };
        const kill = (await attempt("in-region SIGKILL", () => inRegion(lab, "kill", sizes, rtoS1, fig, check))) ?? { lost: NaN, rto: NaN };
        const stop = (await attempt("in-region SIGSTOP", () => inRegion(lab, "stop", sizes, rtoS1, fig, check))) ?? { lost: NaN, rto: NaN };
        fig("failover.inregion.lost_commits", "in-region failover: acknowledged commits lost (worst of SIGKILL and SIGSTOP)", Math.max(kill.lost, stop.lost), "commits");
        fig("failover.inregion.rto_seconds", "in-region failover: fault to first write accepted (worst of SIGKILL and SIGSTOP)", Math.max(kill.rto, stop.rto), "s");

        // --- 6a. Redis, in-region Sentinel and the tier-2 snapshot before the partition --------------
        const redis = await attempt("Redis: Sentinel in region A, tier-2 snapshot through the WAN", () => redisScenarios(lab, config, options.quick, found.redis.command, fig, check));

        // --- 4-5. standby lag, regional failover ------------------------------------------------------
        await attempt("standby lag and regional failover", () => regional(lab, control, sizes, config, fig, check, async () => redis?.atPartition()));
        if (redis) await attempt("Redis: restore in region B", () => redis.afterFailover());
        progress("teardown");
    } finally {
        await control.close().catch(() => undefined);
        await lab.stop();
    }
    if (!removeWorkDirIfPassed(drill, options.workDir)) fig("failover.workdir", "work directory kept for inspection", options.workDir, "");
    return drillReport("failover", drill, { ...prereqVersions(found), config: source });
};

/**
 * The PostgreSQL drill: Debian's PostgreSQL and pgBackRest (whichever versions are installed:
 * drills/lib/prereqs finds them, the report records them) on 127.0.0.1, three
 * repositories configured by the same renderer the PerconaPGCluster uses
 * (components/postgres/pgbackrest.ts, fed the prod stack's config):
 *   repo1 = tier 1, a local directory;
 *   repo2 = tier 2, an S3 bucket (moto behind stunnel4 TLS, its own endpoint);
 *   repo3 = tier 3, an S3 Object Lock (COMPLIANCE) bucket behind a second endpoint.
 *
 * A writer commits continuously and logs every acknowledged commit. After full backups:
 *   Object Lock: a second full backup and an expire on repo3 — info-file rewrites and deletes
 *      on a locked bucket — and what the bucket refuses;
 *   (d) pgbench load: how far the async archiver falls behind, the worst-case loss;
 *   incremental backups;
 *   (e) tier-2 outage: repo2's endpoint is frozen for minutes while the writer runs;
 *   (a) crash (immediate stop, data directory deleted), restore from repo2: commits lost, time;
 *   (b) point-in-time restore from repo1: the last restored commit is the last at or before the target;
 *   (c) a corrupted file in repo1: verify and restore refuse it.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ARCHIVER_RESTART_SECONDS, PgBackRestSettings, renderFromConfig, s3RepoPath, tier1LossBoundSeconds, tier1StallBoundSeconds, toIni } from "../../components/postgres/pgbackrest";
import { PgBackRestCompatibility, pgBackRestCompatibility } from "../../components/postgres/pgbackrest-compat";
import { VERIFY_METRICS, VerifyResult, parseVerifyResults, verificationScript } from "../../components/postgres/verify-script";
import { backupAgeCommands } from "../../components/postgres/backup-age";
import type { FortressConfig } from "../../config";
import type { Drill, DrillOptions, DrillReport } from "../types";
import { Check, DrillSizes, Fig, beginDrill, drillReport, prodConfig, removeWorkDirIfPassed } from "../lib/drill-setup";
import { Ack, PgBackRest, PgServer, WAL_SEGMENT_BYTES, Writer, lsnBytes, ownByPostgres, pgBin, pgBinDir, segmentNumber, writePostgresFile } from "./cluster";
import { Found, PrereqMissing, prereqVersions, requirePrereqs } from "../lib/prereqs";
import { ProcessGroup, freePort, poll, runPg, runScript, sleep } from "./processes";
import { S3Lab, createLockedBucket, createVersionedBucket, deleteVersion, listVersions, putWithoutIntegrityHeader, startS3Lab } from "./s3lab";

const ROOT = path.resolve(__dirname, "..", "..");

interface Sizes {
    readonly writerPerSecond: number;
    readonly pgbenchScale: number;
    readonly loadSeconds: number;
    readonly outageSeconds: number;
    /** Writing goes on this long after the archive caught up, then the server is crashed. */
    readonly beforeCrashSeconds: number;
}

const SIZES: DrillSizes<Sizes> = { quick: { writerPerSecond: 50, pgbenchScale: 5, loadSeconds: 30, outageSeconds: 90, beforeCrashSeconds: 12 }, full: { writerPerSecond: 50, pgbenchScale: 20, loadSeconds: 120, outageSeconds: 300, beforeCrashSeconds: 25 } };

/** One sample of the primary's WAL position and archive state. */
interface Sample {
    readonly t: number;
    readonly lsn: number;
    readonly lastArchived: string | null;
    readonly ready: number;
    /** Newest WAL segment file in repo1 (tier 1), read from the repo directory itself. */
    readonly repo1Newest: number | undefined;
}

/** Samples the primary every `intervalMs` until stopped; tolerates the crash. */
class Sampler {
    readonly samples: Sample[] = [];
    private stopped = false;
    private loop: Promise<void> | undefined;

    constructor(
        private readonly pg: PgServer,
        private readonly repo1Archive: string,
        private readonly intervalMs = 500,
    ) {}

    start(): void {
        this.stopped = false;
        this.loop = (async () => {
            while (!this.stopped) {
                try {
                    const [r] = await this.pg.query<{ lsn: string; last: string | null; ready: string }>(
                        "select pg_current_wal_lsn()::text as lsn, last_archived_wal as last, (select count(*) from pg_ls_archive_statusdir() where name like '%.ready') as ready from pg_stat_archiver",
                    );
                    this.samples.push({ t: Date.now(), lsn: lsnBytes(r.lsn), lastArchived: r.last, ready: Number(r.ready), repo1Newest: newestSegment(this.repo1Archive) });
                } catch {
                    /* the server is down (crash, restore): no sample */
                }
                await sleep(this.intervalMs);
            }
        })();
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.loop;
    }

    /** When segment `seg` was complete: the first sample whose write position lies past it. */
    completedAt(seg: number): number | undefined {
        return this.samples.find((s) => Math.floor(s.lsn / WAL_SEGMENT_BYTES) > seg)?.t;
    }

    /** What a crash at sample `s` would lose from the archive: the time since the newest archived segment was complete. */
    lossWindowMs(s: Sample, newest: number | undefined): number | undefined {
        if (newest === undefined) return undefined;
        const done = this.completedAt(newest);
        return done === undefined ? undefined : Math.max(0, s.t - done);
    }

    between(from: number, to: number): Sample[] {
        return this.samples.filter((s) => s.t >= from && s.t <= to);
    }
}

/** Highest WAL segment number under a posix repo's archive directory (all timelines). */
function newestSegment(archiveDir: string): number | undefined {
    let best: number | undefined;
    if (!fs.existsSync(archiveDir)) return undefined;
    for (const archiveId of fs.readdirSync(archiveDir)) {
        const idDir = path.join(archiveDir, archiveId);
        if (!fs.statSync(idDir).isDirectory()) continue;
        for (const sub of fs.readdirSync(idDir)) {
            if (!/^[0-9A-F]{16}$/.test(sub)) continue;
            for (const f of fs.readdirSync(path.join(idDir, sub))) {
                if (/^[0-9A-F]{24}-/.test(f)) best = Math.max(best ?? 0, segmentNumber(f));
            }
        }
    }
    return best;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export const run: Drill = async (options: DrillOptions): Promise<DrillReport> => {
    const drill = beginDrill(options, SIZES);
    const { config, source } = prodConfig();
    const { prereqs, compat } = postgresPrereqs();
    const d: PostgresDrill = { sizes: drill.sizes, config, fig: drill.fig, check: drill.check, layout: workLayout(options.workDir), procs: new ProcessGroup(), servers: [], load: {} };
    try {
        const p = await startPrimary(d);
        const verification = await backupsAndVerification(d, p);
        const outage = await outageScenario(p.primary, p.sampler, p.lab, d.sizes, p.settings, d.fig, d.check);
        const acks = await crashScenario(d, p, outage);
        await pitrScenario(p.primary, p.bin, acks, options.workDir, d.layout.socketDir, d.layout.logDir, d.servers, d.fig, d.check);
        await corruptionScenario(p.bin, verification, d.layout.repo1, p.stanza, options.workDir, d.fig, d.check);
    } finally {
        await d.load.writer?.stop().catch(() => undefined);
        await d.load.sampler?.stop().catch(() => undefined);
        for (const s of d.servers) if (s.running) await s.stop("immediate");
        await d.procs.stopAll();
    }
    // Data directories, repos and logs are hundreds of MB: kept only when a check failed.
    if (!removeWorkDirIfPassed(drill, options.workDir)) drill.fig("postgres.run.work_dir", "work directory kept for inspection", options.workDir, "");
    return drillReport("postgres", drill, {
        ...prereqVersions(prereqs),
        "pgbackrest.compat": compat.notes.join("; ") || "as measured on 2.45",
        config: source,
    });
};

/** The drill's directories under the work directory, owned by postgres where it writes. */
interface WorkLayout {
    readonly workDir: string;
    readonly socketDir: string;
    readonly repo1: string;
    readonly confDir: string;
    readonly includeDir: string;
    readonly logDir: string;
}

/** What every step of the drill shares: its sizes, the prod config, the recorders and what must be stopped at the end. */
interface PostgresDrill {
    readonly sizes: Sizes;
    readonly config: FortressConfig;
    readonly fig: Fig;
    readonly check: Check;
    readonly layout: WorkLayout;
    readonly procs: ProcessGroup;
    /** Every server started, stopped at the end. */
    readonly servers: PgServer[];
    /** The writer and sampler once started, stopped at the end. */
    readonly load: { writer?: Writer; sampler?: Sampler };
}

/** The running primary with its three repositories, the writer committing and the sampler watching. */
interface RunningPrimary {
    readonly lab: S3Lab;
    readonly tier3Bucket: string;
    readonly stanza: string;
    readonly settings: PgBackRestSettings;
    readonly primary: PgServer;
    readonly bin: PgBackRest;
    readonly writer: Writer;
    readonly sampler: Sampler;
}


/** The tools the drill runs; one line naming the package when something is missing (the runner prints it as is). */
function postgresPrereqs(): { prereqs: Pick<Found, "postgres" | "pgbackrest" | "stunnel4" | "moto" | "openssl">; compat: PgBackRestCompatibility } {
    const prereqs = requirePrereqs(["postgres", "pgbackrest", "stunnel4", "moto", "openssl"]);
    // Tier 3 is an Object Lock bucket: a pgBackRest that cannot write there stops the drill here.
    const compat = pgBackRestCompatibility(prereqs.pgbackrest.version, { objectLockRepos: true });
    if (compat.refuse) throw new PrereqMissing(compat.refuse, [{ what: "pgbackrest", install: "apt-get install pgbackrest (a fixed version)" }]);
    for (const tool of ["pg_ctl", "initdb", "pgbench"]) {
        if (!fs.existsSync(pgBin(tool))) throw new PrereqMissing(`${pgBin(tool)} is missing beside ${prereqs.postgres.command}: apt-get install postgresql-${prereqs.postgres.major}`, [{ what: tool, install: `apt-get install postgresql-${prereqs.postgres.major}` }]);
    }
    return { prereqs, compat };
}

function workLayout(workDir: string): WorkLayout {
    // The runner's work directory is private to root; postgres needs to traverse it.
    fs.chmodSync(workDir, 0o755);
    const dir = (name: string, mode = 0o700) => {
        const d = path.join(workDir, name);
        ownByPostgres(d, mode);
        return d;
    };
    return { workDir, socketDir: dir("run", 0o755), repo1: dir("repo1"), confDir: dir("conf", 0o755), includeDir: dir("conf.d"), logDir: dir("logs", 0o755) };
}

/** S3 (tiers 2 and 3), the rendered pgBackRest config, the primary with its stanza, then the writer and the sampler. */
async function startPrimary(d: PostgresDrill): Promise<RunningPrimary> {
    const { config, fig, layout } = d;
    const lab = await startS3Lab(path.join(layout.workDir, "s3"), d.procs, ["tier2", "tier3"]);
    const tier2Bucket = "fortress-drill-tier2";
    const tier3Bucket = "fortress-drill-tier3";
    await createVersionedBucket(lab, tier2Bucket, config.regions.dr);
    await createLockedBucket(lab, tier3Bucket, config.regions.tier3, 1);

    const stanza = config.postgres.stanza;
    const s3 = (bucket: string, region: string, tier: "tier2" | "tier3") =>
        ({ kind: "s3", bucket, region, endpoint: `localhost:${lab.endpoints[tier].port}`, path: s3RepoPath(tier), credentials: "shared", uriStyle: "path", caFile: lab.caFile }) as const;
    const settings = renderFromConfig(config, {
        tier1: { kind: "posix", path: layout.repo1 },
        tier2: s3(tier2Bucket, config.regions.dr, "tier2"),
        tier3: s3(tier3Bucket, config.regions.tier3, "tier3"),
    });
    const pgPort = await freePort();
    const { socketDir, logDir } = layout;
    const primary = new PgServer("primary", path.join(layout.workDir, "pgdata"), pgPort, socketDir, path.join(logDir, "primary.log"));
    const bin = writeConfigs(settings, { confDir: layout.confDir, includeDir: layout.includeDir, stanza, workDir: layout.workDir, dataDir: primary.dataDir, pgPort, socketDir });
    fig("postgres.config.archive_timeout_seconds", "archive_timeout (from the database RPO)", settings.archiveTimeoutSeconds, "s");
    fig("postgres.config.archive_push_timeouts", "archive-push io-timeout / archive-timeout", `${settings.archivePushOptions["io-timeout"]} / ${settings.archivePushOptions["archive-timeout"]}`, "s");

    await primary.initdb();
    d.servers.push(primary);
    primary.appendSettings({
        port: String(pgPort),
        listen_addresses: "127.0.0.1",
        unix_socket_directories: socketDir,
        ...settings.postgresParameters,
        archive_command: bin.archiveCommand,
        // Commit timestamps make the point-in-time check exact: they are what recovery_target_time compares.
        track_commit_timestamp: "on",
    });
    await primary.start();
    await bin.ok(["stanza-create"], 120_000);
    await bin.ok(["check"], 180_000);

    const writer = (d.load.writer = new Writer(pgPort, d.sizes.writerPerSecond, path.join(layout.workDir, "acks.log")));
    await writer.start();
    const sampler = (d.load.sampler = new Sampler(primary, path.join(layout.repo1, "archive", stanza)));
    sampler.start();
    return { lab, tier3Bucket, stanza, settings, primary, bin, writer, sampler };
}

/** Full backups to every tier, the Object Lock proof, (d) the load, incrementals, the backup-age job and the verification job on healthy repos. */
async function backupsAndVerification(d: PostgresDrill, p: RunningPrimary): Promise<Verification> {
    const { fig, check } = d;
    const { bin, settings } = p;
    for (const repo of settings.repos) {
        const r = await bin.ok(["backup", `--repo=${repo.index}`, "--type=full"]);
        fig(`postgres.backup.${repo.name}.full_seconds`, `full backup to ${repo.name} (${repo.tier})`, seconds(r.ms), "s");
    }
    await objectLockProof(bin, p.lab, p.tier3Bucket, settings, fig, check);
    await loadScenario(p.primary, p.sampler, d.sizes, settings, d.config.objectives.dataClasses.database.rpoSeconds, fig, check);

    for (const repo of settings.repos.filter((r) => r.schedules.incremental !== undefined)) {
        const r = await bin.ok(["backup", `--repo=${repo.index}`, "--type=incr"]);
        fig(`postgres.backup.${repo.name}.incremental_seconds`, `incremental backup to ${repo.name}`, seconds(r.ms), "s");
    }
    const newestStop: Record<string, number> = {};
    for (const repo of settings.repos) newestStop[repo.tier] = Math.max(...(await bin.repoInfo(repo.index)).backups.map((b) => b.stop));
    await backupAgeProof(p.lab, settings, p.stanza, newestStop, fig, check);
    const verification = new Verification(bin, d.layout.workDir);
    const healthy = await verification.run(settings.repos.map((r) => r.index), 2);
    for (const r of healthy.results.filter((x) => x.metric === VERIFY_METRICS.verifySeconds)) fig(`postgres.verify.repo${r.repo}.seconds`, `pgbackrest verify run time, repo${r.repo}`, r.value, "s");
    const restoreTest = healthy.results.find((r) => r.metric === VERIFY_METRICS.restoreSeconds)?.value;
    fig("postgres.verify.restore_test_seconds", "verification job: restore test from repo2", restoreTest ?? "none", "s");
    check(
        "the verification job passes on healthy repos (verify and info on repo1-3, restore test from repo2)",
        healthy.code === 0 && healthy.results.length === 11 && healthy.results.filter((r) => !r.metric.endsWith("Seconds")).every((r) => r.value === 1),
        `exit ${healthy.code}; ${healthy.results.map((r) => `${r.metric}{repo${r.repo}}=${r.value}`).join(", ")}${healthy.stderr.trim() ? `; ${healthy.stderr.trim().slice(0, 300)}` : ""}`,
    );
    return verification;
}

/** (a) The primary crashes (immediate stop, data directory deleted) and is restored from repo2: what was lost, how long it took; (e) nothing from the outage lost. Returns the writer's acknowledged commits. */
async function crashScenario(d: PostgresDrill, p: RunningPrimary, outage: OutageResult): Promise<readonly Ack[]> {
    const { fig, check } = d;
    const { primary, writer, settings } = p;
    await sleep(d.sizes.beforeCrashSeconds * 1000);
    const crashAt = Date.now();
    await primary.stop("immediate");
    await writer.ended();
    await p.sampler.stop();
    fs.rmSync(primary.dataDir, { recursive: true, force: true });
    ownByPostgres(primary.dataDir);
    const restoreStart = Date.now();
    const restore = await p.bin.ok(["restore", "--repo=2"]);
    await primary.start();
    await primary.waitPrimary(600_000);
    const restoreMs = Date.now() - restoreStart;
    const crashRestoredBytes = dirBytes(primary.dataDir);
    const present = new Set((await primary.query<{ id: string }>("select id from drill_commits")).map((r) => Number(r.id)));
    const acks = writer.acks;
    const lost = acks.filter((a) => !present.has(a.id));
    const lastPresent = Math.max(...present);
    const holes = lost.filter((a) => a.id < lastPresent);
    const lossWindowMs = lost.length > 0 ? crashAt - lost[0].at : 0;
    const rpo = d.config.objectives.dataClasses.database.rpoSeconds;
    fig("postgres.crash.acked_commits", "(a) commits acknowledged before the crash", acks.length, "commits");
    fig("postgres.crash.lost_commits", "(a) acknowledged commits lost", lost.length, "commits");
    fig("postgres.crash.loss_window_seconds", "(a) loss window (crash - first lost commit)", seconds(lossWindowMs), "s");
    fig("postgres.crash.restore_seconds", "(a) restore time from repo2 until primary", seconds(restoreMs), "s");
    fig("postgres.crash.pgbackrest_restore_seconds", "(a) of which pgbackrest restore", seconds(restore.ms), "s");
    fig("postgres.crash.restored_bytes", "(a) data directory after the restore and replay", crashRestoredBytes, "bytes");
    check(
        "(a) commits lost in the crash are within the archive bound",
        lossWindowMs <= rpo * 1000 && holes.length === 0,
        `${lost.length} of ${acks.length} acknowledged commits lost, all written in the last ${seconds(lossWindowMs)} s before the crash (bound: the database RPO ${rpo} s = archive_timeout ${settings.archiveTimeoutSeconds} s + delivery); ${holes.length} lost commit(s) older than the newest restored one`,
    );
    const outageAcks = acks.filter((a) => a.at >= outage.from && a.at <= outage.to);
    const outageLost = outageAcks.filter((a) => !present.has(a.id));
    check(
        "(e) nothing acknowledged during the tier-2 outage is lost once S3 returns",
        outageLost.length === 0 && outageAcks.length > 0,
        `${outageAcks.length} commits acknowledged while repo2's endpoint was frozen; ${outageLost.length} of them missing after the crash and the restore from repo2`,
    );
    return acks;
}

interface Paths {
    readonly confDir: string;
    readonly includeDir: string;
    readonly stanza: string;
    readonly workDir: string;
    readonly dataDir: string;
    readonly pgPort: number;
    readonly socketDir: string;
}

/**
 * pgbackrest.conf holds the rendered options plus what only a local run needs (paths, logs);
 * the secrets go to conf.d/secrets.conf, 0600 — the operator's layout, where they come from a
 * Kubernetes Secret projected into conf.d.
 */
function writeConfigs(settings: PgBackRestSettings, p: Paths): PgBackRest {
    const local = (name: string) => {
        const d = path.join(p.workDir, "pgbackrest", name);
        ownByPostgres(d);
        return d;
    };
    const global = {
        ...settings.options,
        "spool-path": local("spool"),
        "lock-path": local("lock"),
        "log-path": local("log"),
        "log-level-file": "detail",
        "log-level-console": "warn",
    };
    const conf = path.join(p.confDir, "pgbackrest.conf");
    writePostgresFile(
        conf,
        toIni({ global, "global:archive-push": settings.archivePushOptions, [p.stanza]: { "pg1-path": p.dataDir, "pg1-port": String(p.pgPort), "pg1-socket-path": p.socketDir } }),
        0o644,
    );
    const secrets: Record<string, string> = {};
    for (const name of settings.secretOptions) {
        // moto accepts any key pair; the cipher passphrases are real random secrets.
        secrets[name] = name.endsWith("-cipher-pass") ? randomBytes(48).toString("base64") : "drill";
    }
    writePostgresFile(path.join(p.includeDir, "secrets.conf"), toIni({ global: secrets }), 0o600);
    return new PgBackRest(conf, p.includeDir, p.stanza);
}

/**
 * Tier 3 is an Object Lock bucket. pgBackRest rewrites backup.info/archive.info on every
 * backup and deletes what expire removes: on a versioned, locked bucket a rewrite is a new
 * version and a delete only adds a delete marker, so both must succeed while every version
 * stays locked. The bucket demands an integrity header on PUT; pgBackRest's uploads pass.
 */
async function objectLockProof(bin: PgBackRest, lab: S3Lab, bucket: string, settings: PgBackRestSettings, fig: Fig, check: Check): Promise<void> {
    const repo3 = settings.repos.find((r) => r.tier === "tier3")!;
    const prefix = `${s3RepoPath(repo3.tier).slice(1)}/`;
    const first = (await bin.repoInfo(repo3.index)).backups.map((b) => b.label);
    await bin.ok(["backup", `--repo=${repo3.index}`, "--type=full"]);
    // Expire by count just for this proof: the tier's own 365-day retention would keep both.
    const expire = await bin.run(["expire", `--repo=${repo3.index}`, `--${repo3.name}-retention-full-type=count`, `--${repo3.name}-retention-full=1`, "--log-level-console=info"]);
    const after = (await bin.repoInfo(repo3.index)).backups.map((b) => b.label);
    const infoKey = `${prefix}backup/${bin.stanza}/backup.info`;
    const infoVersions = (await listVersions(lab, bucket, infoKey)).filter((v) => v.key === infoKey && !v.deleteMarker).length;
    const expiredSet = await listVersions(lab, bucket, `${prefix}backup/${bin.stanza}/${first[0]}/`);
    const markers = expiredSet.filter((v) => v.deleteMarker && v.isLatest);
    const expiredVersion = expiredSet.find((v) => !v.deleteMarker);
    const destroy = expiredVersion ? await deleteVersion(lab, bucket, expiredVersion.key, expiredVersion.versionId) : undefined;
    const bare = await putWithoutIntegrityHeader(lab, bucket, `${prefix}probe`);
    fig("postgres.object_lock.info_versions", "Object Lock: versions of backup.info in repo3", infoVersions, "versions");
    fig("postgres.object_lock.expired_behind_marker", "Object Lock: expired backup's objects now behind a delete marker", `${markers.length} of ${new Set(expiredSet.map((v) => v.key)).size}`, "objects");
    check(
        "Object Lock: pgBackRest backs up, rewrites its info files and expires on a COMPLIANCE bucket",
        expire.code === 0 && first.length === 1 && after.length === 1 && after[0] !== first[0] && infoVersions >= 2 && markers.length > 0 && markers.length === new Set(expiredSet.map((v) => v.key)).size,
        `expire exited ${expire.code}; backups ${JSON.stringify(first)} -> ${JSON.stringify(after)}; backup.info has ${infoVersions} versions; every object of the expired backup ${first[0]} is behind a delete marker (${markers.length}), its versions still stored`,
    );
    check(
        "Object Lock: a locked version cannot be destroyed, and PUTs without an integrity header are refused",
        destroy !== undefined && destroy.status === 403 && /AccessDenied/.test(destroy.body) && bare.status === 400 && /Content-MD5/.test(bare.body),
        `DELETE ${expiredVersion?.key ?? "(no expired version found)"}?versionId=… -> ${destroy?.status} ${/<Code>([^<]*)/.exec(destroy?.body ?? "")?.[1] ?? ""}; bare PUT -> ${bare.status} ${/<Code>([^<]*)/.exec(bare.body)?.[1] ?? ""} (pgBackRest's own uploads went through, so it sends Content-MD5)`,
    );
}

/**
 * The backup-age CronJob's commands (components/postgres/backup-age.ts), run against the drill's
 * S3 with the repository's own jobs/lib/s3.py: each prints the age it published to CloudWatch
 * (moto serves both). The newest backup.manifest in each S3 repo is that of the latest backup.
 */
async function backupAgeProof(lab: S3Lab, settings: PgBackRestSettings, stanza: string, newestStop: Readonly<Record<string, number>>, fig: Fig, check: Check): Promise<void> {
    const endpoint = `http://127.0.0.1:${lab.motoPort}`;
    const env = { ...process.env, S3_ENDPOINT_URL: endpoint, CLOUDWATCH_ENDPOINT_URL: endpoint, CLOUDWATCH_REGION: "us-west-2", AWS_ACCESS_KEY_ID: "drill", AWS_SECRET_ACCESS_KEY: "drill" };
    const details: string[] = [];
    let ok = true;
    for (const [i, command] of backupAgeCommands(settings, stanza, path.join(ROOT, "jobs")).entries()) {
        const tier = /Tier=(tier\d)/.exec(command)?.[1] ?? `#${i}`;
        const r = await runScript("bash", ["-c", command], env, 60_000);
        const age = Number(r.stdout.trim().split("\n").at(-1));
        // pgbackrest info's stop time of the newest backup, seen from now: the age to expect.
        const expected = Math.round(Date.now() / 1000 - newestStop[tier]);
        fig(`postgres.backup_age.${tier}.seconds`, `backup age published for the database in ${tier}`, Number.isFinite(age) ? age : r.stderr.trim().slice(0, 80), "s");
        ok &&= r.code === 0 && Number.isFinite(age) && Math.abs(age - expected) <= 5;
        details.push(`${tier}: exit ${r.code}, published ${r.stdout.trim() || r.stderr.trim().slice(0, 200)} s, pgbackrest info says ${expected} s`);
    }
    check("the backup-age job publishes each S3 tier's newest database backup", ok && details.length === 2, details.join("; "));
}

/** Waits until PostgreSQL has nothing left to archive (every segment before the current one is in every repo). */
async function waitArchiveCaughtUp(pg: PgServer, timeoutMs: number): Promise<number> {
    const start = Date.now();
    await poll("the archive to catch up (no .ready WAL left)", timeoutMs, async () => {
        const [r] = await pg.query<{ ready: string }>("select count(*) as ready from pg_ls_archive_statusdir() where name like '%.ready'");
        return Number(r.ready) === 0 ? true : undefined;
    }, 500);
    return Date.now() - start;
}

async function loadScenario(pg: PgServer, sampler: Sampler, sizes: Sizes, settings: PgBackRestSettings, rpo: number, fig: Fig, check: Check): Promise<void> {
    const common = ["-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres"];
    const init = await runPg(pgBin("pgbench"), [...common, "-i", "-q", "-s", String(sizes.pgbenchScale), "postgres"], 600_000);
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr.trim()}`);
    const [before] = await pg.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
    const from = Date.now();
    const bench = await runPg(pgBin("pgbench"), [...common, "-n", "-c", "2", "-j", "2", "-T", String(sizes.loadSeconds), "postgres"], (sizes.loadSeconds + 120) * 1000);
    const to = Date.now();
    if (bench.code !== 0) throw new Error(`pgbench failed: ${bench.stderr.trim()}`);
    const [after] = await pg.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
    const catchUpMs = await waitArchiveCaughtUp(pg, 600_000);
    const during = sampler.between(from, to + catchUpMs);
    let maxBehind = 0;
    let worstMs = 0;
    // Delivery: from a segment's completion to the sample that first shows it archived in every repo.
    let deliveryMs = 0;
    let previous: string | null = null;
    for (const s of during) {
        if (s.lastArchived) {
            const archived = segmentNumber(s.lastArchived);
            maxBehind = Math.max(maxBehind, Math.floor(s.lsn / WAL_SEGMENT_BYTES) - archived - 1);
            worstMs = Math.max(worstMs, sampler.lossWindowMs(s, archived) ?? 0);
            const done = sampler.completedAt(archived);
            if (s.lastArchived !== previous && previous !== null && done !== undefined) deliveryMs = Math.max(deliveryMs, s.t - done);
            previous = s.lastArchived;
        }
    }
    const walMiB = (lsnBytes(after.lsn) - lsnBytes(before.lsn)) / 2 ** 20;
    const tps = /tps = ([\d.]+)/.exec(bench.stdout)?.[1] ?? "?";
    fig("postgres.load.pgbench", "(d) pgbench load", `${sizes.loadSeconds} s, scale ${sizes.pgbenchScale}, ${tps} tps`, "");
    fig("postgres.load.wal_mib", "(d) WAL written under load", Math.round(walMiB), "MiB");
    fig("postgres.load.wal_mib_per_second", "(d) WAL rate under load", Math.round((walMiB / ((to - from) / 1000)) * 10) / 10, "MiB/s");
    fig("postgres.load.archiver_behind_segments", "(d) archiver behind, at most", maxBehind, "segments");
    fig("postgres.load.loss_window_seconds", "(d) worst-case loss window under load", seconds(worstMs), "s");
    fig("postgres.load.delivery_after_segment_seconds", "(d) crash loss beyond archive_timeout: WAL delivery after a segment completes, at most", seconds(deliveryMs), "s");
    fig("postgres.load.catch_up_seconds", "(d) archive caught up after the load in", seconds(catchUpMs), "s");
    check(
        "(d) under load the async archiver keeps the loss window within the database RPO",
        during.length > 0 && worstMs <= rpo * 1000,
        `${during.length} samples; archiver at most ${maxBehind} full segments behind; worst loss window ${seconds(worstMs)} s (RPO ${rpo} s, archive_timeout ${settings.archiveTimeoutSeconds} s)`,
    );
}

interface OutageResult {
    readonly from: number;
    readonly to: number;
}

async function outageScenario(pg: PgServer, sampler: Sampler, lab: S3Lab, sizes: Sizes, settings: PgBackRestSettings, fig: Fig, check: Check): Promise<OutageResult> {
    await waitArchiveCaughtUp(pg, 300_000);
    const baselineFrom = Date.now() - 60_000;
    const endpoint = lab.endpoints.tier2.server.child;
    const from = Date.now();
    // Frozen, not killed: connections are accepted and then nothing comes back — the worst case
    // for timeouts, as a region that is unreachable behind its load balancer behaves.
    endpoint.kill("SIGSTOP");
    try {
        await sleep(sizes.outageSeconds * 1000);
    } finally {
        endpoint.kill("SIGCONT");
    }
    const to = Date.now();
    const [{ lsn: endLsn }] = await pg.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
    const catchUpMs = await waitArchiveCaughtUp(pg, 600_000);
    // Everything acknowledged during the outage is in the segment current at its end or before;
    // wait for that segment's switch (archive_timeout at the latest) and its delivery.
    const endSegment = Math.floor(lsnBytes(endLsn) / WAL_SEGMENT_BYTES);
    await poll("the segment current at the end of the outage to reach every repo", (settings.archiveTimeoutSeconds + 300) * 1000, async () => {
        const [r] = await pg.query<{ last: string | null }>("select last_archived_wal as last from pg_stat_archiver");
        return r.last !== null && segmentNumber(r.last) >= endSegment ? true : undefined;
    }, 500);

    const windowMax = (samples: Sample[]) => Math.max(0, ...samples.map((s) => sampler.lossWindowMs(s, s.repo1Newest) ?? 0));
    const during = sampler.between(from, to);
    const baseline = sampler.between(baselineFrom, from);
    // The longest time repo1 went without a new segment while at least one was waiting.
    let stallMs = 0;
    let since = from;
    let last = during[0]?.repo1Newest;
    for (const s of during) {
        if (s.repo1Newest !== last) {
            last = s.repo1Newest;
            since = s.t;
        } else if (s.ready > 0) {
            stallMs = Math.max(stallMs, s.t - since);
        }
    }
    const repo1Gained = (during.at(-1)?.repo1Newest ?? 0) - (during[0]?.repo1Newest ?? 0);
    const peakReady = Math.max(0, ...during.map((s) => s.ready));
    const bound = tier1LossBoundSeconds(settings);
    const outageWindow = windowMax(during);
    fig("postgres.tier2_outage.frozen_seconds", "(e) tier-2 endpoint frozen for", seconds(to - from), "s");
    fig("postgres.tier2_outage.repo1_segments", "(e) WAL segments that reached repo1 during the outage", repo1Gained, "segments");
    fig("postgres.tier2_outage.repo1_stall_seconds", "(e) longest repo1 stall during the outage", seconds(stallMs), "s");
    fig("postgres.tier2_outage.loss_window_seconds", "(e) repo1 loss window during the outage, at most", seconds(outageWindow), "s");
    fig("postgres.tier2_outage.baseline_loss_window_seconds", "(e) repo1 loss window in the minute before, at most", seconds(windowMax(baseline)), "s");
    fig("postgres.tier2_outage.queued_segments", "(e) WAL segments queued locally, at most", peakReady, "segments");
    fig("postgres.tier2_outage.catch_up_seconds", "(e) archive caught up after S3 returned in", seconds(catchUpMs), "s");
    const stallBound = tier1StallBoundSeconds(settings);
    check(
        "(e) tier 1 keeps receiving WAL while tier 2 is unreachable, within the configured bound",
        repo1Gained > 0 && outageWindow <= bound * 1000 && stallMs <= stallBound * 1000,
        `${repo1Gained} segments reached repo1 during ${seconds(to - from)} s of outage; longest stall ${seconds(stallMs)} s (bound ${stallBound} s: 2 cycles of archive-timeout ${settings.archivePushOptions["archive-timeout"]} s + ${ARCHIVER_RESTART_SECONDS} s); repo1's loss window peaked at ${seconds(outageWindow)} s (bound ${bound} s: archive_timeout ${settings.archiveTimeoutSeconds} s + the stall bound)`,
    );
    return { from, to };
}

async function pitrScenario(primary: PgServer, bin: PgBackRest, acks: readonly Ack[], workDir: string, socketDir: string, logDir: string, servers: PgServer[], fig: Fig, check: Check): Promise<void> {
    const rows = await primary.query<{ id: string; ts: string; us: string }>(
        "select id, pg_xact_commit_timestamp(xmin)::text as ts, (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000000)::bigint::text as us from drill_commits order by id",
    );
    // A target a quarter into the writer's run: after the full backups, so the restore replays WAL.
    let k = Math.floor(rows.length / 4);
    while (k + 1 < rows.length && rows[k].us === rows[k + 1].us) k++;
    if (k + 1 >= rows.length) throw new Error("(b) no two commits with distinct commit timestamps to put a target between");
    const [{ target, target_us }] = await primary.query<{ target: string; target_us: string }>(
        "select t::text as target, (extract(epoch from t) * 1000000)::bigint::text as target_us from (select $1::timestamptz + ($2::timestamptz - $1::timestamptz) / 2 as t) x",
        [rows[k].ts, rows[k + 1].ts],
    );
    // Recovery stops after the last commit whose timestamp is <= the target (recovery_target_inclusive).
    const expectedIds = rows.filter((r) => BigInt(r.us) <= BigInt(target_us)).map((r) => Number(r.id));
    const pitr = new PgServer("pitr", path.join(workDir, "pitr"), await freePort(), socketDir, path.join(logDir, "pitr.log"));
    ownByPostgres(pitr.dataDir);
    const started = Date.now();
    const r = await bin.ok(["restore", "--repo=1", `--pg1-path=${pitr.dataDir}`, ...privateQueues(workDir, "pitr"), "--type=time", `--target=${target}`, "--target-action=promote"]);
    // What the restore wrote and where replay starts: the objectives model scales these rates to
    // the declared volume and to the WAL a schedule leaves between backups.
    const restoredBytes = dirBytes(pitr.dataDir);
    const replayFrom = /START WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+)/i.exec(fs.existsSync(path.join(pitr.dataDir, "backup_label")) ? fs.readFileSync(path.join(pitr.dataDir, "backup_label"), "utf8") : "")?.[1];
    pitr.appendSettings({ port: String(pitr.port), archive_mode: "off" });
    servers.push(pitr);
    await pitr.start();
    await pitr.waitPrimary(600_000);
    const ms = Date.now() - started;
    const [{ replayed }] = await pitr.query<{ replayed: string | null }>("select pg_last_wal_replay_lsn()::text as replayed");
    const restored = (await pitr.query<{ id: string }>("select id from drill_commits order by id")).map((x) => Number(x.id));
    await pitr.stop("fast");
    const lastRestored = restored.at(-1);
    const exact = restored.length === expectedIds.length && restored.every((id, i) => id === expectedIds[i]);
    fig("postgres.pitr.target", "(b) point-in-time target", target, "");
    fig("postgres.pitr.expected_last_commit", "(b) last commit at or before the target", expectedIds.at(-1)!, "id");
    fig("postgres.pitr.restored_last_commit", "(b) last restored commit", lastRestored ?? "none", "id");
    fig("postgres.pitr.restore_seconds", "(b) point-in-time restore time from repo1 until primary", seconds(ms), "s");
    fig("postgres.pitr.pgbackrest_restore_seconds", "(b) of which pgbackrest restore (files)", seconds(r.ms), "s");
    fig("postgres.pitr.restored_bytes", "(b) data directory written by the restore", restoredBytes, "bytes");
    fig("postgres.pitr.wal_replayed_bytes", "(b) WAL replayed (backup start to the target)", replayFrom && replayed ? lsnBytes(replayed) - lsnBytes(replayFrom) : "unknown", "bytes");
    fig("postgres.pitr.replay_seconds", "(b) of which start, WAL replay and promotion", seconds(ms - r.ms), "s");
    check(
        "(b) the point-in-time restore ends exactly at the last commit at or before the target",
        exact && expectedIds.at(-1) === Number(rows[k].id),
        `target ${target} lies between commit ${rows[k].id} (${rows[k].ts}) and ${rows[k + 1].id} (${rows[k + 1].ts}); restored ${restored.length} commits ending at ${lastRestored}, expected ${expectedIds.length} ending at ${expectedIds.at(-1)}; pgbackrest restore ${seconds(r.ms)} s; the writer's log holds ${acks.length} acknowledged commits`,
    );
}

/** Bytes of the regular files under a directory (a restored data directory). */
function dirBytes(dir: string): number {
    let n = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) n += dirBytes(p);
        else if (e.isFile()) n += fs.statSync(p).size;
    }
    return n;
}

/**
 * Spool and lock directories of a second cluster restored beside the running primary: a
 * restore clears the spool's archive queue, and pgBackRest refuses to when the primary's async
 * archiver is writing into it ("unable to remove path ... Directory not empty").
 */
function privateQueues(workDir: string, name: string): string[] {
    const base = path.join(workDir, "pgbackrest", name);
    for (const d of ["spool", "lock"]) ownByPostgres(path.join(base, d));
    return [`--spool-path=${path.join(base, "spool")}`, `--lock-path=${path.join(base, "lock")}`];
}

/** Flips bytes in the middle of the largest file of repo1's newest backup and of its newest WAL segment. */
async function corruptionScenario(bin: PgBackRest, verification: Verification, repo1: string, stanza: string, workDir: string, fig: Fig, check: Check): Promise<void> {
    const { backups } = await bin.repoInfo(1);
    const label = backups.at(-1)!.label;
    const setDir = path.join(repo1, "backup", stanza, label);
    const files: string[] = [];
    const walk = (d: string) => fs.readdirSync(d).forEach((n) => (fs.statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : files.push(path.join(d, n))));
    walk(setDir);
    const victim = files.filter((f) => !/backup\.manifest/.test(f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    const flip = (file: string) => {
        const buf = fs.readFileSync(file);
        const at = Math.floor(buf.length / 2);
        for (let i = at; i < Math.min(buf.length, at + 64); i++) buf[i] ^= 0xff;
        fs.writeFileSync(file, buf);
    };
    flip(victim);
    const rel = path.relative(repo1, victim);
    fig("postgres.corruption.file", "(c) corrupted backup file", rel, "");

    const job = await verification.run([1]);
    const verifyOk = job.results.find((r) => r.metric === VERIFY_METRICS.verifyOk && r.repo === 1)?.value;
    fig("postgres.corruption.verify_exit", "(c) verification job on repo1: exit code / VerifyOk", `${job.code} / ${verifyOk}`, "");
    check(
        "(c) the verification job (pgbackrest verify --repo=1) detects the corrupted backup file",
        job.code === 1 && verifyOk === 0 && job.stderr.includes(label),
        `exit ${job.code}, VerifyOk ${verifyOk}: ${job.stderr.trim().slice(0, 400)}`,
    );

    const scratch = path.join(workDir, "corrupt-restore");
    ownByPostgres(scratch);
    const restore = await bin.run(["restore", "--repo=1", `--set=${label}`, `--pg1-path=${scratch}`, ...privateQueues(workDir, "corrupt")], 600_000);
    const restoreLine = (restore.stdout + restore.stderr).split("\n").find((l) => /ERROR/.test(l))?.trim() ?? "(no error line)";
    fig("postgres.corruption.restore_exit", "(c) restore --repo=1 --set=<corrupted> exit code", restore.code ?? "killed", "");
    check("(c) restore refuses the corrupted backup with a clear message", restore.code !== 0 && /ERROR/.test(restoreLine), `exit ${restore.code}: ${restoreLine.slice(0, 300)}`);
}

/** Runs the verification CronJob's script (components/postgres/verify-script.ts) against the drill's repos. */
class Verification {
    private readonly script: string;
    private readonly scratch: string;

    constructor(
        private readonly bin: PgBackRest,
        workDir: string,
    ) {
        this.script = path.join(workDir, "verify-backups.sh");
        fs.writeFileSync(this.script, verificationScript(), { mode: 0o755 });
        this.scratch = path.join(workDir, "verify-scratch");
        ownByPostgres(this.scratch);
    }

    async run(repos: readonly number[], restoreRepo?: number): Promise<{ code: number | null; results: VerifyResult[]; stderr: string }> {
        const results = path.join(this.scratch, "results");
        const env = {
            ...process.env,
            STANZA: this.bin.stanza,
            REPOS: repos.join(" "),
            RESULTS: results,
            SCRATCH: this.scratch,
            PG_BIN: pgBinDir(),
            PGBR_ARGS: `--config=${this.bin.configFile} --config-include-path=${this.bin.includeDir}`,
            RESTORE_PORT: String(await freePort()),
            ...(restoreRepo !== undefined ? { RESTORE_REPO: String(restoreRepo) } : {}),
        };
        const r = await runPg("bash", [this.script], 1_800_000, env);
        return { code: r.code, results: fs.existsSync(results) ? parseVerifyResults(fs.readFileSync(results, "utf8")) : [], stderr: r.stderr };
    }
}

/**
 * The recovery drill: the `fortress` commands, run as an operator runs them (the CLI's own bin,
 * as a child process), on a real PostgreSQL primary with pgBackRest repos in a directory (tier 1)
 * and on moto S3 behind TLS (tiers 2 and 3) — through the lab driver.
 *
 *   backup → validate clean; restore --target-time lands on the last commit at or before the
 *   target; a restore SIGKILLed half-way and rerun ends with the same rows; status shows a stale
 *   tier as breached; --dry-run changes nothing (data dir, repos, buckets, state dir compared
 *   byte for byte); bad arguments give one line and exit 2 or 4; a corrupted backup file and a
 *   missing WAL segment each make validate exit 1 naming the object; `fortress dr-test` restores
 *   tier 1 into scratch and tears it down; every backup and dr-test run — a failed backup (primary
 *   down) and a failed dr-test (a tier without backups) too — is read back from moto's CloudWatch
 *   as the backup SLO metrics the alarms read (names, dimensions, values).
 */
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { randomBytes } from "crypto";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { BACKUP_SLO_NAMESPACE, SLO_RUN_DIMENSIONS, SLO_RUN_METRICS } from "../../components/detection/slo";
import { loadStack } from "../../cli/stack";
import { labS3Client } from "../../cli/drivers/lab/storage";
import { query } from "../../cli/drivers/lab/pg";
import { pgCtl } from "../../cli/drivers/lab/pg";
import { prereqVersions, requirePrereqs } from "../lib/prereqs";
import { ProcessGroup, sleep } from "../postgres/processes";
import type { Drill, DrillCheck, DrillFigure } from "../types";
import { RecoveryLab, startRecoveryLab } from "./lab";
import { RespClient } from "../redis/resp";

const BIN = path.resolve(__dirname, "..", "..", "cli", "bin", "fortress.js");

interface CliResult {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
}

function fortress(args: readonly string[], env: NodeJS.ProcessEnv, killWhen?: () => boolean): Promise<CliResult> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        const limit = setTimeout(() => child.kill("SIGKILL"), 600_000);
        let poller: NodeJS.Timeout | undefined;
        if (killWhen) {
            poller = setInterval(() => {
                if (killWhen()) {
                    clearInterval(poller);
                    child.kill("SIGKILL");
                }
            }, 50);
        }
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(limit);
            if (poller) clearInterval(poller);
            resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 });
        });
    });
}

/** sha256 of every file under `dir` (relative path → hash), for the byte-for-byte dry-run check. */
function treeHashes(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
        if (!fs.existsSync(d)) return;
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            const rel = path.relative(dir, p);
            if (skip(rel)) continue;
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) out.set(rel, createHash("sha256").update(fs.readFileSync(p)).digest("hex"));
        }
    };
    walk(dir);
    return out;
}

function sameMaps(a: Map<string, string>, b: Map<string, string>): string[] {
    const diff: string[] = [];
    for (const [k, v] of a) if (b.get(k) !== v) diff.push(b.has(k) ? `changed ${k}` : `removed ${k}`);
    for (const k of b.keys()) if (!a.has(k)) diff.push(`added ${k}`);
    return diff;
}

const stderrLines = (r: CliResult) => r.stderr.split("\n").filter((l) => l.trim() !== "");

export const run: Drill = async (options) => {
    const found = requirePrereqs(["postgres", "pgbackrest", "moto", "openssl", "redis"]);
    const figures: DrillFigure[] = [];
    const checks: DrillCheck[] = [];
    const fig = (id: string, name: string, value: number | string, unit: string) => figures.push({ id, name, value, unit });
    const check = (name: string, passed: boolean, detail: string) => checks.push({ name, passed, detail });
    const startedAt = new Date().toISOString();
    const procs = new ProcessGroup();
    let lab: RecoveryLab | undefined;
    try {
        // The CLI publishes its SLO runs to the stack's DR region, as on the platform.
        const metricsRegion = loadStack("dev").config.regions.dr;
        lab = await startRecoveryLab(options.workDir, procs, "db", metricsRegion);
        const desc = lab.description;
        const cw = new CloudWatchClient({ region: metricsRegion, endpoint: desc.cloudwatch!.endpoint, credentials: { accessKeyId: "fortress-lab", secretAccessKey: "fortress-lab" } });
        /** One series of the backup SLOs read back from moto: the sums of the last two hours. */
        const sloSeries = async (tier: string, purpose: string) => {
            const dims = SLO_RUN_DIMENSIONS.map((Name) => ({ Name, Value: { DataClass: "database", Tier: tier, Purpose: purpose }[Name] }));
            const read = async (metric: string, stat: "Sum" | "Maximum") => {
                const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: BACKUP_SLO_NAMESPACE, MetricName: metric, Dimensions: dims, StartTime: new Date(Date.now() - 7_200_000), EndTime: new Date(Date.now() + 300_000), Period: 10_800, Statistics: [stat] }));
                const p = r.Datapoints ?? [];
                return p.length ? p.reduce((t, d) => (stat === "Sum" ? t + (d.Sum ?? 0) : Math.max(t, d.Maximum ?? 0)), 0) : null;
            };
            const listed = (await cw.send(new ListMetricsCommand({ Namespace: BACKUP_SLO_NAMESPACE, Dimensions: dims.map((d) => ({ ...d })) }))).Metrics ?? [];
            return {
                runs: await read(SLO_RUN_METRICS.runs, "Sum"),
                succeeded: await read(SLO_RUN_METRICS.succeeded, "Sum"),
                withinWindow: await read(SLO_RUN_METRICS.withinWindow, "Sum"),
                durationMax: await read(SLO_RUN_METRICS.duration, "Maximum"),
                // every metric of the series, with its dimension names in the order the jobs send them
                names: [...new Set(listed.filter((m) => JSON.stringify(m.Dimensions?.map((d) => d.Name)) === JSON.stringify(SLO_RUN_DIMENSIONS)).map((m) => m.MetricName!))].sort(),
            };
        };
        const allRunMetrics = Object.values(SLO_RUN_METRICS).sort();
        const sloLine = (label: string, x: Awaited<ReturnType<typeof sloSeries>>) => `${label}: Runs ${x.runs}, Succeeded ${x.succeeded}, WithinWindow ${x.withinWindow}, DurationSeconds max ${x.durationMax}; metrics {${SLO_RUN_DIMENSIONS.join(",")}}: ${x.names.join(" ")}`;
        const stateDir = path.join(options.workDir, "state");
        const env = { ...process.env, FORTRESS_STATE_DIR: stateDir };
        const common = ["--stack", "dev", "--lab", lab.descriptionFile];
        const primary = { host: "127.0.0.1", port: desc.postgres.port, user: "postgres" };
        const labStartedAt = new Date();

        // Commits one per transaction, each with its own commit timestamp.
        await query(primary, "create table drill_commits (id int primary key, payload text not null)");
        const commit = async (from: number, to: number) => {
            for (let id = from; id <= to; id++) {
                await query(primary, "insert into drill_commits values ($1, $2)", [id, `commit ${id}`]);
                await sleep(5);
            }
        };
        await commit(1, options.quick ? 100 : 1000);

        // ------------------------------------------------------------------ cache, configuration, secrets: backup
        const redisKeys = options.quick ? 2000 : 20000;
        const master = await RespClient.connect(desc.redis!.masterPort);
        for (let i = 1; i <= redisKeys; i += 500) {
            const args: string[] = [];
            for (let j = i; j < i + 500 && j <= redisKeys; j++) args.push(`drill:key:${j}`, `value ${j} ${"x".repeat(j % 50)}`);
            await master.command("MSET", ...args);
        }
        const cacheTiers = options.quick ? "tier1" : "tier1,tier2";
        const cacheBackup = await fortress(["backup", ...common, "--class", "cache", "--tier", cacheTiers, "--output", "json"], env);
        const cacheBackupDoc = JSON.parse(cacheBackup.stdout || "{}");
        const cacheSnap = cacheBackupDoc.result?.["backup-cache-tier1"]?.[0] as { id: string; object: string; counts?: { keys?: number } } | undefined;
        fig("recovery.cache.backup.seconds", `fortress backup --class cache to ${cacheTiers.replace(",", " and ")} (${redisKeys} keys; jobs/redis-snapshot.sh, verified listed, checksum, RDB loads)`, Math.round(cacheBackup.seconds * 10) / 10, "s");
        check(
            "fortress backup --class cache exits 0 with each snapshot listed, its checksum matching and its RDB loading",
            cacheBackup.code === 0 && cacheBackupDoc.outcome === "done" && cacheSnap?.counts?.keys === redisKeys,
            `exit ${cacheBackup.code}; ${cacheBackupDoc.steps?.filter((x: { id: string }) => x.id.startsWith("backup-")).map((x: { detail?: string }) => x.detail).join(" | ")}; ${stderrLines(cacheBackup).slice(-1).join("")}`,
        );
        const bundleBackup = await fortress(["backup", ...common, "--class", "configuration,secrets", "--tier", "tier2", "--output", "json"], env);
        const bundleDoc = JSON.parse(bundleBackup.stdout || "{}");
        fig("recovery.config_secrets.backup.seconds", "fortress backup --class configuration,secrets to tier 2 (jobs/dir-bundle-backup.sh, verified listed, checksum, decrypts, index)", Math.round(bundleBackup.seconds * 10) / 10, "s");
        check(
            "fortress backup --class configuration,secrets exits 0 with each bundle listed and verified",
            bundleBackup.code === 0 && bundleDoc.outcome === "done",
            `exit ${bundleBackup.code}; ${bundleDoc.steps?.filter((x: { id: string }) => x.id.startsWith("backup-")).map((x: { detail?: string }) => x.detail).join(" | ")}; ${stderrLines(bundleBackup).slice(-1).join("")}`,
        );
        // The lab has no CronJob: the drill snapshots the cache again before a check that reads its age.
        const freshCache = () => fortress(["backup", ...common, "--class", "cache", "--tier", cacheTiers], env);

        // ------------------------------------------------------------------ backup, validate clean
        // Quick mode (CI) backs up and validates tier 1 only: moto's S3 makes each tier-2 pass cost about a minute on 2 busy cores.
        const tiers = options.quick ? "tier1" : "tier1,tier2";
        const staleTier = options.quick ? "tier1" : "tier2";
        const backup = await fortress(["backup", ...common, "--class", "database", "--tier", tiers, "--type", "full", "--output", "json"], env);
        const backupDoc = JSON.parse(backup.stdout || "{}");
        fig("recovery.backup.seconds", `fortress backup: full to ${tiers.replace(",", " and ")}, verified listed and complete`, Math.round(backup.seconds * 10) / 10, "s");
        check("fortress backup exits 0 with each new backup listed and complete", backup.code === 0 && backupDoc.outcome === "done", `exit ${backup.code}; ${Object.keys(backupDoc.result ?? {}).join(", ")}; ${stderrLines(backup).slice(-1).join("")}`);

        const backupSlo = await Promise.all(tiers.split(",").map((t) => sloSeries(t, "backup")));
        check(
            `fortress backup published each tier's run to moto CloudWatch: ${BACKUP_SLO_NAMESPACE} Runs 1, Succeeded 1, DurationSeconds > 0 {DataClass=database, Tier, Purpose=backup}`,
            backupDoc.sloMetrics?.published === true && backupSlo.every((x) => x.runs === 1 && x.succeeded === 1 && (x.durationMax ?? 0) > 0 && JSON.stringify(x.names) === JSON.stringify(allRunMetrics)),
            `${backupDoc.sloMetrics?.sink ?? "no sink"}${backupDoc.sloMetrics?.error ? ` (${backupDoc.sloMetrics.error})` : ""}; ${backupSlo.map((x, i) => sloLine(tiers.split(",")[i], x)).join("; ")}`,
        );

        // The full run's database backups take minutes: the cache snapshot is taken again first, as its */4 CronJob would.
        await freshCache();
        const clean = await fortress(["validate", ...common, "--tier", tiers, "--output", "json"], env);
        const cleanDoc = JSON.parse(clean.stdout || "{}");
        fig("recovery.validate.seconds", `fortress validate of ${tiers.replace(",", " and ")} (verify, WAL continuity, staleness)`, Math.round(clean.seconds * 10) / 10, "s");
        check("fortress validate on fresh backups exits 0 with no finding", clean.code === 0 && (cleanDoc.findings ?? []).length === 0, `exit ${clean.code}; findings ${JSON.stringify(cleanDoc.findings ?? null)}`);

        // ------------------------------------------------------------------ point-in-time restore
        const n = options.quick ? 100 : 1000;
        await commit(n + 1, 2 * n);
        const rows = await query<{ id: number; us: string }>(primary, "select id, (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000000)::bigint::text as us from drill_commits order by id");
        let k = rows.length - Math.floor(n / 2);
        while (k + 1 < rows.length && rows[k].us === rows[k + 1].us) k++;
        const targetUs = (BigInt(rows[k].us) + BigInt(rows[k + 1].us)) / 2n;
        // Milliseconds are what the CLI takes: round down so the target stays between the two commits.
        const target = new Date(Number(targetUs / 1000n));
        const expected = rows.filter((r) => BigInt(r.us) <= BigInt(target.getTime()) * 1000n).map((r) => r.id);
        // Make the WAL holding the target reach the archive.
        const [{ seg }] = await query<{ seg: string }>(primary, "select pg_walfile_name(pg_switch_wal()) as seg");
        const t0 = Date.now();
        while (Date.now() - t0 < 60_000) {
            const [{ last }] = await query<{ last: string | null }>(primary, "select last_archived_wal as last from pg_stat_archiver");
            if (last && last >= seg) break;
            await sleep(200);
        }
        const restoreArgs = (into: string) => ["restore", ...common, "--reason", "recovery drill", "--target-time", target.toISOString(), "--from", "tier1", "--into", into, "--yes", "--output", "json"];
        const pitr = await fortress(restoreArgs("pitr"), env);
        const pitrDoc = JSON.parse(pitr.stdout || "{}");
        fig("recovery.restore.seconds", "fortress restore --target-time from tier 1, until held at the target and validated", Math.round(pitr.seconds * 10) / 10, "s");
        let pitrIds: number[] = [];
        const endpoint = pitrDoc.result?.restored?.endpoint as string | undefined;
        if (endpoint) pitrIds = (await query<{ id: number }>({ host: "127.0.0.1", port: Number(endpoint.split(":")[1]), user: "postgres" }, "select id from drill_commits order by id")).map((r) => r.id);
        const exact = pitr.code === 0 && pitrIds.length === expected.length && pitrIds.every((id, i) => id === expected[i]);
        fig("recovery.restore.pitr.exact", "restore --target-time: restored rows are exactly the commits at or before the target (1 = exact)", exact ? 1 : 0, "");
        check(
            "fortress restore --target-time lands on the last commit at or before the target, held read-only",
            exact && pitrDoc.result?.held === true && pitrDoc.result?.restored?.inRecovery === true,
            `target ${target.toISOString()} between commits ${rows[k].id} and ${rows[k + 1].id}; restored ${pitrIds.length} rows ending at ${pitrIds.at(-1)}, expected ${expected.length} ending at ${expected.at(-1)}; exit ${pitr.code}; held ${pitrDoc.result?.held}`,
        );

        // ------------------------------------------------------------------ killed half-way, rerun
        const runsDir = path.join(stateDir, "runs");
        const killedData = path.join(desc.workDir, "restores", "killed", "data");
        const restoreRunning = () => {
            try {
                for (const f of fs.readdirSync(runsDir).filter((x) => x.endsWith(".json"))) {
                    const s = JSON.parse(fs.readFileSync(path.join(runsDir, f), "utf8"));
                    if (s.command === "restore" && s.args?.into === "killed" && s.steps?.restore?.status === "running") return fs.existsSync(killedData) && fs.readdirSync(killedData).length > 3;
                }
            } catch {
                return false;
            }
            return false;
        };
        const killed = await fortress(restoreArgs("killed"), env, restoreRunning);
        const rerun = await fortress(restoreArgs("killed"), env);
        const rerunDoc = JSON.parse(rerun.stdout || "{}");
        let rerunIds: number[] = [];
        const ep2 = rerunDoc.result?.restored?.endpoint as string | undefined;
        if (ep2) rerunIds = (await query<{ id: number }>({ host: "127.0.0.1", port: Number(ep2.split(":")[1]), user: "postgres" }, "select id from drill_commits order by id")).map((r) => r.id);
        const identical = killed.signal === "SIGKILL" && rerun.code === 0 && rerunDoc.resumedFrom !== undefined && rerunIds.length === pitrIds.length && rerunIds.every((id, i) => id === pitrIds[i]);
        fig("recovery.restore.resumed_identical", "restore SIGKILLed during the restore step, rerun: same rows as the uninterrupted restore (1 = identical)", identical ? 1 : 0, "");
        check(
            "a restore killed half-way and rerun resumes its run and ends with the same rows",
            identical,
            `first attempt ended by ${killed.signal ?? `exit ${killed.code}`} during step restore; rerun exit ${rerun.code}, resumed ${JSON.stringify(rerunDoc.resumedFrom ?? null)}; ${rerunIds.length} rows ending at ${rerunIds.at(-1)} vs ${pitrIds.length} ending at ${pitrIds.at(-1)}`,
        );

        // ------------------------------------------------------------------ dr-test, and its SLO runs
        const drill = await fortress(["dr-test", ...common, "--from", "tier1", "--into", "drtest", "--output", "json"], env);
        const drillDoc = JSON.parse(drill.stdout || "{}");
        fig("recovery.drtest.seconds", "fortress dr-test from tier 1: restore into scratch (archiving off), validate, teardown proved, report", Math.round(drill.seconds * 10) / 10, "s");
        const drillSlo = await sloSeries("tier1", "recovery");
        check(
            "fortress dr-test from tier 1 exits 0 (scratch restored, validated, torn down) and its recovery run reads back from moto: Runs 1, Succeeded 1",
            drill.code === 0 && drillDoc.outcome === "done" && drillDoc.sloMetrics?.published === true && drillSlo.runs === 1 && drillSlo.succeeded === 1 && JSON.stringify(drillSlo.names) === JSON.stringify(allRunMetrics),
            `exit ${drill.code}; ${drillDoc.steps?.map((x: { id: string; status: string }) => `${x.id}=${x.status}`).join(" ") ?? ""}; ${sloLine("database/tier1/recovery", drillSlo)}; ${stderrLines(drill).slice(-1).join("")}`,
        );
        const noBackups = await fortress(["dr-test", ...common, "--from", "tier3", "--into", "drtest3", "--output", "json"], env);
        const noBackupsDoc = JSON.parse(noBackups.stdout || "{}");
        const failedSlo = await sloSeries("tier3", "recovery");
        check(
            "a dr-test that fails (tier 3 has no backup: exit 4) publishes its recovery run as failed before exiting: Runs 1, Succeeded 0",
            noBackups.code === 4 && noBackupsDoc.sloMetrics?.published === true && failedSlo.runs === 1 && failedSlo.succeeded === 0 && failedSlo.withinWindow === 0,
            `exit ${noBackups.code}, "${stderrLines(noBackups).slice(-1).join("")}"; ${sloLine("database/tier3/recovery", failedSlo)}`,
        );

        // ------------------------------------------------------------------ status: stale tier
        await freshCache();
        const fresh = await fortress(["status", ...common, "--tier", tiers], env);
        const staleFile = lab.writeVariant(`stale-${staleTier}`, (d) => ({ ...d, repos: { ...d.repos, [staleTier]: { ...d.repos[staleTier]!, maxBackupAgeSeconds: 5 } } }));
        const stale = await fortress(["status", "--stack", "dev", "--lab", staleFile, "--tier", tiers], env);
        check(
            "status exits 0 within the schedule and 1 naming the tier when its newest backup is older than its bound",
            fresh.code === 0 && stale.code === 1 && stale.stderr.includes(`database ${staleTier}`) && (options.quick || !/database tier1/.test(stale.stderr)),
            `within bounds: exit ${fresh.code}${fresh.code !== 0 ? ` (${stderrLines(fresh).join(" ")})` : ""}; ${staleTier} with a 5 s lab bound: exit ${stale.code}, "${stderrLines(stale).join(" ")}"`,
        );

        // ------------------------------------------------------------------ bad arguments
        const bad: { name: string; args: string[]; want: number }[] = [
            { name: "unknown stack", args: ["status", "--stack", "no-such-stack", "--lab", lab.descriptionFile], want: 2 },
            { name: "bad timestamp", args: ["restore", ...common, "--reason", "x", "--yes", "--target-time", "2026-12-03 25:00"], want: 2 },
            { name: "target before the oldest backup", args: ["restore", ...common, "--reason", "x", "--yes", "--target-time", new Date(labStartedAt.getTime() - 3_600_000).toISOString()], want: 4 },
            { name: "tier without backups", args: ["restore", ...common, "--reason", "x", "--yes", "--from", "tier3", "--into", "t3"], want: 4 },
        ];
        for (const b of bad) {
            const r = await fortress(b.args, env);
            const lines = stderrLines(r);
            check(`bad argument (${b.name}): exit ${b.want} and one line`, r.code === b.want && lines.length === 1, `exit ${r.code}; stderr: ${lines.join(" / ")}`);
        }

        // ------------------------------------------------------------------ cache restore into scratch
        const s3 = labS3Client(desc)!;
        const cacheRestore = await fortress(["restore", ...common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--into", "cache-check", "--probe", `last=EXISTS drill:key:${redisKeys}>=1`, "--yes", "--output", "json"], env);
        const cacheRestoreDoc = JSON.parse(cacheRestore.stdout || "{}");
        fig("recovery.cache.restore.seconds", "fortress restore --class cache from tier 1 into a scratch redis-server, until validated (key count, probes)", Math.round(cacheRestore.seconds * 10) / 10, "s");
        let cacheSame = false;
        let cacheDetail = "no endpoint";
        const cacheEp = cacheRestoreDoc.result?.restored?.endpoint as string | undefined;
        if (cacheRestore.code === 0 && cacheEp) {
            const scratch = await RespClient.connect(Number(cacheEp.split(":")[1]));
            const n = Number(await scratch.command("DBSIZE"));
            let wrong = 0;
            for (let i = 1; i <= redisKeys; i += 1000) {
                const names = Array.from({ length: Math.min(1000, redisKeys - i + 1) }, (_, j) => `drill:key:${i + j}`);
                const [a, b] = [(await master.command("MGET", ...names)) as string[], (await scratch.command("MGET", ...names)) as string[]];
                wrong += a.filter((v, j) => v !== b[j]).length;
            }
            scratch.close();
            cacheSame = n === redisKeys && wrong === 0;
            cacheDetail = `scratch ${cacheEp}: ${n} keys, ${wrong} value(s) differ from the master (${redisKeys} keys)`;
        }
        fig("recovery.cache.restore.identical", "cache restored into scratch: every key and value as in the master at the snapshot (1 = identical)", cacheSame ? 1 : 0, "");
        check("fortress restore --class cache lands in a scratch redis-server, validated, identical to the master key by key", cacheSame && cacheRestoreDoc.outcome === "done", `exit ${cacheRestore.code}; ${cacheDetail}; probes ${JSON.stringify((cacheRestoreDoc.result?.probes ?? []).map((p: { name: string; ok: boolean }) => `${p.name}:${p.ok}`))}; ${stderrLines(cacheRestore).slice(-1).join("")}`);

        // ------------------------------------------------------------------ configuration and secrets restore into scratch
        for (const dc of ["configuration", "secrets"] as const) {
            const r = await fortress(["restore", ...common, "--reason", "recovery drill", "--class", dc, "--from", "tier2", "--into", `${dc}-check`, "--yes", "--output", "json"], env);
            const doc = JSON.parse(r.stdout || "{}");
            fig(`recovery.${dc}.restore.seconds`, `fortress restore --class ${dc} from tier 2 into a scratch directory, until validated (decrypted, every file against the bundle's index)`, Math.round(r.seconds * 10) / 10, "s");
            const ep = doc.result?.restored?.endpoint as string | undefined;
            const diff = ep ? sameMaps(treeHashes(desc[dc]!.dir), treeHashes(ep)) : ["no endpoint"];
            fig(`recovery.${dc}.restore.identical`, `${dc} restored into scratch: every file byte-identical to the source directory (1 = identical)`, r.code === 0 && diff.length === 0 ? 1 : 0, "");
            check(`fortress restore --class ${dc} decrypts into a scratch directory, validated, every file identical to the source`, r.code === 0 && doc.outcome === "done" && diff.length === 0, `exit ${r.code}; ${ep ?? "-"}: ${treeHashes(desc[dc]!.dir).size} source files, ${diff.length} differ${diff.length ? `: ${diff.slice(0, 3).join(", ")}` : ""}; ${stderrLines(r).slice(-1).join("")}`);
        }

        // ------------------------------------------------------------------ a wrong encryption key
        const wrongKey = path.join(options.workDir, "wrong.key");
        fs.writeFileSync(wrongKey, randomBytes(32).toString("hex"), { mode: 0o600 });
        const wrongLab = lab.writeVariant("wrong-key", (d) => ({ ...d, snapshots: { ...d.snapshots!, keyFile: wrongKey } }));
        const wrong = await fortress(["restore", "--stack", "dev", "--lab", wrongLab, "--reason", "recovery drill", "--class", "secrets", "--from", "tier2", "--into", "wrong-key", "--yes"], env);
        const wrongLines = stderrLines(wrong);
        const wrongRefused = wrong.code === 4 && wrongLines.length === 1 && /decrypt/i.test(wrongLines[0]) && !fs.existsSync(path.join(desc.workDir, "restores", "wrong-key.secrets"));
        fig("recovery.secrets.wrong_key_refused", "restore --class secrets with the wrong encryption key: exit 4, one line, nothing created (1 = so)", wrongRefused ? 1 : 0, "");
        check("a wrong encryption key makes restore exit 4 with one line naming decryption, before anything is created", wrongRefused, `exit ${wrong.code}; stderr: ${wrongLines.join(" / ").slice(0, 400)}`);

        // ------------------------------------------------------------------ a corrupted Redis snapshot
        const bucket1 = lab.snapshotBuckets.tier1;
        const objectKey = (cacheSnap?.object ?? "").replace(`s3://${bucket1}/`, "");
        let corruptCacheNamed = false;
        let corruptCacheDetail = "no tier-1 cache snapshot to corrupt";
        if (cacheSnap && objectKey) {
            const good = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket1, Key: objectKey }))).Body!.transformToByteArray());
            const bad = Buffer.from(good);
            for (let i = 0; i < 16; i++) bad[Math.floor(bad.length / 2) + i] ^= 0xff;
            await s3.send(new PutObjectCommand({ Bucket: bucket1, Key: objectKey, Body: bad }));
            const v = await fortress(["validate", ...common, "--tier", "tier1"], env);
            const r = await fortress(["restore", ...common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--snapshot", cacheSnap.id, "--into", "corrupt-cache", "--yes"], env);
            await s3.send(new PutObjectCommand({ Bucket: bucket1, Key: objectKey, Body: good }));
            const named = `s3://${bucket1}/${objectKey}`;
            corruptCacheNamed = v.code === 1 && v.stderr.includes(named) && r.code === 4 && stderrLines(r).length === 1 && r.stderr.includes(named) && !fs.existsSync(path.join(desc.workDir, "restores", "corrupt-cache.cache"));
            corruptCacheDetail = `flipped 16 bytes of ${named}; validate exit ${v.code}: ${stderrLines(v).join(" / ").slice(0, 300)}; restore exit ${r.code}: ${stderrLines(r).join(" / ").slice(0, 300)}`;
        }
        fig("recovery.cache.validate.corruption_detected", "a corrupted Redis snapshot: validate exits 1 and restore exits 4, each naming the object (1 = both)", corruptCacheNamed ? 1 : 0, "");
        check("a corrupted Redis snapshot makes validate exit 1 and restore exit 4 (nothing created), each naming the object", corruptCacheNamed, corruptCacheDetail);

        // ------------------------------------------------------------------ cache in place: refused unfenced, then done fenced
        const inPlaceArgs = ["restore", ...common, "--reason", "recovery drill", "--class", "cache", "--from", "tier1", "--in-place", "--into", "in-place", "--yes"];
        const unfenced = await fortress(inPlaceArgs, env);
        await master.command("FLUSHALL");
        master.close();
        await lab.stopRedisMaster(); // the fence: nothing serves or writes the data directory
        const fencedRestore = await fortress(inPlaceArgs, env);
        await lab.startRedisMaster();
        const again = await RespClient.connect(desc.redis!.masterPort);
        const back = Number(await again.command("DBSIZE"));
        const last = await again.command("GET", `drill:key:${redisKeys}`);
        again.close();
        const inPlaceOk = unfenced.code === 3 && stderrLines(unfenced).length === 1 && fencedRestore.code === 0 && back === redisKeys && last === `value ${redisKeys} ${"x".repeat(redisKeys % 50)}`;
        fig("recovery.cache.restore.in_place_identical", "cache --in-place: refused (exit 3) while the master runs; after FLUSHALL and a stop, restored and the master restarts with every key (1 = so)", inPlaceOk ? 1 : 0, "");
        check("restore --class cache --in-place is refused while the master runs, and with it stopped brings back every key", inPlaceOk, `unfenced: exit ${unfenced.code} "${stderrLines(unfenced).join(" / ").slice(0, 200)}"; fenced: exit ${fencedRestore.code} ${stderrLines(fencedRestore).slice(-1).join("")}; master restarted with ${back} keys of ${redisKeys}`);

        // ------------------------------------------------------------------ --dry-run changes nothing
        await lab.stopPrimary(); // nothing else may write the data directory while it is compared
        const bucketListing = async () => {
            const m = new Map<string, string>();
            for (const b of ["fortress-recovery-tier2", "fortress-recovery-tier3", lab!.snapshotBuckets.tier1]) {
                let token: string | undefined;
                do {
                    const r = await s3.send(new ListObjectsV2Command({ Bucket: b, ContinuationToken: token }));
                    for (const o of r.Contents ?? []) m.set(`s3://${b}/${o.Key}`, `${o.ETag}/${o.Size}`);
                    token = r.IsTruncated ? r.NextContinuationToken : undefined;
                } while (token);
            }
            return m;
        };
        const snapshot = async () => {
            const all = new Map<string, string>();
            for (const [k, v] of treeHashes(desc.postgres.datadir)) all.set(`pgdata/${k}`, v);
            for (const [k, v] of treeHashes(lab!.repo1)) all.set(`repo1/${k}`, v);
            for (const [k, v] of treeHashes(stateDir)) all.set(`state/${k}`, v);
            for (const [k, v] of await bucketListing()) all.set(k, v);
            return all;
        };
        const before = await snapshot();
        const dry = [
            await fortress(["restore", ...common, "--reason", "dry", "--target-time", target.toISOString(), "--into", "dry", "--dry-run"], env),
            await fortress(["backup", ...common, "--tier", "tier1", "--dry-run"], env),
            await fortress(["dr-test", ...common, "--from", "tier1", "--dry-run"], env),
            await fortress(["restore", ...common, "--reason", "dry", "--class", "cache", "--from", "tier1", "--into", "dry-cache", "--dry-run"], env),
            await fortress(["restore", ...common, "--reason", "dry", "--class", "secrets", "--from", "tier2", "--into", "dry-secrets", "--dry-run"], env),
            await fortress(["backup", ...common, "--class", "cache,configuration,secrets", "--tier", "tier2", "--dry-run"], env),
        ];
        const after = await snapshot();
        const diff = sameMaps(before, after);
        const dryDest = ["dry", "dry-cache.cache", "dry-secrets.secrets"].some((x) => fs.existsSync(path.join(desc.workDir, "restores", x)));
        check(
            "--dry-run (restore database/cache/secrets, backup database/cache/configuration/secrets, dr-test) prints the plan and changes nothing: data dir, repo1, the three buckets and the state dir byte for byte",
            dry.every((r) => r.code === 0 && /data-loss bound/.test(r.stdout)) && diff.length === 0 && !dryDest,
            `exits ${dry.map((r) => r.code).join(", ")}; ${before.size} files/objects compared, ${diff.length} differ${diff.length ? `: ${diff.slice(0, 5).join(", ")}` : ""}; scratch destination created: ${dryDest}`,
        );

        // ------------------------------------------------------------------ corruption and a missing WAL segment
        const labels = fs.readdirSync(path.join(lab.repo1, "backup", "db")).filter((l) => /^\d{8}-\d{6}F$/.test(l)).sort();
        const setDir = path.join(lab.repo1, "backup", "db", labels.at(-1)!, "pg_data", "base");
        const files: string[] = [];
        const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name))));
        walk(setDir);
        const victim = files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
        const original = fs.readFileSync(victim);
        const broken = Buffer.from(original);
        for (let i = 0; i < 16; i++) broken[Math.floor(broken.length / 2) + i] ^= 0xff;
        fs.writeFileSync(victim, broken);
        const corrupt = await fortress(["validate", ...common, "--tier", "tier1"], env);
        fs.writeFileSync(victim, original);
        const victimRel = path.relative(path.join(lab.repo1, "backup", "db"), victim);
        const corruptNamed = corrupt.code === 1 && corrupt.stderr.includes(victimRel);

        const archiveDir = path.join(lab.repo1, "archive", "db");
        const segs: string[] = [];
        const walkA = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walkA(path.join(d, e.name)) : /^[0-9A-F]{24}-/.test(e.name) && segs.push(path.join(d, e.name))));
        walkA(archiveDir);
        segs.sort();
        const firstNeeded = String(backupDoc.result?.["backup-database-tier1"]?.walStart ?? "");
        const needed = segs.filter((s) => path.basename(s).slice(0, 24) > firstNeeded);
        // One strictly inside the range (the newest segment's loss is a tail, not a gap).
        const inside = needed.slice(0, -1);
        const gone = inside[Math.floor(inside.length / 2)] ?? segs[segs.length - 2];
        const parked = path.join(options.workDir, "parked-segment");
        fs.renameSync(gone, parked);
        const missing = await fortress(["validate", ...common, "--tier", "tier1"], env);
        fs.renameSync(parked, gone);
        const goneName = path.basename(gone).slice(0, 24);
        const missingNamed = missing.code === 1 && missing.stderr.includes(goneName);
        fig("recovery.validate.corruption_detected", "validate exits 1 naming a corrupted backup file and a missing WAL segment (1 = both)", corruptNamed && missingNamed ? 1 : 0, "");
        check("a corrupted backup file makes validate exit 1 naming it", corruptNamed, `flipped 16 bytes of ${victimRel}; exit ${corrupt.code}; ${stderrLines(corrupt).join(" / ").slice(0, 400)}`);
        check("a missing WAL segment makes validate exit 1 naming it", missingNamed, `removed ${goneName} (after the backup's start ${firstNeeded}); exit ${missing.code}; ${stderrLines(missing).join(" / ").slice(0, 400)}`);
        await freshCache();
        const healed = await fortress(["validate", ...common, "--tier", "tier1"], env);
        check("with the file, the segment and the Redis snapshot put back, validate is clean again", healed.code === 0, `exit ${healed.code}${healed.code ? `: ${stderrLines(healed).join(" / ").slice(0, 300)}` : ""}`);

        // ------------------------------------------------------------------ a failed backup publishes Succeeded=0
        // The primary is still stopped (since the dry-run comparison): a backup cannot be taken.
        const downBackup = await fortress(["backup", ...common, "--class", "database", "--tier", "tier1", "--type", "incr", "--output", "json"], env);
        const downDoc = JSON.parse(downBackup.stdout || "{}");
        const afterFail = await sloSeries("tier1", "backup");
        check(
            "a backup that fails (primary down) exits non-zero and publishes its run as failed first: tier 1 now Runs 2, Succeeded 1 (the earlier backup's 1 and this 0)",
            downBackup.code !== 0 && downDoc.sloMetrics?.published === true && downDoc.sloMetrics?.runs?.[0]?.succeeded === 0 && afterFail.runs === 2 && afterFail.succeeded === 1,
            `exit ${downBackup.code}, "${stderrLines(downBackup).slice(-1).join("").slice(0, 200)}"; ${sloLine("database/tier1/backup", afterFail)}`,
        );

        // ------------------------------------------------------------------ audit trail
        const audit = fs.readFileSync(path.join(stateDir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
        const tier3Audit = await s3.send(new ListObjectsV2Command({ Bucket: "fortress-recovery-tier3", Prefix: "fortress-audit/" }));
        check(
            "every run but usage errors and dry runs left an audit record locally and in tier 3 (Object Lock)",
            audit.length > 0 && (tier3Audit.KeyCount ?? 0) >= audit.filter((a) => a.outcome !== "usage").length,
            `${audit.length} local records (${[...new Set(audit.map((a) => a.command))].join(", ")}); ${tier3Audit.KeyCount} objects under fortress-audit/ in tier 3`,
        );
        s3.destroy();
        cw.destroy();
    } finally {
        if (lab) {
            const restores = path.join(lab.description.workDir, "restores");
            for (const d of fs.existsSync(restores) ? fs.readdirSync(restores) : []) {
                const pidFile = path.join(restores, d, "redis.pid");
                if (!fs.existsSync(pidFile)) continue;
                try {
                    process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGTERM");
                } catch {
                    /* already gone */
                }
            }
            for (const d of fs.existsSync(restores) ? fs.readdirSync(restores) : []) {
                const data = path.join(restores, d, "data");
                if (fs.existsSync(path.join(data, "postmaster.pid"))) await pgCtl(lab.description.postgres.bindir, ["-D", data, "-m", "immediate", "-w", "stop"], Date.now() + 60_000);
            }
            if (fs.existsSync(path.join(lab.description.postgres.datadir, "postmaster.pid"))) await lab.stopPrimary().catch(() => undefined);
        }
        await procs.stopAll();
    }
    return {
        drill: "recovery",
        startedAt,
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, versions: prereqVersions(found) },
        figures,
        checks,
    };
};

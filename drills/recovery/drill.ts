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
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
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
    const found = requirePrereqs(["postgres", "pgbackrest", "moto", "openssl"]);
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
        const fresh = await fortress(["status", ...common, "--tier", tiers], env);
        const staleFile = lab.writeVariant(`stale-${staleTier}`, (d) => ({ ...d, repos: { ...d.repos, [staleTier]: { ...d.repos[staleTier]!, maxBackupAgeSeconds: 5 } } }));
        const stale = await fortress(["status", "--stack", "dev", "--lab", staleFile, "--tier", tiers], env);
        check(
            "status exits 0 within the schedule and 1 naming the tier when its newest backup is older than its bound",
            fresh.code === 0 && stale.code === 1 && stale.stderr.includes(`database ${staleTier}`) && (options.quick || !/database tier1/.test(stale.stderr)),
            `within bounds: exit ${fresh.code}; ${staleTier} with a 5 s lab bound: exit ${stale.code}, "${stderrLines(stale).join(" ")}"`,
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

        // ------------------------------------------------------------------ --dry-run changes nothing
        await lab.stopPrimary(); // nothing else may write the data directory while it is compared
        const s3 = labS3Client(desc)!;
        const bucketListing = async () => {
            const m = new Map<string, string>();
            for (const b of ["fortress-recovery-tier2", "fortress-recovery-tier3"]) {
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
        ];
        const after = await snapshot();
        const diff = sameMaps(before, after);
        const dryDest = fs.existsSync(path.join(desc.workDir, "restores", "dry"));
        check(
            "--dry-run (restore, backup, dr-test) prints the plan and changes nothing: data dir, repo1, both buckets and the state dir byte for byte",
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
        const healed = await fortress(["validate", ...common, "--tier", "tier1"], env);
        check("with the file and the segment put back, validate is clean again", healed.code === 0, `exit ${healed.code}`);

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

/**
 * The recovery drill's database restores and reads: point-in-time restore, a restore killed
 * half-way and rerun, `fortress dr-test` (a good one and a failing one, each read back from
 * moto's CloudWatch), status on a stale tier, and bad arguments.
 */
import * as fs from "fs";
import * as path from "path";
import { query } from "../../cli/drivers/lab/pg";
import { sleep } from "../postgres/processes";
import { ALL_RUN_METRICS, RecoveryDrill, jsonOf, sloLine, stderrLines, tenths } from "./context";

/** What the point-in-time restore established, for the checks after it. */
export interface PointInTime {
    /** The target: between two commits, in milliseconds (what the CLI takes). */
    readonly target: Date;
    /** drill_commits ids the uninterrupted restore brought back. */
    readonly pitrIds: number[];
}

/** `fortress restore --target-time <target> --from tier1 --into <into>`. */
const restoreToTargetArgs = (drill: RecoveryDrill, target: Date, into: string) => ["restore", ...drill.common, "--reason", "recovery drill", "--target-time", target.toISOString(), "--from", "tier1", "--into", into, "--yes", "--output", "json"];

/** drill_commits ids of the restored server at `endpoint` (host:port), in order. */
async function restoredIds(endpoint: string): Promise<number[]> {
    return (await query<{ id: number }>({ host: "127.0.0.1", port: Number(endpoint.split(":")[1]), user: "postgres" }, "select id from drill_commits order by id")).map((r) => r.id);
}

/** Waits (up to a minute) until the archive holds WAL segment `seg`. */
async function waitForArchived(drill: RecoveryDrill, seg: string): Promise<void> {
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
        const [{ last }] = await query<{ last: string | null }>(drill.primary, "select last_archived_wal as last from pg_stat_archiver");
        if (last && last >= seg) break;
        await sleep(200);
    }
}

/** More commits, then a target strictly between two of them, its WAL archived. */
async function chooseTarget(drill: RecoveryDrill) {
    const n = drill.sizes.commits;
    await drill.commit(n + 1, 2 * n);
    const rows = await query<{ id: number; us: string }>(drill.primary, "select id, (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000000)::bigint::text as us from drill_commits order by id");
    let k = rows.length - Math.floor(n / 2);
    while (k + 1 < rows.length && rows[k].us === rows[k + 1].us) k++;
    const targetUs = (BigInt(rows[k].us) + BigInt(rows[k + 1].us)) / 2n;
    // Milliseconds are what the CLI takes: round down so the target stays between the two commits.
    const target = new Date(Number(targetUs / 1000n));
    const expected = rows.filter((r) => BigInt(r.us) <= BigInt(target.getTime()) * 1000n).map((r) => r.id);
    // Make the WAL holding the target reach the archive.
    const [{ seg }] = await query<{ seg: string }>(drill.primary, "select pg_walfile_name(pg_switch_wal()) as seg");
    await waitForArchived(drill, seg);
    return { target, expected, before: rows[k].id, after: rows[k + 1].id };
}

/** `fortress restore --target-time` lands on the last commit at or before the target, held read-only. */
export async function checkPointInTimeRestore(drill: RecoveryDrill): Promise<PointInTime> {
    const { target, expected, before, after } = await chooseTarget(drill);
    const pitr = await drill.fortress(restoreToTargetArgs(drill, target, "pitr"));
    const pitrDoc = jsonOf(pitr);
    drill.fig("recovery.restore.seconds", "fortress restore --target-time from tier 1, until held at the target and validated", tenths(pitr.seconds), "s");
    const endpoint = pitrDoc.result?.restored?.endpoint as string | undefined;
    const pitrIds = endpoint ? await restoredIds(endpoint) : [];
    const exact = pitr.code === 0 && pitrIds.length === expected.length && pitrIds.every((id, i) => id === expected[i]);
    drill.fig("recovery.restore.pitr.exact", "restore --target-time: restored rows are exactly the commits at or before the target (1 = exact)", exact ? 1 : 0, "");
    drill.check(
        "fortress restore --target-time lands on the last commit at or before the target, held read-only",
        exact && pitrDoc.result?.held === true && pitrDoc.result?.restored?.inRecovery === true,
        `target ${target.toISOString()} between commits ${before} and ${after}; restored ${pitrIds.length} rows ending at ${pitrIds.at(-1)}, expected ${expected.length} ending at ${expected.at(-1)}; exit ${pitr.code}; held ${pitrDoc.result?.held}`,
    );
    return { target, pitrIds };
}

/** True once the restore into "killed" is in its restore step with files in its data directory. */
function restoreIsRunning(drill: RecoveryDrill): () => boolean {
    const runsDir = path.join(drill.stateDir, "runs");
    const killedData = path.join(drill.desc.workDir, "restores", "killed", "data");
    return () => {
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
}

/** A restore SIGKILLed during its restore step and rerun resumes its run and ends with the same rows. */
export async function checkKilledRestoreResumes(drill: RecoveryDrill, { target, pitrIds }: PointInTime): Promise<void> {
    const killed = await drill.fortress(restoreToTargetArgs(drill, target, "killed"), restoreIsRunning(drill));
    const rerun = await drill.fortress(restoreToTargetArgs(drill, target, "killed"));
    const rerunDoc = jsonOf(rerun);
    const ep2 = rerunDoc.result?.restored?.endpoint as string | undefined;
    const rerunIds = ep2 ? await restoredIds(ep2) : [];
    const identical = killed.signal === "SIGKILL" && rerun.code === 0 && rerunDoc.resumedFrom !== undefined && rerunIds.length === pitrIds.length && rerunIds.every((id, i) => id === pitrIds[i]);
    drill.fig("recovery.restore.resumed_identical", "restore SIGKILLed during the restore step, rerun: same rows as the uninterrupted restore (1 = identical)", identical ? 1 : 0, "");
    drill.check(
        "a restore killed half-way and rerun resumes its run and ends with the same rows",
        identical,
        `first attempt ended by ${killed.signal ?? `exit ${killed.code}`} during step restore; rerun exit ${rerun.code}, resumed ${JSON.stringify(rerunDoc.resumedFrom ?? null)}; ${rerunIds.length} rows ending at ${rerunIds.at(-1)} vs ${pitrIds.length} ending at ${pitrIds.at(-1)}`,
    );
}

/** `fortress dr-test` from tier 1 passes, and its recovery run reads back from moto: Runs 1, Succeeded 1. */
export async function checkDrTest(drill: RecoveryDrill): Promise<void> {
    const drTest = await drill.fortress(["dr-test", ...drill.common, "--from", "tier1", "--into", "drtest", "--output", "json"]);
    const drTestDoc = jsonOf(drTest);
    drill.fig("recovery.drtest.seconds", "fortress dr-test from tier 1: restore into scratch (archiving off), validate, teardown proved, report", tenths(drTest.seconds), "s");
    const slo = await drill.sloSeries("tier1", "recovery");
    drill.check(
        "fortress dr-test from tier 1 exits 0 (scratch restored, validated, torn down) and its recovery run reads back from moto: Runs 1, Succeeded 1",
        drTest.code === 0 && drTestDoc.outcome === "done" && drTestDoc.sloMetrics?.published === true && slo.runs === 1 && slo.succeeded === 1 && JSON.stringify(slo.names) === JSON.stringify(ALL_RUN_METRICS),
        `exit ${drTest.code}; ${drTestDoc.steps?.map((x: { id: string; status: string }) => `${x.id}=${x.status}`).join(" ") ?? ""}; ${sloLine("database/tier1/recovery", slo)}; ${stderrLines(drTest).slice(-1).join("")}`,
    );
}

/** A dr-test that fails (tier 3 has no backup) publishes its recovery run as failed before exiting. */
export async function checkFailedDrTestPublished(drill: RecoveryDrill): Promise<void> {
    const noBackups = await drill.fortress(["dr-test", ...drill.common, "--from", "tier3", "--into", "drtest3", "--output", "json"]);
    const noBackupsDoc = jsonOf(noBackups);
    const failedSlo = await drill.sloSeries("tier3", "recovery");
    drill.check(
        "a dr-test that fails (tier 3 has no backup: exit 4) publishes its recovery run as failed before exiting: Runs 1, Succeeded 0",
        noBackups.code === 4 && noBackupsDoc.sloMetrics?.published === true && failedSlo.runs === 1 && failedSlo.succeeded === 0 && failedSlo.withinWindow === 0,
        `exit ${noBackups.code}, "${stderrLines(noBackups).slice(-1).join("")}"; ${sloLine("database/tier3/recovery", failedSlo)}`,
    );
}

/** status exits 0 within the schedule, and 1 naming the tier when a 5 s lab bound makes it stale. */
export async function checkStatusStaleTier(drill: RecoveryDrill): Promise<void> {
    const { tiers, staleTier } = drill.sizes;
    await drill.freshCache();
    const fresh = await drill.fortress(["status", ...drill.common, "--tier", tiers]);
    const staleFile = drill.lab.writeVariant(`stale-${staleTier}`, (d) => ({ ...d, repos: { ...d.repos, [staleTier]: { ...d.repos[staleTier]!, maxBackupAgeSeconds: 5 } } }));
    const stale = await drill.fortress(["status", "--stack", "dev", "--lab", staleFile, "--tier", tiers]);
    drill.check(
        "status exits 0 within the schedule and 1 naming the tier when its newest backup is older than its bound",
        fresh.code === 0 && stale.code === 1 && stale.stderr.includes(`database ${staleTier}`) && (drill.options.quick || !/database tier1/.test(stale.stderr)),
        `within bounds: exit ${fresh.code}${fresh.code !== 0 ? ` (${stderrLines(fresh).join(" ")})` : ""}; ${staleTier} with a 5 s lab bound: exit ${stale.code}, "${stderrLines(stale).join(" ")}"`,
    );
}

/** Each bad argument: exit 2 (usage) or 4 (nothing to restore) and one line. */
export async function checkBadArguments(drill: RecoveryDrill): Promise<void> {
    const { common } = drill;
    const bad: { name: string; args: string[]; want: number }[] = [
        { name: "unknown stack", args: ["status", "--stack", "no-such-stack", "--lab", drill.lab.descriptionFile], want: 2 },
        { name: "bad timestamp", args: ["restore", ...common, "--reason", "x", "--yes", "--target-time", "2026-12-03 25:00"], want: 2 },
        { name: "target before the oldest backup", args: ["restore", ...common, "--reason", "x", "--yes", "--target-time", new Date(drill.labStartedAt.getTime() - 3_600_000).toISOString()], want: 4 },
        { name: "tier without backups", args: ["restore", ...common, "--reason", "x", "--yes", "--from", "tier3", "--into", "t3"], want: 4 },
    ];
    for (const b of bad) {
        const r = await drill.fortress(b.args);
        const lines = stderrLines(r);
        drill.check(`bad argument (${b.name}): exit ${b.want} and one line`, r.code === b.want && lines.length === 1, `exit ${r.code}; stderr: ${lines.join(" / ")}`);
    }
}

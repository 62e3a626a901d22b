/**
 * The erasure drill (issue 15): erased stays erased across a restore.
 *
 *  1. A real PostgreSQL (pgBackRest, tier-1 repo), a real Redis and an S3 endpoint (moto, with
 *     IAM enforced) holding the erasure ledger under Object Lock, its DR copy and the uploads.
 *  2. Application data: users and orders, sessions and carts in Redis, uploads per user.
 *  3. A full database backup and a Redis RDB snapshot are taken.
 *  4. Three subjects are erased the way the application does it: the request is recorded to the
 *     ledger (appender keys, If-None-Match, HMAC of the id), then the stack's procedures run.
 *  5. The appender tries to delete, overwrite and unlock the ledger; an admin tries to destroy a
 *     locked version. Where moto cannot judge (request condition keys) the policy evaluator does.
 *  6. The Redis snapshot is loaded back and `fortress restore --lab ... --promote` restores the
 *     database from before the erasures; its replay-erasures step replays the ledger.
 *  7. Checks: none of the three subjects is anywhere; nothing else was removed (row, key and
 *     object counts compared exactly); the replay removed what the restore brought back; the
 *     audit record lists the replayed requests; a second replay removes nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { query } from "../../cli/drivers/lab/pg";
import { labErasurePrimitives } from "../../cli/erasure/lab-primitives";
import { ErasurePrimitives, applyEntry, remainingOf } from "../../cli/erasure/replay";
import { beginDrill, drillReport } from "../lib/drill-setup";
import { Postgres, prereqVersions, requirePrereqs } from "../lib/prereqs";
import type { Drill } from "../types";
import { ProcessGroup, runScript } from "../redis/procs";
import { CliRun, Counts, ERASURE_SIZES, ErasureDrill, PgTarget, SUBJECTS, erasureDrill } from "./context";
import { ErasureLab, startErasureLab } from "./lab";
import { checkLedgerAttacksRefused, checkLedgerIntact } from "./ledger-attacks";
import { RecordedErasure, recordToLedger, startLedgerLab, writeHmacKey } from "./ledger-lab";
import { putUploads, seedApp } from "./app";

type Remaining = { database: number; redis: number; uploads: number };

/** What the backup holds: its label and end, the counts at that moment and the subjects' share of them. */
interface BackupPoint {
    readonly label: string;
    readonly backupStop: Date;
    readonly atBackup: Counts;
    readonly subjectAtBackup: Record<string, Remaining>;
    readonly subjectTotal: number;
}

/** 2. Users and orders, sessions and carts in Redis, uploads per user; decoy ids that start with a subject's id. Returns the decoys. */
async function seedApplicationData(drill: ErasureDrill): Promise<string[]> {
    const { lab, ledger } = drill;
    const ids = Array.from({ length: drill.users }, (_, i) => `u-${String(i + 1).padStart(4, "0")}`);
    // Decoys: ids that start with a subject's id; an erasure must not reach them.
    const decoys = SUBJECTS.map((s) => `${s}0`);
    const all = [...ids, ...decoys];
    await seedApp((sql, params) => query(lab.pg, sql, params), all, drill.hmac);
    const redis = await lab.redis();
    for (const id of all) {
        void redis.command("SET", `session:${id}:a`, "s");
        void redis.command("SET", `session:${id}:b`, "s");
        void redis.command("SET", `cart:${id}`, "c");
    }
    for (let i = 0; i < 200; i++) void redis.command("SET", `stats:${i}`, String(i));
    await redis.command("PING");
    await putUploads(ledger, [...SUBJECTS, ...decoys, ...ids.slice(200, 230)]);
    await drill.admin.send(new PutObjectCommand({ Bucket: ledger.uploadsBucket, Key: "public/logo.png", Body: "logo" }));
    redis.close();
    return decoys;
}

/** 3. A full database backup and a Redis RDB snapshot (kept beside the lab); what they hold. */
async function takeBackupAndSnapshot(drill: ErasureDrill): Promise<BackupPoint> {
    const { lab, workDir } = drill;
    await lab.pgbackrest(["backup", "--type=full", "--repo=1"]);
    const info = JSON.parse((await lab.pgbackrest(["info", "--output=json"])).stdout)[0];
    const backup = info.backup[info.backup.length - 1];
    const redis = await lab.redis();
    await redis.command("SAVE");
    redis.close();
    fs.copyFileSync(path.join(lab.redisDir, "dump.rdb"), path.join(workDir, "redis-snapshot.rdb"));
    const atBackup = await drill.counts(lab.pg);
    const subjectAtBackup: Record<string, Remaining> = {};
    for (const s of SUBJECTS) subjectAtBackup[s] = (await remainingOf(drill.live, drill.procedures, drill.entryFor(s), drill.hmacKey)) as Remaining;
    const subjectTotal = Object.values(subjectAtBackup).reduce((n, x) => n + x.database + x.redis + x.uploads, 0);
    drill.fig("erasure.data.rows", "rows + keys + objects at the backup", atBackup.rows + atBackup.keys + atBackup.objects, "items");
    drill.fig("erasure.data.subject_items", "of which the three subjects'", subjectTotal, "items");
    return { label: backup.label, backupStop: new Date(backup.timestamp.stop * 1000), atBackup, subjectAtBackup, subjectTotal };
}

/** 4. The application erases the three subjects: the request recorded to the ledger, then the procedures run on the live systems. */
async function eraseSubjects(drill: ErasureDrill): Promise<RecordedErasure[]> {
    await new Promise((r) => setTimeout(r, 1100)); // the erasures are strictly after the backup's end
    const recorded: RecordedErasure[] = [];
    for (const [i, s] of SUBJECTS.entries()) {
        const r = await recordToLedger(drill.ledger, { subjectId: s, requestId: `drill-${Date.now()}-${i}`, dataClasses: ["database", "redis", "uploads"] }, drill.hmacKey);
        recorded.push(r);
        await applyEntry(drill.live, drill.procedures, r.entry, drill.hmacKey);
    }
    const liveLeft = await Promise.all(recorded.map((r) => remainingOf(drill.live, drill.procedures, r.entry, drill.hmacKey)));
    drill.check("the application's erasure removed the three subjects from the live systems", liveLeft.every((x) => Object.values(x).every((n) => n === 0)), JSON.stringify(liveLeft));
    const ledgerText = recorded.map((r) => r.body).join("");
    drill.check("the ledger holds no personal data beyond the keyed hash", SUBJECTS.every((s) => !ledgerText.includes(s)) && !ledgerText.includes("@"), `${recorded.length} entries, ${ledgerText.length} bytes, subject ids and e-mails absent`);
    return recorded;
}

/** `--stack prod --lab <lab> --reason ... --yes`. */
const commonArgs = (drill: ErasureDrill) => ["--stack", "prod", "--lab", drill.lab.descriptionFile, "--reason", "erasure drill", "--yes"];

const stepOf = (doc: CliRun["doc"], id: string) => (doc.steps ?? []).find((s: { id: string }) => s.id === id) as { status: string; seconds?: number; detail?: string } | undefined;

/** 6. The Redis snapshot loaded back; `fortress restore --promote` (dry run first) from before the erasures, its replay-erasures step replaying the ledger. */
async function restoreFromBeforeErasures(drill: ErasureDrill, { label }: BackupPoint): Promise<CliRun> {
    const { lab } = drill;
    await lab.stopRedis();
    fs.copyFileSync(path.join(drill.workDir, "redis-snapshot.rdb"), path.join(lab.redisDir, "dump.rdb"));
    await lab.startRedis();
    const common = commonArgs(drill);
    const dry = await drill.fortress(["restore", ...common, "--set", label, "--from", "tier1", "--into", "erasure-restore", "--promote", "--dry-run"]);
    const drySteps: string[] = (dry.doc.steps ?? []).map((s: { id: string }) => s.id);
    drill.check("fortress restore --promote --dry-run lists the replay-erasures step before the restore is done", drySteps.includes("replay-erasures") && drySteps.indexOf("replay-erasures") > drySteps.indexOf("opened"), `steps: ${drySteps.join(", ") || dry.stderr.slice(-300)}`);
    const restore = await drill.fortress(["restore", ...common, "--set", label, "--from", "tier1", "--into", "erasure-restore", "--promote"]);
    const replayStep = stepOf(restore.doc, "replay-erasures");
    drill.check("fortress restore (lab driver) restored, promoted, replayed and verified", restore.code === 0 && restore.doc.outcome === "done" && replayStep?.status === "verified", `exit ${restore.code}, outcome ${restore.doc.outcome}: ${restore.doc.message ?? ""} ${replayStep?.detail ?? restore.stderr.slice(-500)}`);
    drill.fig("erasure.restore.seconds", "fortress restore (restore, validate, promote, replay) wall time", Number((restore.ms / 1000).toFixed(1)), "s");
    drill.fig("erasure.replay.seconds", "replay-erasures step (read ledger, apply, verify)", replayStep?.seconds !== undefined ? Number(replayStep.seconds.toFixed(2)) : "not measured", "s");
    return restore;
}

/** What the restore brought up: its database endpoint (host:port), that database (the lab's primary if it named none), and the erasure primitives over it. */
interface Restored {
    readonly endpoint: string | undefined;
    readonly restoredPg: PgTarget;
    readonly restored: ErasurePrimitives;
}

function restoredTargets(drill: ErasureDrill, restore: CliRun): Restored {
    const endpoint: string | undefined = restore.doc.result?.restored?.endpoint;
    const m = endpoint ? /^(.+):(\d+)$/.exec(endpoint) : null;
    const restoredPg: PgTarget = m ? { host: m[1], port: Number(m[2]), user: "postgres" } : drill.lab.pg;
    const restored = labErasurePrimitives({ postgres: { ...restoredPg, database: "postgres" }, redis: { host: "127.0.0.1", port: drill.lab.redisPort }, s3: drill.admin });
    return { endpoint, restoredPg, restored };
}

/** 7a. None of the subjects is anywhere, and nothing else was removed (row, key and object counts exactly). */
async function checkSubjectsGoneNothingElse(drill: ErasureDrill, { restoredPg, restored }: Restored, point: BackupPoint, recorded: readonly RecordedErasure[]): Promise<void> {
    const left = await Promise.all(recorded.map((r) => remainingOf(restored, drill.procedures, r.entry, drill.hmacKey)));
    const subjectsPresent = left.filter((x) => Object.values(x).some((n) => n !== 0)).length;
    drill.fig("erasure.subjects_after_restore", "erased subjects present after restore + replay", subjectsPresent, "subjects");
    const after = await drill.counts(restoredPg);
    const { atBackup } = point;
    const expected = atBackup.rows + atBackup.keys + atBackup.objects - point.subjectTotal;
    const actual = after.rows + after.keys + after.objects;
    drill.fig("erasure.rows_removed_beyond_subjects", "rows, keys and objects removed beyond the subjects'", expected - actual, "items");
    drill.check("after the restore none of the three subjects is present (database, Redis, uploads)", subjectsPresent === 0, JSON.stringify(left));
    drill.check("nothing else was removed: counts equal the backup's less exactly the subjects' items", expected === actual, `rows ${after.rows}, keys ${after.keys}, objects ${after.objects}; expected total ${expected}, got ${actual}`);
}

/** 7b. Ids that start with a subject's id keep their 5 rows, 3 keys and 2 uploads. */
async function checkDecoysUntouched(drill: ErasureDrill, { restored }: Restored, decoys: readonly string[]): Promise<void> {
    const decoysLeft = await Promise.all(decoys.map((d) => remainingOf(restored, drill.procedures, drill.entryFor(d), drill.hmacKey)));
    drill.check("ids that start with a subject's id were not touched", decoysLeft.every((x) => x.database === 5 && x.redis === 3 && x.uploads === 2), JSON.stringify(decoysLeft));
}

/** 7c. The replay removed exactly the subjects' rows and keys the restore brought back. */
function checkReplayRemovedWhatCameBack(drill: ErasureDrill, restore: CliRun, point: BackupPoint, recorded: readonly RecordedErasure[]): void {
    const replayed = (restore.doc.result?.erasuresReplayed ?? []) as { requestId: string; removed: Record<string, number> }[];
    // A request may be replayed twice (its entry and a forged later version): sum what it removed.
    const removedBy = (requestId: string, c: string) => replayed.filter((x) => x.requestId === requestId).reduce((n, x) => n + (x.removed[c] ?? 0), 0);
    const at = point.subjectAtBackup;
    const broughtBack = recorded.map((r, i) => ({ id: SUBJECTS[i], db: removedBy(r.entry.requestId, "database"), want: at[SUBJECTS[i]].database, redis: removedBy(r.entry.requestId, "redis"), wantRedis: at[SUBJECTS[i]].redis }));
    drill.check("the replay removed exactly what the restore brought back (database rows, Redis keys)", broughtBack.every((b) => b.db === b.want && b.redis === b.wantRedis), JSON.stringify(broughtBack));
}

/** 7d. The restore's audit record lists every replayed request. */
function checkAuditListsReplayed(drill: ErasureDrill, restore: CliRun, recorded: readonly RecordedErasure[]): void {
    const auditFile = path.join(drill.workDir, "state", "audit.jsonl");
    const audit = fs.existsSync(auditFile) ? fs.readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((a) => a.command === "restore" && a.outcome === "done") : [];
    const listed = (audit[audit.length - 1]?.erasuresReplayed ?? []) as { requestId: string }[];
    drill.check("the audit record lists the replayed erasure requests", recorded.every((r) => listed.some((x) => x.requestId === r.entry.requestId)), `${listed.length} request(s) in the audit record${restore.doc.audit?.tier3 ? `; tier-3 copy ${restore.doc.audit.tier3}` : ""}`);
}

/** 7e. `fortress erasure-replay` again: verifies and removes nothing. */
async function checkSecondReplayIdempotent(drill: ErasureDrill, { endpoint }: Restored, point: BackupPoint): Promise<void> {
    const again = await drill.fortress(["erasure-replay", ...commonArgs(drill), "--restored-point", point.backupStop.toISOString(), ...(endpoint ? ["--database", endpoint] : [])]);
    const againRemoved = ((again.doc.result?.erasuresReplayed ?? []) as { removed: Record<string, number> }[]).reduce((n, x) => n + Object.values(x.removed).reduce((a, b) => a + b, 0), 0);
    drill.check("a second replay (fortress erasure-replay) verifies and removes nothing: idempotent", again.code === 0 && againRemoved === 0, `exit ${again.code}, outcome ${again.doc.outcome}, removed ${againRemoved}; ${stepOf(again.doc, "replay-erasures")?.detail ?? again.stderr.slice(-300)}`);
}

/** The steps in order (numbered as in the header). */
async function runSteps(drill: ErasureDrill): Promise<void> {
    const decoys = await seedApplicationData(drill);
    const point = await takeBackupAndSnapshot(drill);
    const recorded = await eraseSubjects(drill);
    await checkLedgerAttacksRefused(drill, recorded);
    await checkLedgerIntact(drill, recorded);
    const restore = await restoreFromBeforeErasures(drill, point);
    const restored = restoredTargets(drill, restore);
    await checkSubjectsGoneNothingElse(drill, restored, point, recorded);
    await checkDecoysUntouched(drill, restored, decoys);
    checkReplayRemovedWhatCameBack(drill, restore, point, recorded);
    checkAuditListsReplayed(drill, restore, recorded);
    await checkSecondReplayIdempotent(drill, restored, point);
    drill.check("erasure procedures come from the stack config", true, drill.stacks.source);
}

/** Stops the lab's primary and every restored server (immediate: the drill is over). */
async function stopPostgresServers(workDir: string, lab: ErasureLab, pg: Postgres): Promise<void> {
    for (const dir of [lab.description.postgres.datadir, ...fs.readdirSync(path.join(workDir, "restores")).map((n) => path.join(workDir, "restores", n, "data"))]) {
        if (fs.existsSync(path.join(dir, "postmaster.pid"))) await runScript("runuser", ["-u", "postgres", "--", pg.bin("pg_ctl"), "-D", dir, "-m", "immediate", "-w", "stop"], process.env, 60_000);
    }
}

export const run: Drill = async (options) => {
    const { workDir } = options;
    const found = requirePrereqs(["postgres", "pgbackrest", "redis", "moto"]);
    const drillRun = beginDrill(options, ERASURE_SIZES);
    const procs = new ProcessGroup();
    let stopPg: (() => Promise<void>) | undefined;
    try {
        // --- 1. the servers ------------------------------------------------------------------------
        const hmacKeyFile = path.join(workDir, "hmac.key");
        const hmacKey = writeHmacKey(hmacKeyFile);
        const ledger = await startLedgerLab(path.join(workDir, "s3"), procs, 1);
        const lab = await startErasureLab(workDir, procs, found.postgres, found.redis, ledger, hmacKeyFile);
        stopPg = () => stopPostgresServers(workDir, lab, found.postgres);
        await runSteps(erasureDrill({ workDir, run: drillRun, lab, ledger, hmacKey }));
    } finally {
        await stopPg?.().catch(() => undefined);
        await procs.stopAll();
    }
    return drillReport("erasure", drillRun, prereqVersions(found));
};

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
import * as os from "os";
import * as path from "path";
import { DeleteObjectCommand, GetObjectCommand, PutBucketLifecycleConfigurationCommand, PutBucketPolicyCommand, PutObjectCommand, PutObjectLegalHoldCommand, PutObjectRetentionCommand } from "@aws-sdk/client-s3";
import { parse as parseYaml } from "yaml";
import { appenderPolicy, ledgerBucketPolicy } from "../../components/compliance/erasure-ledger-policy";
import { evaluate } from "../../components/compliance/iam-evaluate";
import { query } from "../../cli/drivers/lab/pg";
import { labErasurePrimitives } from "../../cli/erasure/lab-primitives";
import { LedgerEntry } from "../../cli/erasure/ledger-format";
import { applyEntry, remainingOf } from "../../cli/erasure/replay";
import { proceduresOf } from "../../cli/erasure/step";
import { erasureSection } from "../../config/sections/erasure";
import { NAMESPACE, parseConfigValue, validateConfig } from "../../config";
import { EXAMPLE_ERASURE_SECTION } from "../lib/erasure-section";
import { prereqVersions, requirePrereqs } from "../lib/prereqs";
import type { Drill, DrillCheck, DrillFigure, DrillReport } from "../types";
import { ProcessGroup, runScript } from "../redis/procs";
import { startErasureLab } from "./lab";
import { RecordedErasure, recordToLedger, startLedgerLab, writeHmacKey } from "./ledger-lab";
import { putUploads, seedApp } from "./app";

const ROOT = path.resolve(__dirname, "..", "..");
const SUBJECTS = ["u-0007", "u-0042", "u-0133"];

/** A stacks directory for the CLI: prod's file, with the example erasure section (drills/lib/erasure-section.ts) when prod has none. */
function drillStacks(dir: string): { dir: string; erasure: ReturnType<typeof erasureSection.parse>; source: string } {
    fs.mkdirSync(dir, { recursive: true });
    const text = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.prod.yaml"), "utf8");
    const has = /^ {2}fortress-dr:erasure:/m.test(text);
    const out = has ? text : `${text.trimEnd()}\n  fortress-dr:erasure: ${JSON.stringify(EXAMPLE_ERASURE_SECTION)}\n`;
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), out);
    for (const f of ["Pulumi.yaml"]) if (fs.existsSync(path.join(ROOT, f))) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const cfg = (parseYaml(out).config ?? {}) as Record<string, unknown>;
    const erasure = erasureSection.parse(cfg[`${NAMESPACE}:erasure`]);
    return { dir, erasure, source: has ? "stacks/Pulumi.prod.yaml (erasure)" : "the drill's erasure section over stacks/Pulumi.prod.yaml (prod declares none yet)" };
}

async function fortress(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; doc: Record<string, any>; stderr: string; ms: number }> {
    const r = await runScript(process.execPath, ["--require", "tsx/cjs", path.join(ROOT, "cli", "main.ts"), ...args, "--output", "json"], { ...process.env, ...env }, 600_000);
    let doc: Record<string, any> = {};
    try {
        doc = JSON.parse(r.stdout);
    } catch {
        doc = { unparsed: r.stdout.slice(-2000) };
    }
    return { code: r.code, doc, stderr: r.stderr, ms: r.ms };
}

export const run: Drill = async ({ quick, workDir }) => {
    const startedAt = new Date().toISOString();
    const found = requirePrereqs(["postgres", "pgbackrest", "redis", "moto"]);
    const users = quick ? 400 : 4000;
    const figures: DrillFigure[] = [];
    const checks: DrillCheck[] = [];
    const fig = (id: string, name: string, value: number | string, unit: string) => figures.push({ id, name, value, unit });
    const check = (name: string, passed: boolean, detail: string) => checks.push({ name, passed, detail });
    const procs = new ProcessGroup();
    let stopPg: (() => Promise<void>) | undefined;
    try {
        const hmacKeyFile = path.join(workDir, "hmac.key");
        const hmacKey = writeHmacKey(hmacKeyFile);
        const ledger = await startLedgerLab(path.join(workDir, "s3"), procs, 1);
        const lab = await startErasureLab(workDir, procs, found.postgres, found.redis, ledger, hmacKeyFile);
        stopPg = async () => {
            for (const dir of [lab.description.postgres.datadir, ...fs.readdirSync(path.join(workDir, "restores")).map((n) => path.join(workDir, "restores", n, "data"))]) {
                if (fs.existsSync(path.join(dir, "postmaster.pid"))) await runScript("runuser", ["-u", "postgres", "--", found.postgres.bin("pg_ctl"), "-D", dir, "-m", "immediate", "-w", "stop"], process.env, 60_000);
            }
        };
        const stacks = drillStacks(path.join(workDir, "stacks"));
        const env = { FORTRESS_STACKS_DIR: stacks.dir, FORTRESS_STATE_DIR: path.join(workDir, "state") };
        const procedures = proceduresOf(validateConfig(readStackConfigFrom(stacks.dir)), ledger.uploadsBucket)!;
        const hmac = (id: string) => require("crypto").createHmac("sha256", hmacKey).update(id).digest("hex") as string;

        // --- 2. application data ------------------------------------------------------------------
        const ids = Array.from({ length: users }, (_, i) => `u-${String(i + 1).padStart(4, "0")}`);
        // Decoys: ids that start with a subject's id; an erasure must not reach them.
        const decoys = SUBJECTS.map((s) => `${s}0`);
        const all = [...ids, ...decoys];
        await seedApp((sql, params) => query(lab.pg, sql, params), all, hmac);
        const redis = await lab.redis();
        for (const id of all) {
            void redis.command("SET", `session:${id}:a`, "s");
            void redis.command("SET", `session:${id}:b`, "s");
            void redis.command("SET", `cart:${id}`, "c");
        }
        for (let i = 0; i < 200; i++) void redis.command("SET", `stats:${i}`, String(i));
        await redis.command("PING");
        const admin = ledger.client("admin");
        await putUploads(ledger, [...SUBJECTS, ...decoys, ...ids.slice(200, 230)]);
        await admin.send(new PutObjectCommand({ Bucket: ledger.uploadsBucket, Key: "public/logo.png", Body: "logo" }));

        // --- 3. backup and snapshot ---------------------------------------------------------------
        const counts = async (pgAt: { host: string; port: number; user: string }) => {
            const [r] = await query<{ u: string; o: string }>(pgAt, "select (select count(*) from app_users) as u, (select count(*) from app_orders) as o");
            const keys = Number(await (await lab.redis()).command("DBSIZE"));
            const objects = (await labErasurePrimitives({ s3: admin }).listObjects(ledger.uploadsBucket, "")).length;
            return { rows: Number(r.u) + Number(r.o), keys, objects };
        };
        await lab.pgbackrest(["backup", "--type=full", "--repo=1"]);
        const info = JSON.parse((await lab.pgbackrest(["info", "--output=json"])).stdout)[0];
        const backup = info.backup[info.backup.length - 1];
        const label: string = backup.label;
        const backupStop = new Date(backup.timestamp.stop * 1000);
        await redis.command("SAVE");
        fs.copyFileSync(path.join(lab.redisDir, "dump.rdb"), path.join(workDir, "redis-snapshot.rdb"));
        const atBackup = await counts(lab.pg);
        const live = labErasurePrimitives({ postgres: { ...lab.pg, database: "postgres" }, redis: { host: "127.0.0.1", port: lab.redisPort }, s3: admin });
        const subjectAtBackup: Record<string, { database: number; redis: number; uploads: number }> = {};
        const entryFor = (id: string, requestId = "probe"): LedgerEntry => ({ v: 1, requestId, time: new Date().toISOString(), subject: { kind: "hmac-sha256", value: hmac(id) }, dataClasses: ["database", "redis", "uploads"] });
        for (const s of SUBJECTS) subjectAtBackup[s] = (await remainingOf(live, procedures, entryFor(s), hmacKey)) as { database: number; redis: number; uploads: number };
        const subjectTotal = Object.values(subjectAtBackup).reduce((n, x) => n + x.database + x.redis + x.uploads, 0);
        fig("erasure.data.rows", "rows + keys + objects at the backup", atBackup.rows + atBackup.keys + atBackup.objects, "items");
        fig("erasure.data.subject_items", "of which the three subjects'", subjectTotal, "items");

        // --- 4. the application erases three subjects ---------------------------------------------
        await new Promise((r) => setTimeout(r, 1100)); // the erasures are strictly after the backup's end
        const appender = ledger.client("appender");
        const recorded: RecordedErasure[] = [];
        for (const [i, s] of SUBJECTS.entries()) {
            const r = await recordToLedger(ledger, { subjectId: s, requestId: `drill-${Date.now()}-${i}`, dataClasses: ["database", "redis", "uploads"] }, hmacKey);
            recorded.push(r);
            await applyEntry(live, procedures, r.entry, hmacKey);
        }
        const liveLeft = await Promise.all(recorded.map((r) => remainingOf(live, procedures, r.entry, hmacKey)));
        check("the application's erasure removed the three subjects from the live systems", liveLeft.every((x) => Object.values(x).every((n) => n === 0)), JSON.stringify(liveLeft));
        const ledgerText = recorded.map((r) => r.body).join("");
        check("the ledger holds no personal data beyond the keyed hash", SUBJECTS.every((s) => !ledgerText.includes(s)) && !ledgerText.includes("@"), `${recorded.length} entries, ${ledgerText.length} bytes, subject ids and e-mails absent`);

        // --- 5. the ledger under attack -----------------------------------------------------------
        // Each attempt is made against moto and judged by the ledger's policies (components/compliance/
        // iam-evaluate.ts). moto enforces IAM actions and resources, Object Lock on deletes and
        // If-None-Match, but (5.2.1) maps ?retention and ?legal-hold PUTs to s3:PutObject, does not
        // evaluate request condition keys (s3:if-none-match), and lets a COMPLIANCE retention be
        // replaced: for those three the policy evaluation is the proof, and they run last.
        const target = recorded[0];
        const B = ledger.ledgerBucket;
        const bucketArn = `arn:aws:s3:::${B}`;
        const policies = [appenderPolicy(bucketArn, "arn:aws:kms:eu-west-1:1:key/k"), ledgerBucketPolicy(bucketArn, "arn:aws:iam::1:role/break-glass")];
        const MOTO_CANNOT_JUDGE = new Set(["s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:PutObject"]);
        interface Attempt { what: string; by: string; action: string; endpoint: string; refusedByEndpoint: boolean; policy?: string }
        const attempts: Attempt[] = [];
        const attempt = async (what: string, by: "appender" | "admin", action: string, resource: string, context: Record<string, string>, f: () => Promise<unknown>) => {
            let endpoint = "accepted";
            let refusedByEndpoint = false;
            try {
                await f();
            } catch (e) {
                refusedByEndpoint = true;
                endpoint = `${(e as { name?: string }).name} ${(e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? ""}`.trim();
            }
            const policy = by === "appender" ? evaluate(policies, { action, resource, principalArn: "arn:aws:iam::1:role/erasure-ledger-appender", context: { "aws:SecureTransport": "true", ...context } }) : undefined;
            attempts.push({ what, by, action, endpoint, refusedByEndpoint, policy });
        };
        const obj = `${bucketArn}/${target.key}`;
        const INM = { "s3:if-none-match": "*" };
        await attempt("overwrite with If-None-Match", "appender", "s3:PutObject", obj, INM, () => appender.send(new PutObjectCommand({ Bucket: B, Key: target.key, Body: "{}", IfNoneMatch: "*" })));
        await attempt("delete (delete marker)", "appender", "s3:DeleteObject", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key })));
        await attempt("delete the version", "appender", "s3:DeleteObjectVersion", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId })));
        await attempt("delete the version bypassing governance", "appender", "s3:BypassGovernanceRetention", obj, {}, () => appender.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, BypassGovernanceRetention: true })));
        await attempt("add a lifecycle expiring entries", "appender", "s3:PutLifecycleConfiguration", bucketArn, {}, () => appender.send(new PutBucketLifecycleConfigurationCommand({ Bucket: B, LifecycleConfiguration: { Rules: [{ ID: "x", Status: "Enabled", Filter: {}, Expiration: { Days: 1 } }] } })));
        await attempt("replace the bucket policy", "appender", "s3:PutBucketPolicy", bucketArn, {}, () => appender.send(new PutBucketPolicyCommand({ Bucket: B, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) })));
        await attempt("delete the locked version (Object Lock COMPLIANCE)", "admin", "s3:DeleteObjectVersion", obj, {}, () => admin.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId })));
        await attempt("delete the locked version bypassing governance", "admin", "s3:BypassGovernanceRetention", obj, {}, () => admin.send(new DeleteObjectCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, BypassGovernanceRetention: true })));
        // Last: what moto cannot judge (see above).
        await attempt("shorten the retention", "appender", "s3:PutObjectRetention", obj, {}, () => appender.send(new PutObjectRetentionCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 60_000) } })));
        await attempt("set a legal hold off", "appender", "s3:PutObjectLegalHold", obj, {}, () => appender.send(new PutObjectLegalHoldCommand({ Bucket: B, Key: target.key, VersionId: target.versionId, LegalHold: { Status: "OFF" } })));
        await attempt("overwrite without If-None-Match (a forged, narrower entry)", "appender", "s3:PutObject", obj, {}, () =>
            appender.send(new PutObjectCommand({ Bucket: B, Key: target.key, Body: JSON.stringify({ ...target.entry, dataClasses: ["uploads"] }) + "\n", ChecksumAlgorithm: "SHA256" })),
        );
        const byEndpoint = attempts.filter((a) => a.refusedByEndpoint).length;
        const appenderAttempts = attempts.filter((a) => a.by === "appender");
        // A create-only PUT (If-None-Match) is what the policy allows; S3 itself refuses it over an existing key (412).
        const refusedWriter = (a: Attempt) => a.refusedByEndpoint || (MOTO_CANNOT_JUDGE.has(a.action) && a.policy === "explicit-deny");
        const byPolicyOnly = appenderAttempts.filter((a) => !a.refusedByEndpoint && refusedWriter(a)).length;
        fig("erasure.ledger.attempts_refused_by_endpoint", "destructive attempts refused by the S3 endpoint (moto, IAM + Object Lock)", `${byEndpoint}/${attempts.length}`, "attempts");
        fig("erasure.ledger.writer_attempts_refused", "writer attempts refused (endpoint, or policy evaluation where moto cannot judge)", `${appenderAttempts.filter(refusedWriter).length}/${appenderAttempts.length} (${byPolicyOnly} by evaluation)`, "attempts");
        const describeA = (a: Attempt) => `${a.by} ${a.what}: endpoint ${a.endpoint}${a.policy ? `, policy ${a.policy}` : ""}`;
        const writerOk = appenderAttempts.every(refusedWriter);
        check("the writer role cannot delete, overwrite, unlock or re-configure the ledger (refused by the endpoint; explicit deny under policy evaluation where moto cannot judge)", writerOk, appenderAttempts.map(describeA).join("; "));
        const adminAttempts = attempts.filter((a) => a.by === "admin");
        check("Object Lock (COMPLIANCE) refuses even an administrator's version delete", adminAttempts.every((a) => a.refusedByEndpoint), adminAttempts.map(describeA).join("; "));
        const lost: string[] = [];
        let intact = 0;
        for (const r of recorded) {
            try {
                const got = await admin.send(new GetObjectCommand({ Bucket: B, Key: r.key, VersionId: r.versionId }));
                if ((await got.Body!.transformToString()) === r.body) intact++;
                else lost.push(`${r.key}: changed`);
            } catch (e) {
                lost.push(`${r.key} version ${r.versionId}: ${(e as Error).name}`);
            }
        }
        fig("erasure.ledger.versions_destroyed_or_replaced", "recorded entry versions destroyed or changed", recorded.length - intact, "versions");
        check("every recorded entry version is intact after the attacks", intact === recorded.length, `${intact}/${recorded.length} original versions byte-identical (Object Lock keeps them; the replay reads every version, so the forged later version cannot narrow an erasure)${lost.length ? `; lost: ${lost.join(", ")}` : ""}`);

        // --- 6. restore from before the erasures --------------------------------------------------
        await lab.stopRedis();
        fs.copyFileSync(path.join(workDir, "redis-snapshot.rdb"), path.join(lab.redisDir, "dump.rdb"));
        await lab.startRedis();
        const common = ["--stack", "prod", "--lab", lab.descriptionFile, "--reason", "erasure drill", "--yes"];
        const dry = await fortress(["restore", ...common, "--set", label, "--from", "tier1", "--into", "erasure-restore", "--promote", "--dry-run"], env);
        const drySteps: string[] = (dry.doc.steps ?? []).map((s: { id: string }) => s.id);
        check("fortress restore --promote --dry-run lists the replay-erasures step before the restore is done", drySteps.includes("replay-erasures") && drySteps.indexOf("replay-erasures") > drySteps.indexOf("opened"), `steps: ${drySteps.join(", ") || dry.stderr.slice(-300)}`);
        const restore = await fortress(["restore", ...common, "--set", label, "--from", "tier1", "--into", "erasure-restore", "--promote"], env);
        const stepOf = (doc: Record<string, any>, id: string) => (doc.steps ?? []).find((s: { id: string }) => s.id === id) as { status: string; seconds?: number; detail?: string } | undefined;
        const replayStep = stepOf(restore.doc, "replay-erasures");
        check("fortress restore (lab driver) restored, promoted, replayed and verified", restore.code === 0 && restore.doc.outcome === "done" && replayStep?.status === "verified", `exit ${restore.code}, outcome ${restore.doc.outcome}: ${restore.doc.message ?? ""} ${replayStep?.detail ?? restore.stderr.slice(-500)}`);
        fig("erasure.restore.seconds", "fortress restore (restore, validate, promote, replay) wall time", Number((restore.ms / 1000).toFixed(1)), "s");
        fig("erasure.replay.seconds", "replay-erasures step (read ledger, apply, verify)", replayStep?.seconds !== undefined ? Number(replayStep.seconds.toFixed(2)) : "not measured", "s");

        // --- 7. the checks ------------------------------------------------------------------------
        const endpoint: string | undefined = restore.doc.result?.restored?.endpoint;
        const m = endpoint ? /^(.+):(\d+)$/.exec(endpoint) : null;
        const restoredPg = m ? { host: m[1], port: Number(m[2]), user: "postgres" } : lab.pg;
        const restored = labErasurePrimitives({ postgres: { ...restoredPg, database: "postgres" }, redis: { host: "127.0.0.1", port: lab.redisPort }, s3: admin });
        const left = await Promise.all(recorded.map((r) => remainingOf(restored, procedures, r.entry, hmacKey)));
        const subjectsPresent = left.filter((x) => Object.values(x).some((n) => n !== 0)).length;
        fig("erasure.subjects_after_restore", "erased subjects present after restore + replay", subjectsPresent, "subjects");
        const after = await counts(restoredPg);
        const expected = atBackup.rows + atBackup.keys + atBackup.objects - subjectTotal;
        const actual = after.rows + after.keys + after.objects;
        fig("erasure.rows_removed_beyond_subjects", "rows, keys and objects removed beyond the subjects'", expected - actual, "items");
        check("after the restore none of the three subjects is present (database, Redis, uploads)", subjectsPresent === 0, JSON.stringify(left));
        check("nothing else was removed: counts equal the backup's less exactly the subjects' items", expected === actual, `rows ${after.rows}, keys ${after.keys}, objects ${after.objects}; expected total ${expected}, got ${actual}`);
        const decoysLeft = await Promise.all(decoys.map((d) => remainingOf(restored, procedures, entryFor(d), hmacKey)));
        check("ids that start with a subject's id were not touched", decoysLeft.every((x) => x.database === 5 && x.redis === 3 && x.uploads === 2), JSON.stringify(decoysLeft));
        const replayed = (restore.doc.result?.erasuresReplayed ?? []) as { requestId: string; removed: Record<string, number> }[];
        // A request may be replayed twice (its entry and a forged later version): sum what it removed.
        const removedBy = (requestId: string, c: string) => replayed.filter((x) => x.requestId === requestId).reduce((n, x) => n + (x.removed[c] ?? 0), 0);
        const broughtBack = recorded.map((r, i) => ({ id: SUBJECTS[i], db: removedBy(r.entry.requestId, "database"), want: subjectAtBackup[SUBJECTS[i]].database, redis: removedBy(r.entry.requestId, "redis"), wantRedis: subjectAtBackup[SUBJECTS[i]].redis }));
        check("the replay removed exactly what the restore brought back (database rows, Redis keys)", broughtBack.every((b) => b.db === b.want && b.redis === b.wantRedis), JSON.stringify(broughtBack));
        const auditFile = path.join(workDir, "state", "audit.jsonl");
        const audit = fs.existsSync(auditFile) ? fs.readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((a) => a.command === "restore" && a.outcome === "done") : [];
        const listed = (audit[audit.length - 1]?.erasuresReplayed ?? []) as { requestId: string }[];
        check("the audit record lists the replayed erasure requests", recorded.every((r) => listed.some((x) => x.requestId === r.entry.requestId)), `${listed.length} request(s) in the audit record${restore.doc.audit?.tier3 ? `; tier-3 copy ${restore.doc.audit.tier3}` : ""}`);
        const again = await fortress(["erasure-replay", ...common, "--restored-point", backupStop.toISOString(), ...(endpoint ? ["--database", endpoint] : [])], env);
        const againRemoved = ((again.doc.result?.erasuresReplayed ?? []) as { removed: Record<string, number> }[]).reduce((n, x) => n + Object.values(x.removed).reduce((a, b) => a + b, 0), 0);
        check("a second replay (fortress erasure-replay) verifies and removes nothing: idempotent", again.code === 0 && againRemoved === 0, `exit ${again.code}, outcome ${again.doc.outcome}, removed ${againRemoved}; ${stepOf(again.doc, "replay-erasures")?.detail ?? again.stderr.slice(-300)}`);
        check("erasure procedures come from the stack config", true, stacks.source);
    } finally {
        await stopPg?.().catch(() => undefined);
        await procs.stopAll();
    }
    return {
        drill: "erasure",
        startedAt,
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, versions: prereqVersions(found) },
        figures,
        checks,
    } satisfies DrillReport;
};

/** The stack file's config values, as the CLI reads them. */
function readStackConfigFrom(dir: string): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    const text = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
    for (const [k, v] of Object.entries((parseYaml(text).config ?? {}) as Record<string, unknown>)) {
        const [ns, key] = k.split(":");
        if (ns === NAMESPACE && key !== "kubeconfig") raw[key] = typeof v === "string" ? parseConfigValue(v) : v;
    }
    raw.hasKubeconfig = false;
    return raw;
}

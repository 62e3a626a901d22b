/**
 * The backup SLO job code, run for real against a local CloudWatch and S3 (moto): the
 * wrapper every backup/verify CronJob runs (jobs/lib/slo-run.sh) publishes each run on exit —
 * success, failure, past its window, or stopped by SIGTERM (the Job's deadline) — and keeps
 * the job's exit code; the daily rollup adds the runs up for the SLO alarms; the weekly audit
 * writes every run and the CLI's audit records to the log archive.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProcessGroup, ScriptResult, runScript, waitFor } from "../../drills/redis/procs";
import { motoSettings, scriptEnv, startMoto } from "./moto";

const JOBS = path.resolve(__dirname, "..", "..", "jobs");
const READ = path.join(__dirname, "slo-read.py");
const STORE_PY = path.resolve(__dirname, "..", "..", "drills", "redis", "store.py");
const NS = "Fortress/BackupSLO";

describe("jobs: backup SLO metrics, rollup and weekly audit, against moto", function () {
    this.timeout(180_000);
    const procs = new ProcessGroup();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jobs-slo-"));
    let env: NodeJS.ProcessEnv;

    const read = async (...args: string[]): Promise<any> => {
        const r = await runScript("python3", [READ, ...args], env, 30_000);
        assert.strictEqual(r.code, 0, r.stderr);
        return args[0] === "get" ? r.stdout : JSON.parse(r.stdout);
    };
    const slo = (extra: Record<string, string>, ...command: string[]): Promise<ScriptResult> =>
        runScript(path.join(JOBS, "lib", "slo-run.sh"), command, { ...env, SLO_PURPOSE: "backup", SLO_WINDOW_SECONDS: "60", ...extra }, 60_000);

    before(async () => {
        const endpoint = await startMoto(procs, path.join(tmp, "moto.log"));
        env = scriptEnv({ ...motoSettings(endpoint), AWS_REGION: "us-west-2" });
        await waitFor("moto_server", 30_000, async () => (await runScript("python3", [STORE_PY, "bucket", "log-archive"], env, 10_000)).code === 0);
        assert.strictEqual((await runScript("python3", [STORE_PY, "bucket", "tier3"], env, 10_000)).code, 0);
    });
    after(async () => {
        await procs.stopAll();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("refuses to run a job without its SLO dimensions, naming the variable; the job does not start", async () => {
        const marker = path.join(tmp, "ran");
        const r = await runScript(path.join(JOBS, "lib", "slo-run.sh"), ["touch", marker], { ...env, SLO_DATA_CLASS: "redis", SLO_TIER: "tier1", SLO_PURPOSE: "backup" }, 30_000);
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /environment variable SLO_WINDOW_SECONDS is not set/);
        assert.ok(!fs.existsSync(marker));
    });

    it("publishes a success, a failure (keeping exit 3) and a run past its window, per data class, tier and purpose", async () => {
        const ok = await slo({ SLO_DATA_CLASS: "redis", SLO_TIER: "tier1" }, "true");
        assert.strictEqual(ok.code, 0, ok.stderr);
        const failed = await slo({ SLO_DATA_CLASS: "redis", SLO_TIER: "tier2" }, "bash", "-c", "exit 3");
        assert.strictEqual(failed.code, 3, failed.stderr);
        const slow = await slo({ SLO_DATA_CLASS: "secrets", SLO_TIER: "tier2", SLO_WINDOW_SECONDS: "1" }, "sleep", "1.5");
        assert.strictEqual(slow.code, 0, slow.stderr);
        assert.match(slow.stderr, /metric Fortress\/BackupSLO Runs\/Succeeded\/WithinWindow\/DurationSeconds\{DataClass=secrets,Tier=tier2,Purpose=backup\}: exit 0, 1\.\d{3} s \(window 1 s\)/);

        const full = (dc: string, tier: string) => [`DataClass=${dc}`, `Tier=${tier}`, "Purpose=backup"];
        assert.strictEqual(await read("sum", NS, "Succeeded", ...full("redis", "tier1")), 1);
        assert.strictEqual(await read("sum", NS, "Succeeded", ...full("redis", "tier2")), 0);
        assert.strictEqual(await read("sum", NS, "Runs", ...full("redis", "tier2")), 1);
        assert.strictEqual(await read("sum", NS, "WithinWindow", ...full("secrets", "tier2")), 0);
        assert.strictEqual(await read("sum", NS, "Succeeded", ...full("secrets", "tier2")), 1);
        const duration = await read("max", NS, "DurationSeconds", ...full("secrets", "tier2"));
        assert.ok(duration >= 1.5 && duration < 10, `duration ${duration}`);
    });

    it("a job stopped by SIGTERM (the Job's deadline) is published as failed and ends with the job's signal status", async () => {
        const child = spawn(path.join(JOBS, "lib", "slo-run.sh"), ["sleep", "30"], {
            env: { ...env, SLO_DATA_CLASS: "configuration", SLO_TIER: "tier3", SLO_PURPOSE: "backup", SLO_WINDOW_SECONDS: "60" },
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        await new Promise((r) => setTimeout(r, 1000));
        const started = Date.now();
        child.kill("SIGTERM");
        const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
        assert.strictEqual(code, 143, stderr);
        assert.ok(Date.now() - started < 20_000, "the wrapper stopped the job rather than waiting it out");
        assert.strictEqual(await read("sum", NS, "Runs", "DataClass=configuration", "Tier=tier3", "Purpose=backup"), 1);
        assert.strictEqual(await read("sum", NS, "Succeeded", "DataClass=configuration", "Tier=tier3", "Purpose=backup"), 0);
    });

    it("the daily rollup publishes the window's sums that the SLO alarms divide", async () => {
        const r = await runScript(path.join(JOBS, "backup-slo-rollup.sh"), [], { ...env, SLO_PURPOSES: "backup recovery" }, 60_000);
        assert.strictEqual(r.code, 0, r.stderr);
        const dims = ["Purpose=backup", "WindowDays=30"];
        assert.strictEqual(await read("max", NS, "RollupRuns", ...dims), 4, r.stderr);
        assert.strictEqual(await read("max", NS, "RollupSucceeded", ...dims), 2);
        assert.strictEqual(await read("max", NS, "RollupWithinWindow", ...dims), 1);
        // No recovery test in the window: zero runs, so the rate has no datapoint (the alarm treats that as breaching).
        assert.strictEqual(await read("max", NS, "RollupRuns", "Purpose=recovery", "WindowDays=30"), 0);
        const bad = await runScript(path.join(JOBS, "backup-slo-rollup.sh"), [], { ...env, SLO_WINDOW_DAYS: "thirty" }, 30_000);
        assert.notStrictEqual(bad.code, 0);
        assert.match(bad.stderr, /SLO_WINDOW_DAYS=thirty: use a whole number of days/);
    });

    it("the weekly audit writes every run and the CLI's audit records of the week to the log archive", async () => {
        const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
        const record = { schemaVersion: "fortress.audit/v1", runId: "r1", attempt: 1, command: "backup", stack: "prod", outcome: "succeeded" };
        fs.writeFileSync(path.join(tmp, "rec.json"), JSON.stringify(record));
        const put = await runScript("python3", [path.join(JOBS, "lib", "s3.py"), "put", "tier3", `fortress-audit/prod/${day}/r1.1.json`, path.join(tmp, "rec.json")], env, 30_000);
        assert.strictEqual(put.code, 0, put.stderr);

        const r = await runScript(
            path.join(JOBS, "backup-audit.sh"),
            [],
            { ...env, LOG_ARCHIVE_BUCKET: "log-archive", AUDIT_RECORDS_BUCKET: "tier3", AUDIT_RECORDS_PREFIX: "fortress-audit/prod" },
            60_000,
        );
        assert.strictEqual(r.code, 0, r.stderr);
        const keys: string[] = await read("objects", "log-archive", "backup-audit/");
        assert.strictEqual(keys.length, 1, JSON.stringify(keys));
        assert.match(keys[0], /^backup-audit\/\d{4}-W\d{2}-\d{8}T\d{4}Z\.json$/);
        const report = JSON.parse(await read("get", "log-archive", keys[0]));
        assert.strictEqual(report.format, "fortress-backup-audit/1");
        const ops = report.operations.map((o: any) => `${o.dataClass}/${o.tier}:${o.succeeded}/${o.runs}:${o.withinWindow}`).sort();
        assert.deepStrictEqual(ops, ["configuration/tier3:0/1:0", "redis/tier1:1/1:1", "redis/tier2:0/1:0", "secrets/tier2:1/1:0"]);
        const redis2 = report.summary.find((s: any) => s.dataClass === "redis" && s.tier === "tier2");
        assert.strictEqual(redis2.completionPercent, 0);
        assert.deepStrictEqual(report.auditRecords.map((a: any) => a.record.runId), ["r1"]);

        const missing = await runScript(path.join(JOBS, "backup-audit.sh"), [], { ...env, AUDIT_RECORDS_BUCKET: "tier3" }, 30_000);
        assert.notStrictEqual(missing.code, 0);
        assert.match(missing.stderr, /environment variable LOG_ARCHIVE_BUCKET is not set/);
    });
});

/**
 * The backup SLO runs of `fortress backup` / `fortress dr-test` against a real CloudWatch API
 * (moto_server on 127.0.0.1): every writer — the jobs' wrapper (jobs/lib/slo-run.sh with the env
 * the CronJobs render) and the CLI (cli/slo-metrics.ts) — publishes exactly the metric names,
 * dimension sets (in the same order) and units the SLO alarms and the dashboard read, and the
 * rollup the alarms divide counts the CLI's runs. The runner publishes a failed run as
 * Succeeded=0, and a publish that fails leaves a verified run verified with a WARNING and the
 * error in the run document.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand, Metric } from "@aws-sdk/client-cloudwatch";
import {
    BACKUP_SLO_NAMESPACE,
    DEFAULT_SLO_TARGETS,
    SLO_ROLLUP_METRICS,
    SLO_RUN_DIMENSIONS,
    SLO_RUN_METRICS,
    SLO_RUN_UNITS,
    dashboardBody,
    sloAlarms,
    sloRunEnv,
} from "../../components/detection";
import type { Driver } from "../../cli/drivers/types";
import { makeReporter } from "../../cli/output";
import { CommandPlan, RunOptions, runPlan } from "../../cli/runner";
import { CloudWatchMetricsSink, publishSloRuns } from "../../cli/slo-metrics";
import { backup } from "../../cli/commands/backup";
import { loadStack } from "../../cli/stack";
import { drTest } from "../../cli/commands/dr-test";
import { ProcessGroup, freePort, runScript } from "../../drills/redis/procs";
import { motoSettings, scriptEnv, startMoto, waitForCloudWatch } from "../jobs/moto";

/** A tier-3 audit sink that takes every record (the runner fails a run whose audit record is not written). */
const audit: Driver["audit"] = { async putAuditRecord(key: string) { return { location: `memory:${key}` }; } };
const JOBS = path.resolve(__dirname, "..", "..", "jobs");
const REGION = "us-west-2";

describe("cli: backup SLO runs published like the jobs', against moto CloudWatch", function () {
    this.timeout(180_000);
    const procs = new ProcessGroup();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-slo-"));
    let endpoint: string;
    let cw: CloudWatchClient;
    let sink: CloudWatchMetricsSink;
    let jobEnv: NodeJS.ProcessEnv;

    const series = async (metricName?: string): Promise<Metric[]> => {
        const out: Metric[] = [];
        let token: string | undefined;
        do {
            const r = await cw.send(new ListMetricsCommand({ Namespace: BACKUP_SLO_NAMESPACE, MetricName: metricName, NextToken: token }));
            out.push(...(r.Metrics ?? []));
            token = r.NextToken;
        } while (token);
        return out;
    };
    const stat = async (metric: string, dims: Record<string, string>, statistic: "Sum" | "Maximum", unit?: string): Promise<number | undefined> => {
        const now = Date.now();
        const r = await cw.send(
            new GetMetricStatisticsCommand({
                Namespace: BACKUP_SLO_NAMESPACE,
                MetricName: metric,
                Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
                StartTime: new Date(now - 3_600_000),
                EndTime: new Date(now + 300_000),
                Period: 7200,
                Statistics: [statistic],
                ...(unit ? { Unit: unit as never } : {}),
            }),
        );
        const p = r.Datapoints ?? [];
        return p.length ? p.reduce((t, d) => (statistic === "Sum" ? t + d.Sum! : Math.max(t, d.Maximum!)), statistic === "Sum" ? 0 : -Infinity) : undefined;
    };

    before(async () => {
        endpoint = await startMoto(procs, path.join(tmp, "moto.log"));
        const credentials = { accessKeyId: "test", secretAccessKey: "test" };
        cw = new CloudWatchClient({ region: REGION, endpoint, credentials });
        sink = new CloudWatchMetricsSink({ region: REGION, endpoint, credentials });
        await waitForCloudWatch(cw);
        jobEnv = scriptEnv({ ...motoSettings(endpoint), AWS_REGION: REGION }, ["SLO_"]);
    });
    after(async () => {
        cw?.destroy();
        sink?.destroy();
        await procs.stopAll();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the jobs' wrapper (with the env the CronJobs render) and the CLI publish the same names, dimension order and units — the ones the dashboard and the alarms' rollup read", async () => {
        // Writer 1: slo-run.sh, with exactly the env a CronJob renders (sloRunEnv; SLO_NAMESPACE included).
        const rendered = Object.fromEntries(sloRunEnv({ dataClass: "redis", tier: "tier1", purpose: "backup", windowSeconds: 60 }).map((e) => [e.name, e.value]));
        assert.strictEqual(rendered.SLO_NAMESPACE, BACKUP_SLO_NAMESPACE);
        const job = await runScript(path.join(JOBS, "lib", "slo-run.sh"), ["true"], { ...jobEnv, ...rendered }, 60_000);
        assert.strictEqual(job.code, 0, job.stderr);
        // Writer 2: the CLI, a backup and a recovery test.
        const cli = await publishSloRuns(
            [
                { dataClass: "database", tier: "tier2", purpose: "backup", succeeded: true, durationSeconds: 12.5, windowSeconds: 360 },
                { dataClass: "database", tier: "tier1", purpose: "recovery", succeeded: false, durationSeconds: 3, windowSeconds: 900 },
            ],
            sink,
            undefined,
            { deadline: Date.now() + 30_000 },
        );
        assert.strictEqual(cli.published, true, cli.error);

        const all = await series();
        const byWriter = (dataClass: string) =>
            all
                .filter((m) => m.Dimensions?.find((d) => d.Name === "DataClass")?.Value === dataClass)
                .map((m) => `${m.MetricName}{${m.Dimensions!.map((d) => d.Name).join(",")}}`)
                .sort();
        const expected = (n: number) =>
            Object.values(SLO_RUN_METRICS)
                .flatMap((name) => Array(n).fill(`${name}{${SLO_RUN_DIMENSIONS.join(",")}}`))
                .sort();
        assert.deepStrictEqual(byWriter("redis"), expected(1), "slo-run.sh");
        assert.deepStrictEqual(byWriter("database"), expected(2), "the CLI");

        // Units: each metric read back with its unit, and not with the other one.
        for (const [k, unit] of Object.entries(SLO_RUN_UNITS)) {
            const name = SLO_RUN_METRICS[k as keyof typeof SLO_RUN_METRICS];
            const other = unit === "Count" ? "Seconds" : "Count";
            for (const dims of [{ DataClass: "redis", Tier: "tier1", Purpose: "backup" }, { DataClass: "database", Tier: "tier2", Purpose: "backup" }]) {
                assert.notStrictEqual(await stat(name, dims, "Sum", unit), undefined, `${name} ${JSON.stringify(dims)} in ${unit}`);
                assert.strictEqual(await stat(name, dims, "Sum", other), undefined, `${name} ${JSON.stringify(dims)} is not in ${other}`);
            }
        }
        // Values: the failed recovery test is Runs 1, Succeeded 0, WithinWindow 0.
        const rec = { DataClass: "database", Tier: "tier1", Purpose: "recovery" };
        assert.deepStrictEqual([await stat("Runs", rec, "Sum"), await stat("Succeeded", rec, "Sum"), await stat("WithinWindow", rec, "Sum"), await stat("DurationSeconds", rec, "Maximum")], [1, 0, 0, 3]);

        // The dashboard reads the same: every SEARCH names the namespace, the dimension set and a published metric.
        const body = dashboardBody({ environment: "prod", region: REGION, alarms: [], slo: { alarms: sloAlarms(), targets: DEFAULT_SLO_TARGETS } });
        const searches = [...JSON.stringify(body).matchAll(/SEARCH\('\{([^}]*)\} MetricName=\\"(\w+)\\"'/g)];
        assert.ok(searches.length >= 4, JSON.stringify(body).slice(0, 400));
        const published = new Set(all.map((m) => m.MetricName));
        for (const [, schema, metric] of searches) {
            const [ns, ...dims] = schema.split(",");
            assert.strictEqual(ns, BACKUP_SLO_NAMESPACE);
            assert.deepStrictEqual([...dims].sort(), [...SLO_RUN_DIMENSIONS].sort(), schema);
            assert.ok(published.has(metric), `the dashboard searches ${metric}, which no writer published`);
        }

        // The alarms divide the rollup, which adds up the series the writers published, the CLI's included.
        const roll = await runScript(path.join(JOBS, "backup-slo-rollup.sh"), [], { ...jobEnv, SLO_PURPOSES: "backup recovery" }, 60_000);
        assert.strictEqual(roll.code, 0, roll.stderr);
        for (const a of sloAlarms().filter((x) => ["backup", "recovery"].includes(x.metrics[0].dimensions.Purpose))) {
            for (const m of a.metrics) {
                assert.strictEqual(m.namespace, BACKUP_SLO_NAMESPACE);
                assert.ok(Object.values(SLO_ROLLUP_METRICS).includes(m.metricName as never), m.metricName);
                const listed = await series(m.metricName);
                assert.ok(
                    listed.some((x) => JSON.stringify(Object.fromEntries(x.Dimensions!.map((d) => [d.Name, d.Value]))) === JSON.stringify(m.dimensions)),
                    `${a.name} reads ${m.metricName}${JSON.stringify(m.dimensions)}; the rollup published ${JSON.stringify(listed.map((x) => x.Dimensions))}`,
                );
            }
        }
        const rollDims = (p: string) => ({ Purpose: p, WindowDays: String(DEFAULT_SLO_TARGETS.windowDays) });
        assert.deepStrictEqual([await stat("RollupRuns", rollDims("recovery"), "Maximum"), await stat("RollupSucceeded", rollDims("recovery"), "Maximum")], [1, 0], "the CLI's failed recovery test is counted");
        assert.deepStrictEqual([await stat("RollupRuns", rollDims("backup"), "Maximum"), await stat("RollupSucceeded", rollDims("backup"), "Maximum")], [2, 2], "the job's and the CLI's backups");
    });

    describe("through the runner (the backup and dr-test plans)", () => {
        let dir: string;
        const output = () => {
            const out = new PassThrough();
            let text = "";
            out.on("data", (d) => (text += d));
            return { out, text: () => text };
        };
        const opts = (driver: Driver, out: PassThrough, extra: Partial<RunOptions> = {}): RunOptions => ({
            command: "backup",
            stack: "dev",
            args: {},
            stateDir: dir,
            dryRun: false,
            yes: true,
            defaultTimeoutSeconds: 60,
            fresh: true,
            reporter: makeReporter("plain", out, out),
            makeDriver: async () => driver,
            ...extra,
        });
        beforeEach(() => (dir = fs.mkdtempSync(path.join(tmp, "state-"))));

        it("a backup whose tier2 copy is not listed publishes tier1 Succeeded=1 and tier2 Succeeded=0, then exits 1", async () => {
            const made = new Map<string, string>();
            const database = {
                async backup(tier: string) {
                    const label = `20261203-0000${tier === "tier1" ? "01" : "02"}F`;
                    made.set(tier, label);
                    return { tier, label, type: "full", startedAt: new Date(), stoppedAt: new Date(), walStart: "1", walStop: "2", error: false, complete: true };
                },
                async info(tier: string) {
                    return { tier, status: "ok", archive: { tier }, backups: tier === "tier1" ? [{ label: made.get("tier1"), complete: true, error: false }] : [] };
                },
            } as unknown as Driver["database"];
            const driver = { name: "test", describe: "test", database, metrics: sink, audit, async close() {} } as Driver;
            const plan = backup.plan({ opts: { class: "database", tier: "tier1,tier2", type: "full" }, stack: loadStack("dev"), driver: { kind: "platform" }, dryRun: false });
            const o = output();
            const doc = await runPlan(plan, opts(driver, o.out));
            assert.strictEqual(doc.exitCode, 1);
            assert.strictEqual(doc.sloMetrics?.published, true, doc.sloMetrics?.error);
            assert.deepStrictEqual(doc.sloMetrics!.runs.map((r) => [r.dataClass, r.tier, r.purpose, r.succeeded]), [
                ["database", "tier1", "backup", 1],
                ["database", "tier2", "backup", 0],
            ]);
            assert.strictEqual(await stat("Succeeded", { DataClass: "database", Tier: "tier1", Purpose: "backup" }, "Sum"), 1);
            // tier2: the first test's successful backup, and this failed one.
            assert.deepStrictEqual([await stat("Runs", { DataClass: "database", Tier: "tier2", Purpose: "backup" }, "Sum"), await stat("Succeeded", { DataClass: "database", Tier: "tier2", Purpose: "backup" }, "Sum")], [2, 1]);
        });

        it("a dr-test that fails at its first step still publishes Succeeded=0 (recovery) before exiting non-zero", async () => {
            const database = {
                async info() {
                    return { tier: "tier3", status: "ok", archive: { tier: "tier3" }, backups: [] };
                },
            } as unknown as Driver["database"];
            const driver = { name: "test", describe: "test", database, metrics: sink, audit, async close() {} } as Driver;
            const plan = drTest.plan({ opts: { from: "tier3", into: "fortress-drill" }, stack: loadStack("dev"), driver: { kind: "platform" }, dryRun: false });
            const o = output();
            const doc = await runPlan(plan, opts(driver, o.out, { command: "dr-test" }));
            assert.notStrictEqual(doc.exitCode, 0);
            assert.deepStrictEqual(doc.sloMetrics!.runs.map((r) => [r.dataClass, r.tier, r.purpose, r.succeeded]), [["database", "tier3", "recovery", 0]]);
            assert.strictEqual(doc.sloMetrics!.published, true, doc.sloMetrics!.error);
            const dims = { DataClass: "database", Tier: "tier3", Purpose: "recovery" };
            assert.deepStrictEqual([await stat("Runs", dims, "Sum"), await stat("Succeeded", dims, "Sum")], [1, 0]);
        });

        it("a publish that fails leaves a verified run done (exit 0), with a WARNING line and sloMetrics.error", async () => {
            const deadPort = await freePort();
            const dead = new CloudWatchMetricsSink({ region: REGION, endpoint: `http://127.0.0.1:${deadPort}`, credentials: { accessKeyId: "t", secretAccessKey: "t" } });
            const step = { id: "only", phase: "act" as const, title: "only", budget: { seconds: 10 }, mutates: true, async run() { return { detail: "ok" }; } };
            const plan: CommandPlan = { destructive: false, dataLossBound: { seconds: null, why: "t" }, steps: [step], sloRuns: () => [{ dataClass: "database", tier: "tier1", purpose: "backup", succeeded: true, durationSeconds: 1, windowSeconds: 10 }] };
            const driver = { name: "test", describe: "test", database: {} as Driver["database"], metrics: dead, audit, async close() {} } as Driver;
            const o = output();
            const doc = await runPlan(plan, opts(driver, o.out));
            dead.destroy();
            assert.strictEqual(doc.exitCode, 0, doc.message);
            assert.strictEqual(doc.outcome, "done");
            assert.strictEqual(doc.sloMetrics!.published, false);
            assert.match(doc.sloMetrics!.error!, new RegExp(`PutMetricData to CloudWatch ${REGION} at http://127.0.0.1:${deadPort} failed`));
            assert.match(o.text(), /NOTE WARNING: the SLO metrics of this run were not published \(PutMetricData to CloudWatch/);
        });

        it("a driver without a metrics sink (a lab without cloudwatch) says so; dry runs and refusals publish nothing", async () => {
            const step = { id: "only", phase: "act" as const, title: "only", budget: { seconds: 10 }, mutates: true, async run() { return { detail: "ok" }; } };
            const plan: CommandPlan = { destructive: false, dataLossBound: { seconds: null, why: "t" }, steps: [step], sloRuns: () => [{ dataClass: "database", tier: "tier1", purpose: "backup", succeeded: true, durationSeconds: 1, windowSeconds: 10 }] };
            const lab = { name: "lab", describe: "lab", database: {} as Driver["database"], audit, async close() {} } as Driver;
            const doc = await runPlan(plan, opts(lab, output().out));
            assert.strictEqual(doc.outcome, "done");
            assert.match(doc.sloMetrics!.error!, /driver lab has no metrics sink \(the lab description has no cloudwatch section\)/);
            const dry = await runPlan(plan, opts(lab, output().out, { dryRun: true }));
            assert.strictEqual(dry.sloMetrics, undefined);
        });
    });
});

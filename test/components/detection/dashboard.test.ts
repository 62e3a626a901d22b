/**
 * The DR dashboard body and the backup SLO alarms. The body is checked against the alarm
 * definitions the prod stack declares and against the publishers' own code (the job scripts),
 * so a graph cannot watch a metric nobody publishes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    AlarmSpec,
    BACKUP_SLO_NAMESPACE,
    DEFAULT_SLO_TARGETS,
    DashboardAlarm,
    DrDashboard,
    SLO_ROLLUP_METRICS,
    SLO_RUN_METRICS,
    SloAlarms,
    backupWindowSeconds,
    dashboardBody,
    healthCheckAlarm,
    sloAlarms,
    sloRunEnv,
    standbyLagAlarm,
    validateMathAlarms,
} from "../../../components/detection";
import { verificationAlarms } from "../../../components/postgres/verification";
import { runUnderMocks } from "../../../tools/mock-runtime";
import { evaluateStack } from "../../../tools/evaluate";
import { ROUTE53_METRICS_REGION, dataPathAlarms } from "../../../stacks/steps/detection";
import type { FortressConfig } from "../../../config";

const JOBS = path.resolve(__dirname, "..", "..", "..", "jobs");
const read = (f: string) => fs.readFileSync(path.join(JOBS, f), "utf8");

describe("DrDashboard: the body from the prod stack's alarm definitions", function () {
    this.timeout(120_000);
    let config: FortressConfig;
    let alarms: DashboardAlarm[];
    let body: ReturnType<typeof dashboardBody>;

    before(async () => {
        config = (await evaluateStack("prod")).config;
        const home = { route53: ROUTE53_METRICS_REGION, primary: config.regions.primary, dr: config.regions.dr } as const;
        const specs: AlarmSpec[] = [
            healthCheckAlarm("health-app-primary", "hc-primary-id", "app in the primary region"),
            healthCheckAlarm("health-app-dr", "hc-dr-id", "app in the DR region"),
            ...dataPathAlarms(config),
            ...verificationAlarms("fortress-pg", [2, 3], 2),
            { ...standbyLagAlarm("fortress-pg", 60) },
        ];
        alarms = specs.map((s) => ({ ...s, dimensions: s.dimensions as Record<string, string>, region: home[s.home] }));
        body = dashboardBody({ environment: "prod", region: config.regions.dr, alarms, slo: { alarms: sloAlarms(), targets: DEFAULT_SLO_TARGETS } });
    });

    const lines = () =>
        body.widgets.flatMap((w) => ((w.properties.metrics as unknown[][] | undefined) ?? []).map((m) => ({ w, m }))).filter(({ m }) => typeof m[0] === "string");

    it("every graphed metric is exactly an alarm's metric (namespace, name, whole dimension set, region) or an SLO metric", () => {
        for (const { w, m } of lines()) {
            const opts = m[m.length - 1] as Record<string, unknown>;
            const dims = Object.fromEntries(
                m
                    .slice(2, -1)
                    .reduce<string[][]>((acc, v, i) => (i % 2 ? (acc[acc.length - 1].push(String(v)), acc) : [...acc, [String(v)]]), [])
                    .map(([k, v]) => [k, v]),
            );
            if (m[0] === BACKUP_SLO_NAMESPACE) {
                assert.ok(Object.values(SLO_ROLLUP_METRICS).includes(m[1] as never), `SLO metric ${m[1]}`);
                continue;
            }
            const match = alarms.find((a) => a.namespace === m[0] && a.metricName === m[1] && JSON.stringify(a.dimensions) === JSON.stringify(dims) && a.region === w.properties.region);
            assert.ok(match, `${JSON.stringify(m)} in ${w.properties.region} matches no alarm`);
            assert.strictEqual(opts.stat, match!.statistic);
        }
        // and every alarm is graphed
        assert.strictEqual(lines().filter(({ m }) => m[0] !== BACKUP_SLO_NAMESPACE).length, alarms.length);
    });

    it("backup age: one graph per data class of the tiers config, one series per tier, with the alarm thresholds", () => {
        for (const [dataClass, byTier] of Object.entries(config.tiers)) {
            const w = body.widgets.find((x) => x.properties.title === `Backup age — ${dataClass} (s)`);
            assert.ok(w, `no backup-age graph for ${dataClass}`);
            assert.strictEqual((w!.properties.metrics as unknown[]).length, Object.keys(byTier as object).length);
            assert.ok(((w!.properties.annotations as any).horizontal as unknown[]).length >= 1);
        }
    });

    it("health checks are read in us-east-1, the rest in the DR region; replication, standby, Redis lag and verification are there", () => {
        const titles = body.widgets.map((w) => String(w.properties.title ?? ""));
        const health = body.widgets.find((w) => String(w.properties.title).startsWith("Route 53 health checks"))!;
        assert.strictEqual(health.properties.region, "us-east-1");
        for (const t of ["S3 replication latency (s)", "DR standby replay lag (s)", "Redis replica lag (s)", "Backup verification (1 = passed)", "Backup SLOs over 30 days (%)"]) {
            assert.ok(titles.includes(t), `missing "${t}" in ${titles.join(" | ")}`);
        }
    });

    it("the SLO figures: each expression reads ids of its own widget; ids unique; widgets do not overlap; under CloudWatch's size limit", () => {
        const slo = body.widgets.find((w) => w.properties.view === "singleValue")!;
        const ms = slo.properties.metrics as unknown[][];
        const ids = ms.map((m) => (m[m.length - 1] as { id: string }).id);
        assert.strictEqual(new Set(ids).size, ids.length);
        for (const m of ms) {
            const e = (m[0] as { expression?: string }).expression;
            if (e) for (const id of e.match(/\b[a-z][A-Za-z0-9_]*\b/g)!) assert.ok(ids.includes(id), `${e}: ${id}`);
        }
        assert.strictEqual(ms.filter((m) => (m[0] as { expression?: string }).expression).length, 4);
        const cells = new Set<string>();
        for (const w of body.widgets) {
            for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
                assert.ok(!cells.has(`${x},${y}`), `widgets overlap at ${x},${y}`);
                cells.add(`${x},${y}`);
            }
            assert.ok(w.x + w.width <= 24);
        }
        assert.ok(JSON.stringify(body).length < 1_000_000);
    });

    it("the metric names are the publishers': the job scripts publish what the dashboard and alarms read", () => {
        assert.match(read("lib/slo-run.sh"), new RegExp(`SLO_NAMESPACE="\\$\\{SLO_NAMESPACE:-${BACKUP_SLO_NAMESPACE}\\}"`));
        assert.match(read("lib/slo-run.sh"), /"DataClass=\$SLO_DATA_CLASS" "Tier=\$SLO_TIER" "Purpose=\$SLO_PURPOSE"/);
        const s3 = read("lib/s3.py");
        assert.match(s3, new RegExp(`SLO_COUNTS = \\("${SLO_RUN_METRICS.runs}", "${SLO_RUN_METRICS.succeeded}", "${SLO_RUN_METRICS.withinWindow}"\\)`));
        assert.match(s3, new RegExp(`"MetricName": "${SLO_RUN_METRICS.duration}"`));
        for (const v of Object.values(SLO_ROLLUP_METRICS)) assert.ok(v.startsWith("Rollup"), v);
        assert.match(s3, /"MetricName": f"Rollup\{m\}", "Dimensions": dims/);
        assert.match(s3, /dims = \[\{"Name": "Purpose", "Value": p\}, \{"Name": "WindowDays", "Value": str\(days\)\}\]/);
        assert.match(read("lib/backup.sh"), /NewestBackupAgeSeconds \\\n\s+"DataClass=\$data_class" "Tier=\$\{BACKUP_TIER:-unknown\}"/);
        assert.match(read("redis-lag-publisher.sh"), /s3 put-metric Fortress\/Redis ReplicaLagSeconds "\$lag" Seconds "Cluster=\$CLUSTER_NAME"/);
        // The standby lag: the names come from the env the component renders from the alarm's constants (test/stacks/slo.test.ts).
        assert.match(read("pg-standby-lag-publisher.sh"), /s3 put-metric "\$METRIC_NAMESPACE" "\$LAG_SECONDS_METRIC" "\$seconds" Seconds "Cluster=\$CLUSTER_NAME"/);
    });

    it("declares one aws:cloudwatch/dashboard:Dashboard whose body resolves the health-check outputs", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new DrDashboard("dr-dashboard", {
                dashboardName: "fortress-prod-dr",
                environment: "prod",
                region: "us-west-2",
                alarms: alarms.slice(0, 3).map((a) => ({ ...a, home: a.home })),
                slo: { alarms: sloAlarms(), targets: DEFAULT_SLO_TARGETS },
            });
        });
        const d = resources.filter((r) => r.type === "aws:cloudwatch/dashboard:Dashboard");
        assert.strictEqual(d.length, 1);
        assert.strictEqual(d[0].inputs.dashboardName, "fortress-prod-dr");
        const b = JSON.parse(d[0].inputs.dashboardBody);
        assert.match(JSON.stringify(b), /hc-primary-id/);
        await assert.rejects(
            runUnderMocks({ stack: "test", config: {} }, () => {
                new DrDashboard("bad", { dashboardName: "fortress prod", environment: "prod", region: "us-west-2", alarms: [], slo: { alarms: [], targets: DEFAULT_SLO_TARGETS } });
            }),
            /dashboardName "fortress prod": use letters, digits/,
        );
    });
});

describe("backup SLO alarms", () => {
    it("four metric-math alarms over the rollup: completion 99.9, window 99, verify 100, recovery 99.5 over 30 days; silence breaches", () => {
        const a = sloAlarms();
        assert.deepStrictEqual(
            a.map((x) => [x.name, x.threshold, x.metrics.map((m) => `${m.metricName}{${m.dimensions.Purpose},${m.dimensions.WindowDays}}`).join(" / ")]),
            [
                ["slo-backup-completion", 99.9, "RollupSucceeded{backup,30} / RollupRuns{backup,30}"],
                ["slo-backup-window-adherence", 99, "RollupWithinWindow{backup,30} / RollupRuns{backup,30}"],
                ["slo-verify-success", 100, "RollupSucceeded{verify,30} / RollupRuns{verify,30}"],
                ["slo-recovery-success", 99.5, "RollupSucceeded{recovery,30} / RollupRuns{recovery,30}"],
            ],
        );
        for (const x of a) {
            assert.strictEqual(x.comparison, "LessThanThreshold");
            assert.strictEqual(x.treatMissingData, "breaching");
            assert.strictEqual(x.expression, "100 * n / runs");
        }
        assert.throws(() => sloAlarms({ ...DEFAULT_SLO_TARGETS, backupCompletionPercent: 120 }), /slo\.backupCompletionPercent: 120; a target is a percentage/);
        assert.throws(() => sloAlarms({ ...DEFAULT_SLO_TARGETS, windowDays: 1000 }), /slo\.windowDays: 1000/);
        assert.throws(() => validateMathAlarms("x", [{ ...a[0], expression: "100 * ok / runs" }]), /"ok" is not one of its metrics/);
    });

    it("SloAlarms declares one MetricAlarm per SLO with the expression and its hidden metrics", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new SloAlarms("slo", { alarms: sloAlarms(), namePrefix: "fortress-prod", topicArn: "arn:aws:sns:us-west-2:1:alerts" });
        });
        const alarms = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.deepStrictEqual(alarms.map((r) => r.inputs.name).sort(), ["fortress-prod-slo-backup-completion", "fortress-prod-slo-backup-window-adherence", "fortress-prod-slo-recovery-success", "fortress-prod-slo-verify-success"]);
        const q = alarms[0].inputs.metricQueries;
        assert.strictEqual(q[0].expression, "100 * n / runs");
        assert.strictEqual(q[0].returnData, true);
        assert.deepStrictEqual(q.slice(1).map((m: any) => [m.id, m.returnData, m.metric.namespace, m.metric.period, m.metric.stat]), [
            ["n", false, BACKUP_SLO_NAMESPACE, 86400, "Maximum"],
            ["runs", false, BACKUP_SLO_NAMESPACE, 86400, "Maximum"],
        ]);
        assert.deepStrictEqual(alarms[0].inputs.alarmActions, ["arn:aws:sns:us-west-2:1:alerts"]);
    });

    it("a run's window is half its schedule's gap, at least a minute, at most the Job's deadline; the env names the dimensions", () => {
        assert.strictEqual(backupWindowSeconds("*/5 * * * *", 270), 150);
        assert.strictEqual(backupWindowSeconds("0 2 * * *", 3600), 3600);
        assert.strictEqual(backupWindowSeconds("* * * * *", 60), 60);
        assert.deepStrictEqual(sloRunEnv({ dataClass: "database", tier: "tier2+tier3", purpose: "verify", windowSeconds: 3600 }), [
            { name: "SLO_NAMESPACE", value: BACKUP_SLO_NAMESPACE },
            { name: "SLO_DATA_CLASS", value: "database" },
            { name: "SLO_TIER", value: "tier2+tier3" },
            { name: "SLO_PURPOSE", value: "verify" },
            { name: "SLO_WINDOW_SECONDS", value: "3600" },
        ]);
        assert.throws(() => sloRunEnv({ dataClass: "redis", tier: "tier4", purpose: "backup", windowSeconds: 60 }), /slo tier "tier4"/);
    });
});

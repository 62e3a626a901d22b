/**
 * The objectives model, worst case first: the corrections of issue 10, each on a small set of
 * declared resources, and the accepted-risk rules.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DrillReportLike, MEASURED, ObjectivesTable, computeObjectives, failingCells, findFigure, findWorstRun, loadDrillReports, budget } from "../../objectives";
import { objectivesInput } from "../../policies/lib/objectives-input";
import { fixtureConfig } from "../policies/fixtures";
import type { RecordedResource } from "../../components/core/recorded-resource";

const r = (type: string, name: string, inputs: Record<string, any>, region?: string): RecordedResource => ({ type, name, urn: `urn:pulumi:test::fortress-dr::${type}::${name}`, inputs, region });
const healthCheck = (type = "HTTPS", interval = 10, threshold = 3) => r("aws:route53/healthCheck:HealthCheck", "hc", { type, requestInterval: interval, failureThreshold: threshold });
const records = [
    r("aws:route53/record:Record", "primary", { ttl: 30, failoverRoutingPolicies: [{ type: "PRIMARY" }], healthCheckId: "hc-1" }),
    r("aws:route53/record:Record", "secondary", { ttl: 30, failoverRoutingPolicies: [{ type: "SECONDARY" }] }),
];
const pg = r("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", {
    metadata: { name: "fortress-pg" },
    spec: {
        instances: [{ replicas: 3, dataVolumeClaimSpec: { resources: { requests: { storage: "100Gi" } } } }],
        patroni: { leaderLeaseDurationSeconds: 15, syncPeriodSeconds: 5, dynamicConfiguration: { synchronous_mode: true, postgresql: { parameters: { archive_timeout: "30s" } } } },
        backups: { pgbackrest: { repos: [{ name: "repo1", volume: {}, schedules: { full: "0 1 * * *", incremental: "*/15 * * * *" } }, { name: "repo2", s3: { bucket: "t2", region: "us-west-2" }, schedules: { full: "0 */4 * * *" } }] } },
    },
});
const verify = r("kubernetes:batch/v1:CronJob", "verify", { metadata: { name: "fortress-pg-verify", labels: { "fortress/data-class": "database", "fortress/purpose": "verify" } }, spec: { schedule: "0 3 * * *" } });
const watch = r("kubernetes:apps/v1:Deployment", "watch", {
    metadata: { name: "watch" },
    spec: { replicas: 1, template: { metadata: { labels: { "fortress/purpose": "integrity-watch" } }, spec: { containers: [{ name: "w", env: [{ name: "ALERT_TOPIC_ARN", value: "arn:aws:sns:us-west-2:1:a" }, { name: "WATCH_INTERVAL_SECONDS", value: "30" }] }] } } },
});
const MiB = 2 ** 20;
const REPORTS: DrillReportLike[] = [
    {
        drill: "postgres",
        mode: "full",
        figures: [
            { id: "postgres.pitr.restored_bytes", name: "x", value: 1000 * MiB, unit: "bytes" },
            { id: "postgres.pitr.pgbackrest_restore_seconds", name: "x", value: 10, unit: "s" },
            { id: "postgres.crash.restored_bytes", name: "x", value: 1000 * MiB, unit: "bytes" },
            { id: "postgres.crash.pgbackrest_restore_seconds", name: "x", value: 20, unit: "s" },
            { id: "postgres.pitr.wal_replayed_bytes", name: "x", value: 100 * MiB, unit: "bytes" },
            { id: "postgres.pitr.replay_seconds", name: "x", value: 10, unit: "s" },
            { id: "postgres.load.wal_mib_per_second", name: "x", value: 1, unit: "MiB/s" },
            { id: "postgres.load.loss_window_seconds", name: "x", value: 31, unit: "s" },
            { id: "postgres.tier2_outage.loss_window_seconds", name: "x", value: 62.7, unit: "s" },
            { id: "postgres.config.archive_timeout_seconds", name: "x", value: 30, unit: "s" },
        ],
    },
];

function table(rs: RecordedResource[], patch: (c: any) => void = () => {}, reports = REPORTS): ObjectivesTable {
    const config: any = fixtureConfig();
    patch(config);
    return computeObjectives(objectivesInput("test", config, rs, reports));
}
const cell = (t: ObjectivesTable, id: string) => t.rows.flatMap((row) => [row.detect, row.rto, row.rpo]).find((c) => c.id === id)!;

describe("objectives model (worst case first)", () => {
    it("Route 53 HTTPS detection counts each failing check's 4 s connect and 2 s response window: 3 x (10 + 6) = 48 s", () => {
        const c = cell(table([healthCheck(), ...records]), "S3.services.detect");
        assert.strictEqual(c.seconds, 48);
        assert.strictEqual(c.status, "within");
        assert.strictEqual(cell(table([healthCheck("TCP"), ...records]), "S3.services.detect").seconds, 60);
        assert.strictEqual(cell(table([healthCheck("HTTPS", 30), ...records]), "S3.services.detect").status, "over");
    });

    it("S2 detection: the checksum watch is typical (at risk); the guaranteed detector is the daily verify", () => {
        const t = table([pg, verify, watch]);
        const d = cell(t, "S2.database.detect");
        assert.strictEqual(d.status, "at-risk");
        assert.strictEqual(d.seconds, 40);
        // the verify path is not firm here (its run time is a budget without the drill figures)
        assert.ok(d.guaranteedSeconds === null || d.guaranteedSeconds! >= 86_400, String(d.guaranteedSeconds));
        assert.strictEqual(cell(table([pg, verify]), "S2.database.detect").status, "over");
    });

    it("S2 RTO scales the measured restore and replay rates to the declared 100 Gi volume and the WAL since the last backup", () => {
        const c = cell(table([pg, verify, watch]), "S2.database.rto");
        const files = c.terms.find((t) => /pgBackRest restore from repo1/.test(t.label))!;
        assert.strictEqual(files.seconds, 1024); // 102400 MiB at 100 MiB/s
        assert.match(files.arithmetic!, /102400 MiB \/ \(1000 MiB \/ 10 s\) = 1024 s/);
        const replay = c.terms.find((t) => /WAL replay/.test(t.label))!;
        assert.strictEqual(replay.seconds, 90); // 900 s of WAL at 1 MiB/s, replayed at 10 MiB/s
        assert.strictEqual(c.status, "over");
    });

    it("S3/S4 database RPO uses the tier-2-outage loss window, not the healthy-S3 one", () => {
        const c = cell(table([pg]), "S3.database.rpo");
        assert.strictEqual(c.seconds, 62.7);
        assert.strictEqual(c.status, "over");
    });

    it("an unmeasured term carries a budget, never 0, and a missing report keeps it open with its budget", () => {
        assert.throws(() => budget("x", 0, "nothing"), /positive budget/);
        const t = table([pg, verify, watch], () => {}, []);
        const rto = cell(t, "S2.database.rto");
        assert.ok(rto.terms.every((x) => x.seconds > 0 || x.basis !== "budget"));
        assert.ok(rto.terms.some((x) => x.basis === "budget"));
        assert.ok(t.rows.every((row) => [row.detect, row.rto, row.rpo].every((c) => c.status !== "within" || c.soft.length === 0)));
    });

    it("figures are read by id only: a figure with the right prose name under another id is not used", () => {
        const byName: DrillReportLike[] = [{ drill: "redis", figures: [{ id: "redis.other.seconds", name: "snapshot total", value: 5, unit: "s" }] }];
        assert.strictEqual(findFigure(byName, "redis.snapshot.seconds"), undefined);
        assert.strictEqual(findFigure([{ drill: "redis", mode: "quick", figures: [{ id: "redis.snapshot.seconds", name: "?", value: 5, unit: "s" }] }], "redis.snapshot.seconds")?.mode, "quick");
    });

    it("a report file with a figure lacking its id is not used, with one problem naming the file, the figure and the fix", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "objectives-reports-"));
        try {
            const run = { startedAt: "2026-12-01T10:00:00Z", figures: [{ id: "redis.snapshot.seconds", name: "snapshot", value: 5, unit: "s" }] };
            fs.writeFileSync(path.join(dir, "drill-redis.json"), JSON.stringify({ drill: "redis", ...run, history: [{ ...run, figures: [{ name: "snapshot total", value: 9, unit: "s" }] }] }));
            const { reports, problems } = loadDrillReports(dir);
            assert.deepStrictEqual(reports, []);
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /^reports\/drill-redis\.json: figures without an id: "snapshot total" \(history\[0\]\).*re-run npm run drill -- --only redis/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("worst case first: each figure is the worst over the report's runs by its declared direction, and says which run", () => {
        const run = (startedAt: string, mode: "quick" | "full", figures: DrillReportLike["figures"]) => ({ startedAt, mode, machine: { cpus: 2, cpuModel: "EPYC", memoryGiB: 24 }, figures });
        const report: DrillReportLike = {
            drill: "recovery",
            ...run("2026-12-03T10:00:00Z", "full", [
                { id: "recovery.restore.seconds", name: "r", value: 40, unit: "s" },
                { id: "recovery.restore.pitr.exact", name: "x", value: 1, unit: "" },
            ]),
            history: [
                run("2026-12-02T09:30:00Z", "quick", [
                    { id: "recovery.restore.seconds", name: "r", value: 55, unit: "s" },
                    { id: "recovery.restore.pitr.exact", name: "x", value: 0, unit: "" },
                ]),
                run("2026-12-01T08:00:00Z", "full", [{ id: "recovery.restore.seconds", name: "r", value: 52_000, unit: "ms" }]),
            ],
        };
        // higher is worse for seconds (ms converted before comparing)
        const restore = findFigure([report], "recovery.restore.seconds")!;
        assert.strictEqual(MEASURED["recovery.restore.seconds"].worse, "higher");
        assert.strictEqual(restore.value, 55);
        assert.strictEqual(restore.startedAt, "2026-12-02T09:30:00Z");
        assert.strictEqual(restore.mode, "quick");
        assert.strictEqual(restore.runs, 3);
        assert.match(restore.context, /run of 2026-12-02 09:30 UTC, quick mode, worst of 3 runs/);
        // a 1/0 success flag: 0 is worse
        assert.strictEqual(MEASURED["recovery.restore.pitr.exact"].worse, "lower");
        const exact = findFigure([report], "recovery.restore.pitr.exact")!;
        assert.strictEqual(exact.value, 0);
        assert.strictEqual(exact.runs, 2);
        // the newest run alone would have said 40 s and exact
        assert.strictEqual(findFigure([{ ...report, history: [] }], "recovery.restore.seconds")!.value, 40);
        // on a tie the newest run is named
        const tie: DrillReportLike = { ...report, history: [run("2026-12-02T09:30:00Z", "quick", [{ id: "recovery.restore.seconds", name: "r", value: 40, unit: "s" }])] };
        assert.strictEqual(findFigure([tie], "recovery.restore.seconds")!.startedAt, "2026-12-03T10:00:00Z");
    });

    it("every id the model reads declares which way it gets worse", () => {
        for (const [id, spec] of Object.entries(MEASURED)) assert.ok(spec.worse === "higher" || spec.worse === "lower", id);
    });

    it("a rate is read from one run, the slowest: bytes and seconds are never mixed across runs", () => {
        const pg = REPORTS[0];
        const slower: DrillReportLike = {
            ...pg,
            history: [{ mode: "quick", startedAt: "2026-12-01T00:00:00Z", figures: [{ id: "postgres.pitr.restored_bytes", name: "x", value: 100 * MiB, unit: "bytes" }, { id: "postgres.pitr.pgbackrest_restore_seconds", name: "x", value: 5, unit: "s" }] }],
        };
        // newest: 1000 MiB in 10 s (100 MiB/s); history: 100 MiB in 5 s (20 MiB/s), the slower rate.
        const pair = findWorstRun([slower], ["postgres.pitr.restored_bytes", "postgres.pitr.pgbackrest_restore_seconds"], (f) => f["postgres.pitr.pgbackrest_restore_seconds"].value / f["postgres.pitr.restored_bytes"].value)!;
        assert.strictEqual(pair["postgres.pitr.restored_bytes"].value, 100 * MiB);
        assert.strictEqual(pair["postgres.pitr.pgbackrest_restore_seconds"].value, 5);
        // a per-figure worst would have paired 100 MiB with 10 s (10 MiB/s), a rate no run measured
        assert.strictEqual(findFigure([slower], "postgres.pitr.restored_bytes")!.value, 100 * MiB);
        assert.strictEqual(findFigure([slower], "postgres.pitr.pgbackrest_restore_seconds")!.value, 10);
    });

    it("an accepted risk passes a cell only while its bound is within what was accepted", () => {
        const accept = (worst: number) => (c: any) => (c.objectives = { ...c.objectives, acceptedRisks: [{ cell: "S3.database.rpo", worstSeconds: worst, reason: "a reason long enough to state" }] });
        const ok = table([pg], accept(63));
        assert.strictEqual(cell(ok, "S3.database.rpo").accepted?.holds, true);
        assert.ok(!failingCells(ok).some((f) => f.cell.id === "S3.database.rpo"));
        const grown = table([pg], accept(60));
        assert.strictEqual(cell(grown, "S3.database.rpo").accepted?.holds, false);
        assert.ok(failingCells(grown).some((f) => f.cell.id === "S3.database.rpo"));
    });
});

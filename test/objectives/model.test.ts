import * as assert from "assert";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    CONSTANTS,
    Cell,
    DeclaredResource,
    DrillReportLike,
    MEASURED,
    ObjectivesTable,
    computeObjectives,
    describeCell,
    failingCells,
    findFigure,
    loadDrillReports,
    pgSeconds,
    readKnown,
} from "../../../components/objectives";
import { fixtureConfig } from "../../policies/fixtures";

const r = (type: string, name: string, props: Record<string, any>, region?: string): DeclaredResource => ({ type, name, props, region });

const healthCheck = (interval = 10, threshold = 3) => r("aws:route53/healthCheck:HealthCheck", "hc", { type: "HTTPS", requestInterval: interval, failureThreshold: threshold, regions: ["us-east-1", "us-west-2", "eu-west-1"] });
const records = (ttl = 30) => [
    r("aws:route53/record:Record", "primary", { ttl, failoverRoutingPolicies: [{ type: "PRIMARY" }], healthCheckId: "hc-1" }),
    r("aws:route53/record:Record", "secondary", { ttl, failoverRoutingPolicies: [{ type: "SECONDARY" }] }),
];
const probe = (period: number, timeout: number, threshold: number) => ({ periodSeconds: period, timeoutSeconds: timeout, failureThreshold: threshold });
const deployment = (p = probe(5, 2, 3), replicas = 2) =>
    r("kubernetes:apps/v1:Deployment", "api", { metadata: { name: "api" }, spec: { replicas, template: { metadata: { labels: { "app.kubernetes.io/name": "api" } }, spec: { containers: [{ name: "api", readinessProbe: p, livenessProbe: p }] } } } });
const pg = (patch: (spec: any) => void = () => {}) => {
    const spec: any = {
        instances: [{ replicas: 3 }],
        patroni: { leaderLeaseDurationSeconds: 15, syncPeriodSeconds: 5, dynamicConfiguration: { synchronous_mode: true, postgresql: { parameters: { archive_timeout: "30s" } } } },
        backups: {
            pgbackrest: {
                repos: [
                    { name: "repo1", volume: {}, schedules: { full: "0 1 * * *" } },
                    { name: "repo2", s3: { bucket: "t2", region: "us-west-2" }, schedules: { full: "0 */4 * * *" } },
                    { name: "repo3", s3: { bucket: "t3", region: "us-east-2" }, schedules: { full: "0 2 * * *" } },
                ],
            },
        },
    };
    patch(spec);
    return r("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", { metadata: { name: "fortress-pg" }, spec });
};
const snapshotJob = (tier: string, schedule: string) =>
    r("kubernetes:batch/v1:CronJob", `redis-snapshot-${tier}`, {
        metadata: { name: `redis-snapshot-${tier}` },
        spec: { schedule, jobTemplate: { spec: { template: { spec: { containers: [{ name: "job", env: [{ name: "BACKUP_TIER", value: tier }] }] } } } } },
    });

const REPORTS: DrillReportLike[] = [
    {
        drill: "redis",
        startedAt: "2026-01-01T00:00:00Z",
        machine: { cpus: 2, cpuModel: "Test CPU", memoryGiB: 8 },
        figures: [
            { name: "snapshot total", value: 2, unit: "s" },
            { name: "keys lost, restart on same volume (AOF everysec)", value: 0, unit: "keys" },
        ],
    },
    {
        drill: "postgres",
        figures: [
            { name: "archive_timeout (from the database RPO)", value: 30, unit: "s" },
            { name: "(d) worst-case loss window under load", value: 31.5, unit: "s" },
            { name: "(b) point-in-time restore from repo1 until primary", value: 6.6, unit: "s" },
        ],
    },
];

function table(resources: DeclaredResource[], edit?: (raw: Record<string, any>) => void, reports: DrillReportLike[] = REPORTS): ObjectivesTable {
    return computeObjectives({ stack: "test", config: fixtureConfig("prod", edit), resources, reports });
}

function cellOf(t: ObjectivesTable, scenario: string, subject: string, metric: "detect" | "rto" | "rpo"): Cell {
    const row = t.rows.find((x) => x.scenario === scenario && x.subject === subject);
    if (!row) throw new Error(`no row ${scenario}/${subject}`);
    return row[metric];
}

describe("objectives model", () => {
    it("has a row per scenario and data class, with the configured objectives", () => {
        const t = table([]);
        assert.deepStrictEqual(
            t.rows.map((x) => `${x.scenario}/${x.subject}`),
            [
                "S1/services", "S1/database", "S1/cache", "S2/database",
                ...["S3", "S4", "S5"].flatMap((s) => ["services", "database", "cache", "configuration", "logs", "uploads"].map((d) => `${s}/${d}`)),
            ],
        );
        // S4 RPO for the database: the tighter of the scenario's 300 s and the class's 60 s.
        assert.strictEqual(cellOf(t, "S4", "database", "rpo").objectiveSeconds, 60);
        // The services' RTO is capped by the critical-services objective only when a service is critical.
        assert.strictEqual(cellOf(t, "S4", "services", "rto").objectiveSeconds, 600);
        const critical = table([], (raw) => (raw.services[0].critical = true));
        assert.strictEqual(cellOf(critical, "S4", "services", "rto").objectiveSeconds, 300);
        assert.strictEqual(cellOf(t, "S5", "database", "rpo").objectiveSeconds, null, "S5 data loss depends on scope");
    });

    it("says a scenario's mechanism is missing when nothing declares it", () => {
        const t = table([]);
        const detect = cellOf(t, "S3", "services", "detect");
        assert.strictEqual(detect.status, "missing");
        assert.match(detect.notes[0], /^no Route 53 endpoint health check \(aws:route53\/healthCheck:HealthCheck of type HTTP, HTTPS or TCP\) is declared/);
        assert.strictEqual(cellOf(t, "S1", "database", "rpo").status, "missing");
        assert.ok(failingCells(t).length > 0);
    });

    it("regional detection = interval x threshold + the 4 s connect window; a 30 s interval breaks the S3 objective", () => {
        const fast = cellOf(table([healthCheck(10, 3), ...records()]), "S3", "services", "detect");
        assert.deepStrictEqual([fast.achievableSeconds, fast.status], [34, "within"]);
        assert.deepStrictEqual(fast.terms.map((x) => [x.seconds, x.basis]), [[30, "declared"], [4, "guaranteed"]]);
        assert.strictEqual(fast.terms[1].ref, CONSTANTS.route53ConnectWindow.source.ref);
        const slow = cellOf(table([healthCheck(30, 3), ...records()]), "S3", "services", "detect");
        assert.deepStrictEqual([slow.achievableSeconds, slow.status], [94, "exceeds"]);
        assert.strictEqual(
            describeCell(table([healthCheck(30, 3), ...records()]).rows.find((x) => x.scenario === "S3")!, slow),
            "S3 complete infrastructure failure / services / detection: 94 s via Route 53 health check hc (1 declared; the slowest bounds) [health check hc: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
        );
    });

    it("property: regional detection is interval x threshold + 4 for every declared check, and within 60 s exactly when that sum is", () => {
        fc.assert(
            fc.property(fc.constantFrom(10, 30), fc.integer({ min: 1, max: 10 }), (interval, threshold) => {
                const c = cellOf(table([healthCheck(interval, threshold), ...records()]), "S3", "database", "detect");
                return c.achievableSeconds === interval * threshold + 4 && (c.status === "within") === interval * threshold + 4 <= 60;
            }),
            { numRuns: 40 },
        );
    });

    it("S1 service detection counts the probe timeout: 10 s x 3 + 5 s is 35 s, over the 30 s objective", () => {
        const slow = cellOf(table([deployment(probe(10, 5, 3))]), "S1", "services", "detect");
        assert.deepStrictEqual([slow.achievableSeconds, slow.status], [35, "exceeds"]);
        const fast = cellOf(table([deployment(probe(5, 2, 3))]), "S1", "services", "detect");
        assert.deepStrictEqual([fast.achievableSeconds, fast.status], [17, "within"]);
        const missing = cellOf(table([]), "S1", "services", "detect");
        assert.match(missing.notes[0], /^services api are configured but no Deployment of theirs is declared/);
    });

    it("S1 database: Patroni's lease plus loop_wait bounds detection; synchronous replication makes the RPO 0, asynchronous is missing", () => {
        const t = table([pg()]);
        assert.deepStrictEqual([cellOf(t, "S1", "database", "detect").achievableSeconds, cellOf(t, "S1", "database", "detect").status], [20, "within"]);
        const defaults = table([pg((s) => delete s.patroni.leaderLeaseDurationSeconds && delete s.patroni.syncPeriodSeconds)]);
        const d = cellOf(defaults, "S1", "database", "detect");
        assert.deepStrictEqual([d.achievableSeconds, d.status, d.terms[0].basis], [40, "exceeds", "guaranteed"], "the CRD defaults 30 + 10");
        assert.deepStrictEqual([cellOf(t, "S1", "database", "rpo").achievableSeconds, cellOf(t, "S1", "database", "rpo").status], [0, "within"]);
        const async = cellOf(table([pg((s) => (s.patroni.dynamicConfiguration.synchronous_mode = false))]), "S1", "database", "rpo");
        assert.strictEqual(async.status, "missing");
        assert.match(async.notes[0], /replicates asynchronously: a failover loses what the replica had not received, bounded in bytes/);
    });

    it("database RPO = archive_timeout + what the drill measured beyond it; a five-minute archive_timeout exceeds", () => {
        const ok = cellOf(table([pg()]), "S4", "database", "rpo");
        assert.deepStrictEqual([ok.achievableSeconds, ok.status], [31.5, "within"]);
        assert.deepStrictEqual(ok.terms.map((x) => [x.seconds, x.basis]), [[30, "declared"], [1.5, "measured"]]);
        assert.strictEqual(ok.terms[1].ref, 'reports/drill-postgres.json#"(d) worst-case loss window under load"');
        assert.ok(ok.typical, "a drill figure is drill-scale, so the cell says so");
        const slow = cellOf(table([pg((s) => (s.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout = "5min"))]), "S4", "database", "rpo");
        assert.deepStrictEqual([slow.achievableSeconds, slow.status], [301.5, "exceeds"]);
        const unmeasured = cellOf(table([pg()], undefined, []), "S4", "database", "rpo");
        assert.deepStrictEqual([unmeasured.achievableSeconds, unmeasured.status], [30, "open"]);
        assert.match(unmeasured.notes.at(-1)!, /^30 s of the 60 s objective remain for: the async archiver's delivery/);
        const local = cellOf(table([pg((s) => (s.backups.pgbackrest.repos = s.backups.pgbackrest.repos.slice(0, 1)))]), "S4", "database", "rpo");
        assert.match(local.notes[0], /^no pgBackRest repository of fortress-pg survives: a region other than us-east-1/);
    });

    it("S2 database: the daily verify alone is a day late; the checksum watch bounds detection at interval + query timeout from the first bad read, the verify kept as backstop", () => {
        const verify = r("kubernetes:batch/v1:CronJob", "fortress-pg-verify", {
            metadata: { name: "fortress-pg-verify" },
            spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec: { containers: [{ name: "verify", command: ["pgbackrest", "verify"] }] } } } } },
        });
        const watch = (env: Record<string, string>, replicas = 1, label = "integrity-watch") =>
            r("kubernetes:apps/v1:Deployment", "watch", {
                metadata: { name: "fortress-pg-integrity-watch" },
                spec: {
                    replicas,
                    template: {
                        metadata: { labels: { "fortress/purpose": label } },
                        spec: { containers: [{ name: "watch", env: Object.entries(env).map(([name, value]) => ({ name, value })) }] },
                    },
                },
            });
        const topic = { ALERT_TOPIC_ARN: "arn:aws:sns:us-west-2:123456789012:alerts" };
        const detect = (rs: DeclaredResource[]) => cellOf(table([pg(), ...rs]), "S2", "database", "detect");

        const daily = detect([verify]);
        assert.deepStrictEqual([daily.achievableSeconds, daily.status], [86_400, "exceeds"]);

        const watched = table([pg(), verify, watch({ ...topic, WATCH_INTERVAL_SECONDS: "30", QUERY_TIMEOUT_SECONDS: "10" })]);
        const d = cellOf(watched, "S2", "database", "detect");
        assert.deepStrictEqual([d.achievableSeconds, d.status, d.typical], [40, "within", true]);
        assert.match(d.mechanism, /data-checksum watch fortress-pg-integrity-watch/);
        assert.strictEqual(d.terms[0].basis, "typical");
        assert.match(d.terms[0].label, /from the first read of the corrupted page/);
        assert.ok(d.notes.some((n) => /guaranteed backstop for pages nothing reads: integrity check CronJob fortress-pg-verify, within 86400 s/.test(n)), d.notes.join("\n"));
        // RTO = detection + the drill's measured point-in-time restore.
        const rto = cellOf(watched, "S2", "database", "rto");
        assert.deepStrictEqual([rto.achievableSeconds, rto.status], [46.6, "within"]);

        // The script's defaults when the env leaves them out; a slow interval is over the objective.
        assert.strictEqual(detect([verify, watch(topic)]).achievableSeconds, 40);
        assert.deepStrictEqual([detect([verify, watch({ ...topic, WATCH_INTERVAL_SECONDS: "120" })]).achievableSeconds, detect([verify, watch({ ...topic, WATCH_INTERVAL_SECONDS: "120" })]).status], [130, "exceeds"]);
        // Not the mechanism: without the label, without a topic to alert, or scaled to zero.
        for (const w of [watch(topic, 1, "other"), watch({}), watch(topic, 0)]) assert.strictEqual(detect([verify, w]).achievableSeconds, 86_400);
        // Without the verify the watch still counts, and says nothing backs it up.
        const alone = detect([watch(topic)]);
        assert.strictEqual(alone.achievableSeconds, 40);
        assert.ok(alone.notes.some((n) => /no scheduled integrity check backs the watch up/.test(n)), alone.notes.join("\n"));
    });

    it("regional cache RPO takes the best path; the RTC bound is guaranteed, an alarm at the objective makes it only typical", () => {
        const jobs = [snapshotJob("tier1", "*/5 * * * *"), snapshotJob("tier2", "*/15 * * * *")];
        const replication = r("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "tier1-replication", {
            bucket: "t1",
            rules: [{ id: "tier1-to-tier2", status: "Enabled", filter: { prefix: "tier1/" }, destination: { replicationTime: { status: "Enabled", time: { minutes: 15 } } } }],
        });
        const c = cellOf(table([...jobs, replication]), "S4", "cache", "rpo");
        assert.deepStrictEqual([c.achievableSeconds, c.status, c.mechanism], [902, "exceeds", "Redis snapshots straight to tier 2 or 3 (out of the region) (CronJob redis-snapshot-tier2)"]);
        const s3 = cellOf(table(jobs), "S3", "cache", "rpo");
        assert.deepStrictEqual([s3.achievableSeconds, s3.status], [302, "exceeds"], "a 5-minute snapshot plus its 2 s run misses a 300 s RPO");
    });

    it("uploads: RTC's 15 minutes exceed a 5-minute RPO unless an alarm watches the lag at the objective (then: typical)", () => {
        const uploads = [
            r("aws:s3/bucket:Bucket", "uploads", { bucket: "up", tags: { "fortress:purpose": "uploads" } }, "us-east-1"),
            r("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "uploads-replication", {
                bucket: "up",
                rules: [{ id: "uploads-to-dr", status: "Enabled", filter: { prefix: "" }, destination: { replicationTime: { status: "Enabled", time: { minutes: 15 } } } }],
            }),
        ];
        const bare = cellOf(table(uploads), "S4", "uploads", "rpo");
        assert.deepStrictEqual([bare.achievableSeconds, bare.status, bare.terms[0].basis], [900, "exceeds", "guaranteed"]);
        const alarm = r("aws:cloudwatch/metricAlarm:MetricAlarm", "uploads-latency", { namespace: "AWS/S3", metricName: "ReplicationLatency", dimensions: { RuleId: "uploads-to-dr" }, threshold: 300 });
        const watched = cellOf(table([...uploads, alarm]), "S4", "uploads", "rpo");
        assert.deepStrictEqual([watched.achievableSeconds, watched.typicalSeconds, watched.status], [900, 300, "typical"]);
        assert.strictEqual(failingCells(table([...uploads, alarm])).some((f) => f.cell === watched), false, "typical is not a breach");
        assert.strictEqual(cellOf(table(uploads), "S3", "uploads", "rpo").status, "within", "S3 keeps what it acknowledged when the cluster dies");
    });

    it("lists every figure it used once, with its source", () => {
        const t = table([healthCheck(), ...records(), pg(), deployment()]);
        assert.ok(t.constants.length > 5);
        for (const c of t.constants) {
            assert.ok(c.ref.length > 0, c.label);
            if (c.basis === "guaranteed" || c.basis === "typical") assert.ok(c.says && c.ref.startsWith("https://"), `${c.label}: vendor source`);
            if (c.basis === "measured") assert.match(c.ref, /^reports\/drill-[a-z]+\.json#"/);
        }
        assert.strictEqual(new Set(t.constants.map((c) => `${c.label}|${c.ref}`)).size, t.constants.length);
    });

    it("every vendor constant cites a document and says whether it is a guarantee", () => {
        for (const c of Object.values(CONSTANTS)) {
            assert.ok(["guaranteed", "typical", "design"].includes(c.basis), c.id);
            assert.ok(c.source.title && c.source.ref && c.source.says.length > 30, c.id);
        }
        assert.strictEqual(CONSTANTS.eksControlPlaneCreatePlanning.basis, "typical", "AWS publishes no bound on EKS creation");
        assert.strictEqual(CONSTANTS.s3RtcSla.seconds, 900);
    });

    it("a DR stack owns only the takeover; in rebuild mode EKS creation alone breaks the S4 RTO", () => {
        const dr = (mode: "pilot-light" | "rebuild") =>
            computeObjectives({
                stack: "prod-dr",
                config: fixtureConfig("prod", (raw) => {
                    raw.role = "dr";
                    raw.dr = { primaryStack: "org/fortress-dr/prod", mode, ...(mode === "rebuild" ? { restoreFrom: "tier2" } : {}) };
                    raw.kubernetes = { cluster: "eks", eks: { subnetIds: ["subnet-a", "subnet-b"] } };
                    raw.hasKubeconfig = false;
                }),
                resources: [],
            });
        let pilot: ObjectivesTable;
        try {
            pilot = dr("pilot-light");
        } catch (e) {
            // The DR section of the schema evolves; the model needs only role, dr.mode and kubernetes.cluster.
            throw new Error(`fixture DR config no longer validates: ${e instanceof Error ? e.message : e}`);
        }
        assert.strictEqual(cellOf(pilot, "S1", "services", "detect").status, "not-owned");
        const db = cellOf(pilot, "S4", "database", "rto");
        assert.strictEqual(db.status, "missing");
        assert.match(db.notes[0], /pilot-light mode, but no standby PostgreSQL cluster/);
        const rebuild = cellOf(dr("rebuild"), "S4", "services", "rto");
        assert.deepStrictEqual([rebuild.achievableSeconds, rebuild.status, rebuild.typical], [900, "exceeds", true]);
    });
});

describe("objectives inputs", () => {
    it("reads drill figures by name, converting durations to seconds and keeping counts", () => {
        assert.deepStrictEqual(findFigure(REPORTS, "redisSnapshotJob"), {
            drill: "redis",
            name: "snapshot total",
            value: 2,
            unit: "s",
            ref: 'reports/drill-redis.json#"snapshot total"',
            context: "2 x Test CPU, 8 GiB, 2026-01-01",
        });
        assert.deepStrictEqual([findFigure(REPORTS, "redisProcessCrashLoss")?.value, findFigure(REPORTS, "redisProcessCrashLoss")?.unit], [0, "keys"]);
        assert.strictEqual(findFigure([{ drill: "redis", figures: [{ name: "snapshot total", value: 1500, unit: "ms" }] }], "redisSnapshotJob")?.value, 1.5);
        assert.strictEqual(findFigure(REPORTS, "redisSentinelFailover"), undefined, "never filled in");
        assert.ok(Object.values(MEASURED).every((m) => m.usedFor.length > 10));
    });

    it("loads the reports directory, naming a report it cannot use", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-reports-"));
        try {
            fs.writeFileSync(path.join(dir, "drill-redis.json"), JSON.stringify(REPORTS[0]));
            fs.writeFileSync(path.join(dir, "drill-broken.json"), "{ not json");
            fs.writeFileSync(path.join(dir, "notes.txt"), "ignored");
            const { reports, problems } = loadDrillReports(dir);
            assert.deepStrictEqual(reports.map((x) => x.drill), ["redis"]);
            assert.strictEqual(problems.length, 1);
            assert.match(problems[0], /^reports\/drill-broken.json: .*; its figures are not used$/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.match(loadDrillReports("/nonexistent-fortress").problems[0], /no reports directory; every measured term stays open/);
    });

    it("parses PostgreSQL time settings", () => {
        assert.deepStrictEqual(["30s", "5min", "1h", "300000ms", 30, "30", "abc", undefined].map(pgSeconds), [30, 300, 3600, 300, 30, 30, undefined, undefined]);
    });

    it("reads around preview-time unknowns instead of failing the whole table", () => {
        const { unknownCheckingProxy, unknownNumberValue } = require("@pulumi/policy/proxy");
        const props = unknownCheckingProxy({ type: "HTTPS", requestInterval: unknownNumberValue, failureThreshold: 3 });
        assert.deepStrictEqual(readKnown(() => props.failureThreshold), { known: true, value: 3 });
        assert.strictEqual(readKnown(() => props.requestInterval).known, false);
        const t = computeObjectives({ stack: "t", config: fixtureConfig(), resources: [r("aws:route53/healthCheck:HealthCheck", "hc", props)] });
        assert.strictEqual(cellOf(t, "S3", "services", "detect").status, "missing");
        assert.ok(t.notes.some((n) => /^unknown until deployed, so not counted: aws:route53\/healthCheck:HealthCheck hc: number value at \.requestInterval/.test(n)));
    });
});

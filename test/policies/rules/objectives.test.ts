import * as assert from "assert";
import type { DrillReportLike } from "../../../objectives";
import type { ReportsSource } from "../../../policies/lib/objectives-check";
import { makeObjectivesUnmeasuredTerms } from "../../../policies/rules/objectives-unmeasured-terms";
import { makeObjectivesWithinBudget } from "../../../policies/rules/objectives-within-budget";
import { makeObjectivesWithinBudgetAdvisory } from "../../../policies/rules/objectives-within-budget-advisory";
import { findingsPattern, tamperingPattern } from "../../../components/detection/security-detection";
import { falcoValues } from "../../../components/detection/runtime-detection";
import { DR, PRIMARY, TIER3, StackFixture, check, compliantPrimary, fixtureConfig, violations } from "../fixtures";

const REPORTS: DrillReportLike[] = [
    { drill: "redis", figures: [{ name: "snapshot total", value: 2, unit: "s" }, { name: "keys lost, restart on same volume (AOF everysec)", value: 0, unit: "keys" }] },
    {
        drill: "postgres",
        figures: [
            { name: "archive_timeout (from the database RPO)", value: 30, unit: "s" },
            { name: "(d) worst-case loss window under load", value: 30.5, unit: "s" },
            { name: "(b) point-in-time restore from repo1 until primary", value: 6.6, unit: "s" },
            { name: "verification job: restore test from repo2", value: 7, unit: "s" },
        ],
    },
];
// One source object per test run: the rules cache the table per (resources, source).
const source: ReportsSource = () => ({ reports: REPORTS, problems: [] });
const mandatory = makeObjectivesWithinBudget(source);
const advisory = makeObjectivesWithinBudgetAdvisory(source);
const unmeasured = makeObjectivesUnmeasuredTerms(source);

const CRON = "kubernetes:batch/v1:CronJob";
const MANIFEST = "aws:s3/bucketObjectv2:BucketObjectv2";
const FALCO = "kubernetes:helm.sh/v3:Release";
const GUARDDUTY_OVER =
    "S5 security breach / services / detection: 300 s via GuardDuty (us-east-1, us-west-2, us-east-2) finding -> EventBridge -> alert topic [GuardDuty: a new finding's event to EventBridge (the only figure AWS has published) = 300 s] exceeds the objective 120 s";

/**
 * compliantPrimary plus everything the objectives need: faster Patroni lease, snapshots every
 * 4 minutes to tiers 1 and 2, a verify job every minute, GuardDuty, and uploads and log
 * archive buckets replicated with RTC and watched by latency alarms at the 300 s objective.
 */
function completePrimary(environment: "prod" | "staging" | "dev" = "prod"): StackFixture {
    const { fixture: f } = compliantPrimary(environment);
    const config = fixtureConfig(environment, (raw) => {
        raw.tiers = { redis: { tier1: { snapshot: "*/4 * * * *", retentionDays: 1 }, tier2: { snapshot: "*/4 * * * *", retentionDays: 30 } } };
    });
    f.remove(MANIFEST).manifest(config, f.find("aws:s3/bucket:Bucket", "tier1"));
    f.edit(CRON, "redis-snapshot-tier1", (i) => (i.spec.schedule = "*/4 * * * *"));
    f.edit(CRON, "redis-snapshot-tier2", (i) => (i.spec.schedule = "*/4 * * * *"));
    f.edit(CRON, "pg-verify", (i) => (i.spec.schedule = "* * * * *"));
    f.edit("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", (i) => Object.assign(i.spec.patroni, { leaderLeaseDurationSeconds: 15, syncPeriodSeconds: 5 }));
    // S5: what stacks/steps/detection.ts declares per region (SecurityDetection) and the trail.
    f.add("aws:cloudtrail/trail:Trail", "trail", { isMultiRegionTrail: true }, { provider: f.provider(PRIMARY) });
    for (const region of [PRIMARY, DR, TIER3]) {
        const provider = f.provider(region);
        f.add("aws:guardduty/detector:Detector", `guardduty-${region}`, { enable: true }, { provider });
        for (const [rule, pattern] of [["findings", findingsPattern(7)], ["tampering", tamperingPattern(["b-"])]] as const) {
            f.add("aws:cloudwatch/eventRule:EventRule", `${rule}-${region}`, { name: `fortress-${rule}`, eventPattern: JSON.stringify(pattern) }, { provider });
            f.add("aws:cloudwatch/eventTarget:EventTarget", `${rule}-${region}-target`, { rule: `fortress-${rule}`, arn: `arn:aws:sns:${region}:111111111111:alerts` }, { provider });
        }
    }
    // S5 services: what stacks/steps/runtime-detection.ts declares (Falco + falcosidekick to SNS).
    f.add(FALCO, "runtime-detection", { name: "falco", chart: "falco", version: "9.1.1", values: falcoValues(`arn:aws:sns:${PRIMARY}:111111111111:alerts`, "arn:aws:iam::111111111111:role/sidekick", PRIMARY, "warning") });
    for (const purpose of ["uploads", "log-archive"]) {
        const b = f.add("aws:s3/bucket:Bucket", purpose, { bucket: `b-${purpose}`, tags: { "fortress:purpose": purpose } }, { provider: f.provider(PRIMARY) });
        const ruleId = `${purpose}-to-dr`;
        f.add(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            `${purpose}-replication`,
            { bucket: `b-${purpose}`, rules: [{ id: ruleId, status: "Enabled", filter: { prefix: "" }, destination: { bucket: `arn:aws:s3:::b-${purpose}-dr`, replicationTime: { status: "Enabled", time: { minutes: 15 } } } }] },
            { provider: f.provider(PRIMARY), deps: { bucket: [b] } },
        );
        f.add("aws:cloudwatch/metricAlarm:MetricAlarm", `${purpose}-latency`, { namespace: "AWS/S3", metricName: "ReplicationLatency", dimensions: { RuleId: ruleId }, threshold: 300 }, { provider: f.provider(DR) });
    }
    return f;
}

describe("policy objectives-within-budget (and its advisory twin)", () => {
    it("passes a prod stack whose every cell is within its objective (or only open/typical)", async () => {
        assert.deepStrictEqual(violations(await check(mandatory, completePrimary().records)), []);
    });

    it("S5 services detection: Falco's path (open terms) beats GuardDuty's 300 s; without Falco, or with its SNS output unset, GuardDuty is over", async () => {
        const o = await check(unmeasured, completePrimary().records);
        assert.ok(
            o.findings.some((x) => /^S5 security breach \/ services \/ detection: 0 s via Falco falco \(modern_ebpf driver\) .*remain for: Falco's evaluation .*; falcosidekick's delivery/.test(x.message)),
            o.findings.map((x) => x.message).join("\n"),
        );
        // The only figure AWS has published for a new GuardDuty finding's event is 5 minutes,
        // over the 2-minute objective; nothing a stack declares changes that.
        const without = completePrimary();
        without.remove(FALCO, "runtime-detection");
        assert.deepStrictEqual(violations(await check(mandatory, without.records)), [GUARDDUTY_OVER]);
        const unset = completePrimary();
        unset.edit(FALCO, "runtime-detection", (i) => (i.values.falcosidekick.config.aws.sns.topicarn = ""));
        assert.deepStrictEqual(violations(await check(mandatory, unset.records)), [GUARDDUTY_OVER]);
        const noDriver = completePrimary();
        noDriver.edit(FALCO, "runtime-detection", (i) => (i.values.driver.enabled = false));
        assert.deepStrictEqual(violations(await check(mandatory, noDriver.records)), [GUARDDUTY_OVER]);
    });

    it("fails prod for a cell over its objective, naming the cell, the mechanism and every term", async () => {
        const f = completePrimary();
        f.edit("aws:route53/healthCheck:HealthCheck", "app-primary", (i) => (i.requestInterval = 30));
        assert.deepStrictEqual(violations(await check(mandatory, f.records)), [
            "S3 complete infrastructure failure / services / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
            "S3 complete infrastructure failure / database / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
            "S3 complete infrastructure failure / cache / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
            "S3 complete infrastructure failure / configuration / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
            "S3 complete infrastructure failure / logs / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
            "S3 complete infrastructure failure / uploads / detection: 94 s via Route 53 health check app-primary (1 declared; the slowest bounds) [health check app-primary: requestInterval 30 s x failureThreshold 3 = 90 s + Route 53 health checker TCP connect window = 4 s] exceeds the objective 60 s",
        ]);
    });

    it("fails prod for a missing mechanism", async () => {
        const f = completePrimary();
        for (const region of [PRIMARY, DR, TIER3]) f.remove("aws:guardduty/detector:Detector", `guardduty-${region}`);
        assert.deepStrictEqual(violations(await check(mandatory, f.records)), [], "Falco alone carries S5 services detection");
        f.remove(FALCO, "runtime-detection");
        const v = violations(await check(mandatory, f.records));
        assert.strictEqual(v.length, 2, "detection and RTO of S5 services; the data rows keep the tampering rule");
        assert.match(v[0], /^S5 security breach \/ services \/ detection: not achievable \(objective 120 s\): no security detection \(an enabled aws:guardduty\/detector:Detector\) is declared.*; no runtime detection \(a kubernetes:helm.sh\/v3:Release of the falco chart/);
        f.remove("aws:cloudwatch/eventRule:EventRule", `tampering-${TIER3}`);
        const w = violations(await check(mandatory, f.records));
        assert.strictEqual(w.length, 12, "no tampering rule in the tier-3 region: every S5 data row loses its detection too");
        assert.ok(w.some((x) => /S5 security breach \/ database \/ detection: not achievable .*no tampering rule in their region watches buckets b-tier3 \(us-east-2\)/.test(x)), w.join("\n"));
    });

    it("is mandatory in prod and staging, advisory in dev", async () => {
        for (const env of ["prod", "staging", "dev"] as const) {
            const f = completePrimary(env);
            f.edit("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "fortress-pg", (i) => (i.spec.patroni.dynamicConfiguration.postgresql.parameters.archive_timeout = "5min"));
            const [m, a] = [await check(mandatory, f.records), await check(advisory, f.records)];
            if (env === "dev") {
                assert.deepStrictEqual([m.status, a.status], ["not-applicable", "warn"]);
                assert.ok(a.findings.every((x) => x.enforcementLevel === "advisory") && a.findings.some((x) => /S4 regional disaster \/ database \/ RPO: 300.5 s .* exceeds the objective 60 s/.test(x.message)));
            } else {
                assert.deepStrictEqual([m.status, a.status], ["fail", "not-applicable"], env);
                assert.ok(m.findings.some((x) => /S4 regional disaster \/ database \/ RPO: 300.5 s via WAL archived to repo2, repo3 .*\[archive_timeout 5min = 300 s \+ WAL delivery beyond archive_timeout .* = 0.5 s\] exceeds the objective 60 s/.test(x.message)));
            }
        }
    });

    it("fails naming the missing manifest when it cannot know the stack's objectives", async () => {
        const f = completePrimary();
        f.remove(MANIFEST);
        const [m] = violations(await check(mandatory, f.records));
        assert.match(m, /^cannot compute the objectives: no DR manifest .* and no stack config from the engine/);
        assert.strictEqual((await check(advisory, f.records)).status, "not-applicable");
    });

    it("reads a DR stack's objectives from the engine's stack config; never blocks a rebuild during an incident", async () => {
        const dr = (mode: "pilot-light" | "rebuild") =>
            fixtureConfig("prod", (raw) => {
                raw.role = "dr";
                raw.dr = { primaryStack: "org/fortress-dr/prod", mode, ...(mode === "rebuild" ? { restoreFrom: "tier2" } : {}) };
                raw.kubernetes = { cluster: "eks", eks: { subnetIds: ["subnet-a", "subnet-b"] } };
                raw.hasKubeconfig = false;
            });
        const records = new StackFixture("prod-dr").records; // nothing declared: no standby
        const pilot = await check(mandatory, records, { stackConfig: dr("pilot-light") });
        assert.ok(violations(pilot).some((v) => /^S4 regional disaster \/ database \/ RTO: not achievable .*pilot-light mode, but no standby PostgreSQL cluster/.test(v)));
        const rebuild = [await check(mandatory, records, { stackConfig: dr("rebuild") }), await check(advisory, records, { stackConfig: dr("rebuild") })];
        assert.deepStrictEqual(rebuild.map((o) => o.status), ["not-applicable", "warn"]);
        const promoted = { ...dr("pilot-light"), dr: { ...dr("pilot-light").dr!, promote: true } };
        const promote = [await check(mandatory, records, { stackConfig: promoted }), await check(advisory, records, { stackConfig: promoted })];
        assert.deepStrictEqual(promote.map((o) => o.status), ["not-applicable", "pass"], "promoted: no standby is needed, so nothing is missing");
        // The engine path: PULUMI_CONFIG, as recent CLIs pass it to a policy pack.
        const env = process.env.PULUMI_CONFIG;
        process.env.PULUMI_CONFIG = JSON.stringify({
            "fortress-dr:environment": "prod",
            "fortress-dr:role": "dr",
            "fortress-dr:regions": JSON.stringify({ primary: "us-east-1", dr: "us-west-2", tier3: "us-east-2" }),
            "fortress-dr:gcs": JSON.stringify({ project: "p", location: "US", lockRetention: true }),
            "fortress-dr:endpoints": JSON.stringify({ hostedZoneId: "Z", hosts: [{ hostname: "app.example.com", primaryTarget: "a.example.com", drTarget: "dr.example.com" }] }),
            "fortress-dr:services": JSON.stringify([{ name: "api", image: "api:1", hosts: ["app.example.com"] }]),
            "fortress-dr:jobImage": "jobs:1",
            "fortress-dr:kubernetes": JSON.stringify({ cluster: "eks", eks: { subnetIds: ["subnet-a", "subnet-b"] } }),
            "fortress-dr:dr": JSON.stringify({ primaryStack: "org/fortress-dr/prod", mode: "rebuild", restoreFrom: "tier2" }),
        });
        try {
            assert.strictEqual((await check(mandatory, new StackFixture("prod-dr-engine").records)).status, "not-applicable");
        } finally {
            if (env === undefined) delete process.env.PULUMI_CONFIG;
            else process.env.PULUMI_CONFIG = env;
        }
    });
});

describe("policy objectives-unmeasured-terms", () => {
    it("reports, as advice, each cell that holds only if an unmeasured step fits or only typically", async () => {
        const o = await check(unmeasured, completePrimary().records);
        assert.strictEqual(o.status, "warn");
        assert.ok(o.findings.every((f) => f.enforcementLevel === "advisory"));
        const messages = o.findings.map((f) => f.message);
        assert.ok(messages.some((m) => /^S4 regional disaster \/ uploads \/ RPO: 900 s via replication rule uploads-to-dr .*; the guaranteed bound 900 s exceeds the 300 s objective; typically 300 s, and a declared alarm watches that term$/.test(m)));
        assert.ok(messages.some((m) => /^S1 service failure \/ database \/ RTO: 20 s .*; 100 s of the 120 s objective remain for: promotion of the replica/.test(m)));
    });
});

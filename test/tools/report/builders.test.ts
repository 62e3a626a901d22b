/**
 * The report's builders, pure: topology from resources, heat map from an objectives table,
 * compliance matrix, drill history and sparklines, status snapshot, escaping.
 */
import * as assert from "assert";
import type { Cell, ObjectivesTable, Row } from "../../../objectives";
import type { DrillReportFile } from "../../../drills/types";
import type { PlanResult } from "../../../tools/evaluate";
import { complianceHtml, controlStatus } from "../../../tools/report/compliance";
import { layoutTopology, renderDiagram } from "../../../tools/report/diagram";
import { drillHistory, drillsHtml, recoveryKind, sparkline } from "../../../tools/report/drills";
import { VERDICT_OF, heatMapHtml, margin } from "../../../tools/report/heatmap";
import { esc, page } from "../../../tools/report/html";
import { statusHtml } from "../../../tools/report/status";
import { buildTopology, topologyLocations } from "../../../tools/report/topology";
import type { RecordedResource } from "../../../components/core/recorded-resource";

const res = (type: string, name: string, region: string | undefined, inputs: Record<string, unknown>, parentName?: string): RecordedResource =>
    ({ type, name, region, inputs, parentName, urn: `urn:${name}`, custom: true, protect: false, retainOnDelete: false }) as unknown as RecordedResource;

const config = { environment: "t", role: "primary", regions: { primary: "eu-west-1", dr: "eu-central-1", tier3: "eu-north-1" }, gcs: { location: "EU" } } as unknown as PlanResult["config"];

function miniStack(): Pick<PlanResult, "stack" | "config" | "resources"> {
    const bucket = (tier: string, region: string) => res("aws:s3/bucket:Bucket", tier, region, { bucket: `b-${tier}` }, tier);
    return {
        stack: "mini",
        config,
        resources: [
            bucket("tier1", "eu-west-1"),
            bucket("tier2", "eu-central-1"),
            res("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "tier2-object-lock", "eu-central-1", { rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } } }),
            res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "r", "eu-west-1", {
                bucket: "b-tier1",
                rules: [{ id: "t1-to-t2", destination: { bucket: "arn:aws:s3:::b-tier2", replicationTime: { status: "Enabled", time: { minutes: 15 } } } }],
            }),
            res("kubernetes:pgv2.percona.com/v2:PerconaPGCluster", "pg", "kubernetes:c1", {
                metadata: { name: "pg" },
                spec: { instances: [{ replicas: 2 }], backups: { pgbackrest: { repos: [{ name: "repo2", s3: { bucket: "b-tier2", region: "eu-central-1" }, schedules: { full: "0 1 * * *" } }] } } },
            }),
            res("aws:cloudwatch/metricAlarm:MetricAlarm", "a1", "eu-central-1", { metricName: "NewestBackupAgeSeconds", alarmActions: ["arn:aws:sns:eu-central-1:1:alerts"] }),
        ],
    };
}

describe("report: topology from what a stack declares", () => {
    it("draws each region that holds something, each tier bucket, replication with its RTC and the database's repos", () => {
        const t = buildTopology(miniStack());
        assert.deepStrictEqual(topologyLocations(t).map((g) => g.label).sort(), ["eu-central-1", "eu-west-1"]);
        assert.deepStrictEqual(t.nodes.filter((n) => n.tier).map((n) => n.tier).sort(), ["tier1", "tier2"]);
        const repl = t.edges.find((e) => e.kind === "replication")!;
        assert.strictEqual(repl.label, "t1-to-t2: RTC 15 min");
        assert.ok(t.edges.some((e) => e.kind === "backup" && e.label === "repo2" && e.to === "bucket-b-tier2"));
        const pg = t.nodes.find((n) => n.kind === "database")!;
        assert.ok(pg.detail.includes("repo2: full 0 1 * * *"), pg.detail.join(" | "));
        assert.ok(t.nodes.find((n) => n.tier === "tier2")!.detail.includes("Object Lock COMPLIANCE 30d"));
        const alarms = t.nodes.find((n) => n.kind === "alarms")!;
        assert.strictEqual(alarms.group, "region-eu-central-1");
        assert.ok(alarms.detail.includes("→ SNS alerts"));
        // the cluster sits in the primary region
        assert.strictEqual(t.groups.find((g) => g.kind === "cluster")!.parent, "region-eu-west-1");
    });

    it("a stack that declares no bucket draws no tier and no empty region", () => {
        const t = buildTopology({ ...miniStack(), resources: [] });
        assert.strictEqual(t.nodes.length, 0);
        assert.strictEqual(t.groups.length, 0);
    });

    it("lays out with elkjs: every node inside its group, and renders one SVG element per node, group and edge", async () => {
        const t = buildTopology(miniStack());
        const l = await layoutTopology(t);
        for (const n of l.nodes) {
            const g = l.groups.find((x) => x.id === n.group)!;
            assert.ok(n.x >= g.x && n.y >= g.y && n.x + n.width <= g.x + g.width + 0.5 && n.y + n.height <= g.y + g.height + 0.5, `${n.id} outside ${g.id}`);
        }
        const svg = renderDiagram(l);
        assert.strictEqual((svg.match(/<g class="node"/g) ?? []).length, t.nodes.length);
        assert.strictEqual((svg.match(/<g class="group"/g) ?? []).length, t.groups.length);
        assert.strictEqual((svg.match(/<path class="edge"/g) ?? []).length, t.edges.length);
        assert.match(svg, /data-tier="tier1"/);
    });
});

const term = { label: "probe", seconds: 10, basis: "guarantee" as const, source: "stacks/x.yaml <a>" };
const cell = (status: Cell["status"], objective: number | null, achievable: number | null, extra: Partial<Cell> = {}): Cell => ({
    id: "S1.services.rto",
    metric: "rto",
    objectiveSeconds: objective,
    seconds: achievable,
    status,
    mechanism: "m",
    terms: [term],
    soft: [],
    notes: [],
    ...extra,
});
function table(): ObjectivesTable {
    const rows: Row[] = [
        { scenario: "S1", scenarioName: "service failure", subject: "services", detect: cell("within", 30, 20), rto: cell("over", 300, 340), rpo: cell("informational", null, 0) },
        { scenario: "S1", scenarioName: "service failure", subject: "database", detect: cell("at-risk", 30, 25), rto: cell("at-risk", 300, 100, { soft: [{ label: "restore", seconds: 60, basis: "budget", source: "b" }] }), rpo: cell("missing", 60, null) },
        { scenario: "S2", scenarioName: "database corruption", subject: "database", detect: cell("not-owned", 30, null), rto: cell("within", 300, 299.5), rpo: cell("within", 60, 60) },
    ];
    return { stack: "t", environment: "t", role: "primary", rows, constants: [], acceptedRisks: [], unusedAcceptedRisks: [], notes: [], summary: {} as ObjectivesTable["summary"] };
}

describe("report: objectives heat map", () => {
    it("one expandable cell per row and metric, coloured by verdict, with the margin as a number", () => {
        const html = heatMapHtml(table());
        assert.strictEqual((html.match(/<details class="cell/g) ?? []).length, 3 * 3);
        assert.match(html, /data-verdict="over" data-scenario="S1" data-subject="services" data-metric="rto">.*?-40 s/);
        assert.match(html, /data-verdict="within" data-scenario="S1" data-subject="services" data-metric="detect">.*?\+10 s/);
        assert.match(html, /data-verdict="at-risk"/);
        assert.match(html, /data-verdict="at-risk".*?open \(unmeasured\): restore/);
        // an empty position (S2 × services) is an empty cell, not a made-up one
        assert.strictEqual((html.match(/<td class="empty">/g) ?? []).length, 1);
        // sources are escaped
        assert.match(html, /stacks\/x\.yaml &lt;a&gt;/);
        assert.match(html, /data-count="over">2 over/);
    });
    it("verdicts: at risk stays at risk, missing and over are over", () => {
        assert.strictEqual(VERDICT_OF["at-risk"], "at-risk");
        assert.strictEqual(VERDICT_OF.missing, "over");
        assert.strictEqual(VERDICT_OF.over, "over");
        assert.strictEqual(margin(cell("within", 300, 299.5)), 0.5);
        assert.strictEqual(margin(cell("missing", 60, null)), null);
    });
});

describe("report: compliance matrix", () => {
    it("a control fails if any rule fails; warns before passing", () => {
        assert.strictEqual(controlStatus([{ status: "pass" }, { status: "fail" }]), "fail");
        assert.strictEqual(controlStatus([{ status: "pass" }, { status: "warn" }]), "warn");
        assert.strictEqual(controlStatus([{ status: "pass" }, { status: "not-applicable" }]), "pass");
        assert.strictEqual(controlStatus([{ status: "disabled" }]), "not-applicable");
        const e = (rule: string, control: string, status: "pass" | "fail") => ({ rule, control, status, enforcementLevel: "mandatory", severity: "high" });
        const html = complianceHtml({ GDPR: [e("r1", "Art. 32", "pass"), e("r2", "Art. 32", "fail"), e("r3", "Art. 5", "pass")], HIPAA: [] });
        assert.strictEqual((html.match(/<tr data-framework="GDPR">/g) ?? []).length, 2);
        assert.match(html, /Art\. 32<\/td><td><span class="chip s-fail">fail/);
    });
});

describe("report: drill history", () => {
    const file: DrillReportFile = {
        drill: "d",
        startedAt: "2026-12-02T10:00:00Z",
        mode: "quick",
        machine: { cpus: 2, cpuModel: "x", memoryGiB: 1, node: "20", versions: {} },
        figures: [
            { id: "d.restore.seconds", name: "restore time", value: 9, unit: "s" },
            { id: "d.a.loss_window_seconds", name: "(a) loss window (crash - first lost commit)", value: 12.5, unit: "s" },
            { id: "d.prefill.seconds", name: "prefill time", value: 10, unit: "s" },
            { id: "d.keys.lost", name: "keys lost", value: 3, unit: "keys" },
        ],
        checks: [{ name: "c", passed: true, detail: "" }],
        history: [
            { startedAt: "2026-11-30T10:00:00Z", machine: { cpus: 2, cpuModel: "x", memoryGiB: 1, node: "20", versions: {} }, figures: [{ id: "d.restore.seconds", name: "restore (older name)", value: 11, unit: "s" }], passed: 1, failed: 0 },
        ],
    };
    it("recovery figures in seconds only, by id and name: loss windows are RPO, restores RTO", () => {
        assert.strictEqual(recoveryKind({ id: "d.restore.seconds", name: "x", unit: "s" }), "rto");
        assert.strictEqual(recoveryKind({ id: "d.a.loss_window_seconds", name: "(a) loss window", unit: "s" }), "rpo");
        assert.strictEqual(recoveryKind({ id: "d.prefill.seconds", name: "prefill time", unit: "s" }), undefined);
        assert.strictEqual(recoveryKind({ id: "d.keys.lost", name: "keys lost", unit: "keys" }), undefined);
    });
    it("series oldest first, joined by id across renamed figures; one point per run in the chart", () => {
        const h = drillHistory(file);
        assert.strictEqual(h.runs, 2);
        const restore = h.series.find((s) => s.key === "d.restore.seconds")!;
        assert.deepStrictEqual(restore.points.map((p) => p.value), [11, 9]);
        assert.strictEqual(h.series.length, 2);
        assert.match(sparkline(restore), /data-points="2"/);
        assert.strictEqual((sparkline(restore).match(/<circle/g) ?? []).length, 2);
        const html = drillsHtml([file], ["reports/drill-bad.json: not JSON"]);
        assert.strictEqual((html.match(/class="drill-chart"/g) ?? []).length, 2);
        assert.match(html, /drill-bad\.json: not JSON/);
    });
});

describe("report: status snapshot and page", () => {
    it("records as tables, scalars as rows, everything escaped", () => {
        const html = statusHtml({ stack: "prod", healthy: false, components: [{ name: "pg", state: "<ok>" }] }, "status.json");
        assert.match(html, /<th>stack<\/th><td>prod<\/td>/);
        assert.match(html, /<td>&lt;ok&gt;<\/td>/);
    });
    it("the page is self-contained: a CSP that allows no network source, no external reference", () => {
        const html = page("t", "s", [{ id: "a", title: "A", html: "<p>x</p>" }]);
        assert.match(html, /default-src 'none'/);
        assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
        assert.strictEqual(esc(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    });
});

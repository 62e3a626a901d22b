/**
 * The report in a real browser: headless Chromium (Debian's `chromium`) driven by
 * playwright-core. The page must load from a file with no console error and no request
 * leaving the file, and show the diagram and the heat map with as many regions, tier buckets
 * and cells as the evaluated stack declares (counted here from the stack's resources and the
 * objectives table, not from the report's own code). A screenshot is written to
 * reports/tmp/report.png as the test's artefact.
 *
 * Without Chromium the test is skipped with the reason printed, except under CI=true (the
 * `.ci/run` job installs it), where a missing browser is a failure.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { chromium, Browser } from "playwright-core";
import { evaluateStack, PlanResult } from "../../../tools/evaluate";
import { planFindings, PlanFindings } from "../../../tools/plan-findings";
import { buildReport, pairStackOf, writeReport } from "../../../tools/report";
import { readDrillReports } from "../../../tools/report/drills";

// The page's globals, for the functions page.evaluate serializes into the browser (no DOM lib in tsconfig).
declare const document: any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT_DIR = path.resolve(__dirname, "..", "..", "..", "reports", "tmp");
const STACK = "prod";

describe("report: the HTML page in headless Chromium", function () {
    this.timeout(240_000);
    let browser: Browser | undefined;
    let result: PlanResult;
    let pair: PlanResult | undefined;
    let findings: PlanFindings;
    let file: string;

    before(async function () {
        if (!fs.existsSync(CHROMIUM)) {
            const reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
            if (process.env.CI === "true") throw new Error(`${reason}: CI=true requires the browser test to run`);
            console.log(`      SKIPPED: ${reason}`);
            this.skip();
        }
        result = await evaluateStack(STACK);
        const pairName = pairStackOf(STACK, result.config);
        pair = pairName ? await evaluateStack(pairName) : undefined;
        findings = await planFindings(result);
        const html = await buildReport({
            result,
            pair,
            findings,
            drills: readDrillReports(path.resolve(__dirname, "..", "..", "..", "reports")),
            status: { source: "status.json", snapshot: { stack: STACK, mode: "primary", checks: [{ name: "tier2 backup age", value: 312, unit: "s", ok: true }] } },
            generatedAt: new Date().toISOString(),
        });
        file = writeReport(path.join(OUT_DIR, `report-${STACK}.html`), html);
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    });
    after(async () => {
        await browser?.close();
    });

    it(`loads ${STACK}'s report with no console error and no network request; the counts match the stack; screenshot written`, async () => {
        const page = await browser!.newPage({ viewport: { width: 1920, height: 1080 } });
        const errors: string[] = [];
        const foreign: string[] = [];
        page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("request", (r) => !r.url().startsWith("file://") && foreign.push(r.url()));
        await page.goto(`file://${file}`, { waitUntil: "load" });

        // Expected counts, from the evaluated stacks themselves.
        const stacks = [result, ...(pair ? [pair] : [])];
        const tierBuckets = result.resources.filter((r) => r.type === "aws:s3/bucket:Bucket" && /^tier[123]$/.test(r.parentName ?? ""));
        const gcsBuckets = result.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket");
        const regions = new Set<string>([
            result.config.regions.primary, // the cluster
            ...tierBuckets.map((r) => r.region!),
            ...stacks.flatMap((s) => s.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => r.region!)),
            ...gcsBuckets.map((r) => `GCS ${r.inputs.location}`),
        ]);
        assert.ok(findings.objectives, "the stack has an objectives table");
        const cells = findings.objectives!.rows.length * 3;

        const seen = await page.evaluate(() => ({
            diagram: document.querySelectorAll("svg.topology").length,
            regions: [...document.querySelectorAll('svg.topology g.group[data-kind="region"], svg.topology g.group[data-kind="gcs"]')].map((g: any) => g.querySelector("text")!.textContent),
            tiers: document.querySelectorAll("svg.topology g.node[data-tier]").length,
            replication: document.querySelectorAll('svg.topology path.edge[data-kind="replication"]').length,
            cells: document.querySelectorAll("table.heatmap details.cell").length,
            diagramWidth: document.querySelector("svg.topology")!.getBoundingClientRect().width,
            status: document.querySelectorAll("#status table").length,
        }));
        assert.deepStrictEqual(errors, [], "console errors");
        assert.deepStrictEqual(foreign, [], "requests that left the file");
        assert.strictEqual(seen.diagram, 1);
        assert.deepStrictEqual([...seen.regions].sort(), [...regions].sort());
        assert.strictEqual(seen.tiers, tierBuckets.length + gcsBuckets.length);
        assert.ok(seen.replication >= 1, "at least one replication arrow");
        assert.strictEqual(seen.cells, cells);
        assert.ok(seen.diagramWidth <= 1920, `the diagram fits the window (${seen.diagramWidth} px)`);
        assert.ok(seen.status >= 1, "the status snapshot is shown");

        // A cell expands to its terms.
        const first = page.locator("table.heatmap details.cell").first();
        await first.locator("summary").click();
        assert.strictEqual(await first.evaluate((d: any) => d.open), true);
        await first.locator("summary").click();

        fs.mkdirSync(OUT_DIR, { recursive: true });
        const shot = path.join(OUT_DIR, "report.png");
        await page.screenshot({ path: shot, fullPage: true });
        assert.ok(fs.statSync(shot).size > 10_000, "screenshot written");
        console.log(`      screenshot: ${path.relative(process.cwd(), shot)} (${seen.regions.length} locations, ${seen.tiers} tier buckets, ${seen.cells} cells)`);
        await page.close();
    });
});

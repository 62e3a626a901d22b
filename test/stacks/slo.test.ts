/**
 * The backup SLOs as the stacks declare them: every backup, verify and backup-age CronJob
 * (read from the rendered resources of prod and of every DR mode) runs its command through
 * jobs/lib/slo-run.sh with the dimensions it needs; the roles that publish backup ages may
 * publish the runs too; prod lists the dashboard, the SLO alarms and the audit jobs, with the
 * schedules from config; bad `slo` values are one error each, naming the key.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { BACKUP_SLO_NAMESPACE, SLO_RUNNER_SCRIPT } from "../../components/detection/slo";
import { JOBS_DIR } from "../../components/platform/backup-job";
import { LABEL_KEYS, PG_CLUSTER_NAME } from "../../components/core/names";
import { STANDBY_LAG_METRIC } from "../../components/detection/metrics";
import { STANDBY_LAG_SCRIPT } from "../../components/postgres/standby-lag";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { evaluateModes } from "../../tools/plan-dr";
import { configProblems, evaluateWith } from "../helpers/stacks";

const cronJobs = (r: PlanResult) => r.resources.filter((x) => x.type === "kubernetes:batch/v1:CronJob");

describe("backup SLOs in the stacks", function () {
    this.timeout(600_000);
    let prod: PlanResult;
    let drModes: PlanResult[];

    before(async () => {
        prod = await evaluateStack("prod");
        const dr = await evaluateStack("prod-dr");
        drModes = Object.values(await evaluateModes("prod-dr", dr, evaluateStack));
    });

    it("every backup, verify and backup-age CronJob's container runs through slo-run.sh and publishes with DataClass, Tier and Purpose", () => {
        const runner = `${JOBS_DIR}/${SLO_RUNNER_SCRIPT}`;
        assert.ok(fs.existsSync(path.resolve(__dirname, "..", "..", "jobs", SLO_RUNNER_SCRIPT)), "the runner is in jobs/lib, which the image copies");
        let checked = 0;
        for (const stack of [prod, ...drModes]) {
            for (const cj of cronJobs(stack)) {
                const name = `${stack.stack} ${cj.inputs.metadata?.name}`;
                const labels = { ...cj.inputs.metadata?.labels, ...cj.inputs.spec?.jobTemplate?.spec?.template?.metadata?.labels };
                const purpose = labels[LABEL_KEYS.purpose];
                if (/backup-audit|backup-slo-rollup/.test(String(cj.inputs.metadata?.name))) continue; // the measuring jobs themselves
                if (purpose === "recovery-test") continue; // the scheduled drills publish their recovery run through the CLI (cli/slo-metrics.ts), tested in test/components/recovery
                assert.ok(purpose === undefined || ["backup", "verify", "backup-age"].includes(purpose), `${name}: purpose ${purpose}`);
                const containers: any[] = cj.inputs.spec.jobTemplate.spec.template.spec.containers;
                const wrapped = containers.filter((c) => c.command?.[0] === runner);
                assert.strictEqual(wrapped.length, 1, `${name}: no container runs ${runner} (commands: ${containers.map((c) => JSON.stringify(c.command)).join(", ")})`);
                const env = Object.fromEntries((wrapped[0].env as any[]).map((e) => [e.name, e.value]));
                assert.match(env.SLO_DATA_CLASS, /^(database|redis|configuration|secrets)$/, name);
                assert.match(env.SLO_TIER, /^tier[123](\+tier[123])*$/, name);
                assert.match(env.SLO_PURPOSE, /^(backup|verify|backup-age)$/, name);
                if (purpose) assert.strictEqual(env.SLO_PURPOSE, purpose, `${name}: the metric's Purpose is the job's label`);
                assert.match(env.SLO_WINDOW_SECONDS, /^[1-9]\d*$/, name);
                assert.ok(wrapped[0].command.length >= 2, `${name}: the runner is given the job's command`);
                assert.strictEqual(env.CLOUDWATCH_REGION ?? env.AWS_REGION, stack.config.regions.dr, `${name}: metrics go to the monitoring region`);
                checked++;
            }
        }
        assert.ok(checked >= 11, `only ${checked} CronJobs checked`);
    });

    it("every role allowed to publish backup ages may publish the SLO runs too", () => {
        for (const stack of [prod, ...drModes]) {
            for (const p of stack.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
                const text = String(p.inputs.policy);
                if (!text.includes('"Fortress/Backups"')) continue;
                assert.ok(text.includes(`"${BACKUP_SLO_NAMESPACE}"`), `${stack.stack} ${p.name}: publishes Fortress/Backups but not ${BACKUP_SLO_NAMESPACE}`);
            }
        }
    });

    it("prod declares the DR dashboard in the DR region, the four SLO alarms there, and the audit and rollup jobs on the config's schedules", () => {
        const dash = prod.resources.filter((r) => r.type === "aws:cloudwatch/dashboard:Dashboard");
        assert.strictEqual(dash.length, 1);
        assert.strictEqual(dash[0].region, prod.config.regions.dr);
        const body = JSON.parse(dash[0].inputs.dashboardBody);
        assert.ok(body.widgets.length > 10);
        const slo = prod.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.parentName === "slo-alarms");
        assert.strictEqual(slo.length, 4);
        for (const a of slo) assert.strictEqual(a.region, prod.config.regions.dr);
        const byName = (n: string) => cronJobs(prod).find((c) => c.inputs.metadata.name === n)!;
        assert.strictEqual(byName("fortress-backup-audit").inputs.spec.schedule, prod.config.slo.auditSchedule);
        assert.strictEqual(byName("fortress-backup-slo-rollup").inputs.spec.schedule, prod.config.slo.rollupSchedule);
        const env = Object.fromEntries(byName("fortress-backup-audit").inputs.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.AUDIT_DAYS, "7");
        assert.match(env.LOG_ARCHIVE_BUCKET, /log-archive/);
        assert.match(env.AUDIT_RECORDS_PREFIX, /^fortress-audit\/prod$/);
    });

    it("the DR standby's lag publisher (every DR mode with a standby) publishes exactly the metric the dashboard's standby graph and the DR alarm read", () => {
        const dash = JSON.parse(prod.resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")!.inputs.dashboardBody);
        const widget = dash.widgets.find((w: any) => w.properties.title === "DR standby replay lag (s)");
        assert.ok(widget, "no standby graph on the dashboard");
        const lines = (widget.properties.metrics as unknown[][]).map((m) => m.slice(0, -1));
        assert.strictEqual(lines.length, 1);
        const [ns, metric, ...dims] = lines[0] as string[];
        let withStandby = 0;
        for (const mode of drModes) {
            const pub = mode.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.name === `${PG_CLUSTER_NAME}-standby-lag`);
            const alarm = mode.resources.find((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.metricName === STANDBY_LAG_METRIC.metricName);
            assert.strictEqual(!!pub, !!alarm, `${mode.stack} ${mode.outputs.mode}: a standby-lag alarm without its publisher, or the reverse`);
            if (!pub) continue;
            withStandby++;
            const c = pub.inputs.spec.template.spec.containers[0];
            assert.deepStrictEqual(c.command, ["bash", `${JOBS_DIR}/${STANDBY_LAG_SCRIPT}`]);
            assert.ok(fs.existsSync(path.resolve(__dirname, "..", "..", "jobs", STANDBY_LAG_SCRIPT)), "the script is in jobs/, which the image copies");
            const env = Object.fromEntries((c.env as any[]).map((e) => [e.name, e.value]));
            // What the script publishes: METRIC_NAMESPACE / LAG_SECONDS_METRIC {Cluster=CLUSTER_NAME} in CLOUDWATCH_REGION.
            assert.deepStrictEqual([env.METRIC_NAMESPACE, env.LAG_SECONDS_METRIC, "Cluster", env.CLUSTER_NAME], [ns, metric, ...dims], "the dashboard's standby graph");
            assert.strictEqual(env.CLOUDWATCH_REGION, widget.properties.region);
            assert.deepStrictEqual([alarm!.inputs.namespace, alarm!.inputs.metricName, alarm!.inputs.dimensions], [env.METRIC_NAMESPACE, env.LAG_SECONDS_METRIC, { Cluster: env.CLUSTER_NAME }], "the DR alarm");
            assert.strictEqual(alarm!.region, env.CLOUDWATCH_REGION);
            const labels = pub.inputs.spec.template.metadata.labels;
            assert.deepStrictEqual([labels[LABEL_KEYS.dataClass], labels[LABEL_KEYS.tier], labels[LABEL_KEYS.purpose]], ["database", "tier2", "lag-publisher"]);
            assert.strictEqual(pub.inputs.spec.replicas, 2);
            // IRSA: its own role, trusted by its service account only, allowed only the lag's namespace.
            const sa = mode.resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount" && r.inputs.metadata?.name === pub.inputs.spec.template.spec.serviceAccountName)!;
            assert.ok(sa.inputs.metadata.annotations["eks.amazonaws.com/role-arn"], "the service account names its role");
            const policy = mode.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "standby-lag-policy")!;
            assert.deepStrictEqual(JSON.parse(policy.inputs.policy).Statement[0].Condition, { StringEquals: { "cloudwatch:namespace": STANDBY_LAG_METRIC.namespace } });
        }
        assert.ok(withStandby >= 1, "no DR mode with a standby was checked");
    });

    it("the schedules and targets come from config; bad values are one error each naming the key", async () => {
        const r = await evaluateWith("dev", [{ key: "slo", value: { auditSchedule: "30 5 * * 0", backupCompletionPercent: 99.5 } }]);
        assert.strictEqual(cronJobs(r).find((c) => c.inputs.metadata.name === "fortress-backup-audit")!.inputs.spec.schedule, "30 5 * * 0");
        const completion = r.resources.find((x) => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && /slo-backup-completion$/.test(x.name))!;
        assert.strictEqual(completion.inputs.threshold, 99.5);
        const problems = await configProblems("dev", [{ key: "slo", value: { auditSchedule: "0 6 1 * *", backupCompletionPercent: 120 } }]);
        assert.ok(problems.some((p) => /slo\.auditDays.*between two audits/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /slo\.backupCompletionPercent.*at most 100/.test(p)), problems.join("\n"));
    });
});

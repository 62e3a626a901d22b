import * as assert from "assert";
import { PgIntegrityWatch, PgIntegrityWatchArgs } from "../../../components/postgres";
import { INTEGRITY_WATCH_LABEL, integrityWatches } from "../../../objectives";
import { errorOf, one, policyOf, recordResources } from "../../helpers/pulumi";

const TOPIC = "arn:aws:sns:us-west-2:123456789012:fortress-prod-alerts";
const args: PgIntegrityWatchArgs = {
    clusterName: "fortress-pg",
    namespace: "fortress",
    jobImage: "registry.example/fortress-backup-job:1.0.0",
    alertTopicArn: TOPIC,
    metricsRegion: "us-west-2",
    accountId: "123456789012",
    oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
};

describe("PgIntegrityWatch", () => {
    it("runs the watch script as the operator's pguser, alerting the topic, with probes on its heartbeat", async () => {
        const rs = await recordResources(() => void new PgIntegrityWatch("pg-integrity-watch", args));
        const d = one(rs, "kubernetes:apps/v1:Deployment");
        assert.strictEqual(d.inputs.spec.replicas, 1);
        assert.strictEqual(d.inputs.spec.strategy.type, "Recreate");
        assert.strictEqual(d.inputs.metadata.namespace, "fortress");
        const pod = d.inputs.spec.template.spec;
        assert.strictEqual(pod.serviceAccountName, "fortress-pg-integrity-watch");
        const [c] = pod.containers;
        assert.strictEqual(c.image, args.jobImage);
        assert.deepStrictEqual(c.command, ["bash", "/opt/fortress/jobs/pg-integrity-watch.sh"]);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]));
        for (const [name, key] of [["PGHOST", "host"], ["PGPORT", "port"], ["PGUSER", "user"], ["PGPASSWORD", "password"], ["PGDATABASE", "dbname"]]) {
            assert.deepStrictEqual(env[name], { name: "fortress-pg-pguser-fortress-pg", key }, name);
        }
        assert.strictEqual(env.ALERT_TOPIC_ARN, TOPIC);
        assert.strictEqual(env.WATCH_INTERVAL_SECONDS, "30");
        assert.strictEqual(env.CLOUDWATCH_REGION, "us-west-2");
        assert.ok(c.readinessProbe && c.livenessProbe && c.startupProbe, "probes on the heartbeat");
        assert.match(c.livenessProbe.exec.command[2], /stat -c %Y \/tmp\/heartbeat\) \)\) -lt 180/);
        assert.strictEqual(one(rs, "kubernetes:policy/v1:PodDisruptionBudget").inputs.spec.minAvailable, 1);
        // The objectives model recognises it as the S2 mechanism, with the same settings.
        const [w] = integrityWatches([d]).found;
        assert.deepStrictEqual(w, { name: "fortress-pg-integrity-watch", replicas: 1, intervalSeconds: 30, queryTimeoutSeconds: 10, alertsTopic: true });
        assert.strictEqual(d.inputs.spec.template.metadata.labels[INTEGRITY_WATCH_LABEL.key], INTEGRITY_WATCH_LABEL.value);
    });

    it("lets the role publish to the alert topic and put metrics only in Fortress/Database, assumed only by its service account", async () => {
        const rs = await recordResources(() => void new PgIntegrityWatch("pg-integrity-watch", args));
        const policy = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy"));
        assert.deepStrictEqual(
            policy.Statement.map((s) => [s.Action, s.Resource, s.Condition]),
            [
                ["sns:Publish", TOPIC, undefined],
                ["cloudwatch:PutMetricData", "*", { StringEquals: { "cloudwatch:namespace": "Fortress/Database" } }],
            ],
        );
        const trust = policyOf(one(rs, "aws:iam/role:Role"), "assumeRolePolicy");
        assert.deepStrictEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], ["system:serviceaccount:fortress:fortress-pg-integrity-watch"]);
        const sa = one(rs, "kubernetes:core/v1:ServiceAccount");
        assert.strictEqual(sa.inputs.metadata.name, "fortress-pg-integrity-watch");
    });

    it("rejects an interval or query timeout that is not a whole number of seconds, naming the field", async () => {
        const e1 = await errorOf(() => recordResources(() => void new PgIntegrityWatch("w", { ...args, intervalSeconds: 0 })));
        assert.match(e1.message, /PgIntegrityWatch w: intervalSeconds 0: use a whole number of seconds >= 1/);
        const e2 = await errorOf(() => recordResources(() => void new PgIntegrityWatch("w", { ...args, queryTimeoutSeconds: 2.5 })));
        assert.match(e2.message, /PgIntegrityWatch w: queryTimeoutSeconds 2.5/);
    });
});

import * as assert from "assert";
import { FALCOSIDEKICK_SERVICE_ACCOUNT, FALCO_CHART_VERSION, RuntimeDetection, validateRuntimeDetectionArgs } from "../../../components/detection";
import { one, ofType, policyOf, recordResources } from "../../helpers/pulumi";

const TOPIC = "arn:aws:sns:us-east-1:111111111111:pat-fortress-prod-alerts";
const ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC";
const args = { alertTopicArn: TOPIC, alertTopicRegion: "us-east-1", oidcIssuer: ISSUER, accountId: "111111111111" };
const RELEASE = "kubernetes:helm.sh/v3:Release";
const ROLE = "aws:iam/role:Role";

describe("RuntimeDetection", () => {
    it("installs the pinned falco chart with the modern eBPF driver and falcosidekick's SNS output on the topic at warning", async () => {
        const rs = await recordResources(() => void new RuntimeDetection("runtime-detection", args));
        const r = one(rs, RELEASE);
        assert.deepStrictEqual([r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts.repo, r.inputs.namespace], ["falco", FALCO_CHART_VERSION, "https://falcosecurity.github.io/charts", "falco"]);
        assert.match(r.inputs.version, /^\d+\.\d+\.\d+$/);
        const v = r.inputs.values;
        assert.deepStrictEqual(v.driver, { enabled: true, kind: "modern_ebpf" });
        assert.strictEqual(v.falcosidekick.enabled, true);
        const aws = v.falcosidekick.config.aws;
        assert.deepStrictEqual([aws.sns.topicarn, aws.sns.minimumpriority, aws.region, aws.useirsa], [TOPIC, "warning", "us-east-1", true]);
        // The subchart writes rolearn into the ServiceAccount's eks.amazonaws.com/role-arn annotation.
        assert.match(String(aws.rolearn), /^arn:aws:iam::\d{12}:role\/runtime-detection-sidekick-role/);
        const errors = await recordResources(() => void new RuntimeDetection("rd", { ...args, minimumPriority: "error" }));
        assert.strictEqual(one(errors, RELEASE).inputs.values.falcosidekick.config.aws.sns.minimumpriority, "error");
    });

    it("IRSA role: trusted only by the falcosidekick service account through the cluster's OIDC issuer; may only sns:Publish on the topic", async () => {
        const rs = await recordResources(() => void new RuntimeDetection("runtime-detection", args));
        const trust = policyOf(one(rs, ROLE), "assumeRolePolicy").Statement;
        assert.strictEqual(trust.length, 1);
        assert.deepStrictEqual([trust[0].Action, trust[0].Principal.Federated], ["sts:AssumeRoleWithWebIdentity", `arn:aws:iam::111111111111:oidc-provider/${ISSUER}`]);
        assert.deepStrictEqual(trust[0].Condition.StringEquals, { [`${ISSUER}:aud`]: "sts.amazonaws.com", [`${ISSUER}:sub`]: [`system:serviceaccount:falco:${FALCOSIDEKICK_SERVICE_ACCOUNT}`] });
        const policies = ofType(rs, "aws:iam/rolePolicy:RolePolicy");
        assert.strictEqual(policies.length, 1);
        assert.deepStrictEqual(policyOf(policies[0]).Statement.map((s: any) => [s.Effect, s.Action, s.Resource]), [["Allow", "sns:Publish", TOPIC]]);
        assert.strictEqual(ofType(rs, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0, "no managed policy widens it");
    });

    it("two instances do not collide", async () => {
        const rs = await recordResources(() => {
            new RuntimeDetection("runtime-a", args);
            new RuntimeDetection("runtime-b", { ...args, namespace: "falco-b" });
        });
        const names = rs.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type}::${r.name}`);
        assert.strictEqual(new Set(names).size, names.length, "no two resources share type and name");
        assert.strictEqual(ofType(rs, RELEASE).length, 2);
        assert.ok(JSON.stringify(policyOf(one(rs, ROLE, "runtime-b-sidekick-role"), "assumeRolePolicy")).includes("system:serviceaccount:falco-b:"));
    });

    it("rejects bad args, naming each field", () => {
        assert.throws(
            () => validateRuntimeDetectionArgs("r", { ...args, chartVersion: "9.x", minimumPriority: "loud" as never, alertTopicRegion: "east", namespace: "Falco" }),
            (e: Error) => /chartVersion: "9.x"/.test(e.message) && /minimumPriority: "loud"/.test(e.message) && /alertTopicRegion: "east"/.test(e.message) && /namespace: "Falco"/.test(e.message),
        );
    });
});

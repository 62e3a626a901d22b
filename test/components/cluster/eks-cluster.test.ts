import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { runUnderMocks } from "../../../tools/mock-runtime";
import { ClusterNetwork, EksCluster, subnetCidrs, validateEksArgs, EBS_CSI_ADDON, SNAPSHOT_CONTROLLER_ADDON, EBS_CSI_SERVICE_ACCOUNT } from "../../../components/cluster";
import type { RecordedResource } from "../../../components/core/recorded-resource";

const base = { clusterName: "pf-prod-dr", version: "1.31", subnetIds: ["subnet-0a", "subnet-0b"], instanceType: "m6i.xlarge", minSize: 2, desiredSize: 3, maxSize: 6, region: "us-west-2" };
const of = (rs: RecordedResource[], type: string) => rs.filter((r) => r.type === type);

describe("EksCluster", () => {
    let resources: RecordedResource[];
    before(async () => {
        ({ resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            const provider = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
            new EksCluster("dr-eks", base, { provider });
        }));
    });

    it("creates the cluster with API authentication and a node group of the configured sizes", () => {
        const [cluster] = of(resources, "aws:eks/cluster:Cluster");
        assert.strictEqual(cluster.inputs.version, "1.31");
        assert.strictEqual(cluster.inputs.accessConfig.authenticationMode, "API");
        assert.strictEqual(cluster.region, "us-west-2");
        const [nodes] = of(resources, "aws:eks/nodeGroup:NodeGroup");
        assert.deepStrictEqual(nodes.inputs.scalingConfig, { minSize: 2, desiredSize: 3, maxSize: 6 });
        assert.deepStrictEqual(nodes.inputs.instanceTypes, ["m6i.xlarge"]);
    });

    it("installs the EBS CSI driver (with an IRSA role for its controller) and the snapshot controller", () => {
        const addons = of(resources, "aws:eks/addon:Addon");
        assert.deepStrictEqual(addons.map((a) => a.inputs.addonName).sort(), [EBS_CSI_ADDON, SNAPSHOT_CONTROLLER_ADDON].sort());
        const ebs = addons.find((a) => a.inputs.addonName === EBS_CSI_ADDON)!;
        const role = of(resources, "aws:iam/role:Role").find((r) => r.name === "dr-eks-ebs-csi-role")!;
        assert.match(ebs.inputs.serviceAccountRoleArn, /^arn:aws:iam::123456789012:role\/dr-eks-ebs-csi-role/);
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        const cond = trust.Statement[0].Condition.StringEquals;
        assert.ok(Object.entries(cond).some(([k, v]) => k.endsWith(":sub") && JSON.stringify(v) === JSON.stringify([EBS_CSI_SERVICE_ACCOUNT])), JSON.stringify(cond));
        assert.ok(addons.every((a) => (a.dependsOn ?? []).length > 0), "add-ons wait for the nodes");
    });

    it("rejects a desired size outside min..max and a malformed version, naming the fields", () => {
        assert.throws(() => validateEksArgs("x", { ...base, desiredSize: 9, version: "v1.31" }), (e: Error) => /desiredSize: 9 must lie between minSize \(2\) and maxSize \(6\)/.test(e.message) && /version: "v1.31"/.test(e.message));
    });
});

describe("ClusterNetwork", () => {
    it("carves a /16 into three public /20 and three private /19 subnets that do not overlap", () => {
        const all = [0, 1, 2].flatMap((i) => Object.values(subnetCidrs("10.60.0.0/16", i)));
        assert.deepStrictEqual(all, ["10.60.0.0/20", "10.60.64.0/19", "10.60.16.0/20", "10.60.96.0/19", "10.60.32.0/20", "10.60.128.0/19"]);
        assert.throws(() => subnetCidrs("10.60.0.0/20", 0), /must be a \/16/);
    });

    it("puts one NAT gateway in each zone and tags subnets for the cluster's load balancers", async () => {
        const { resources } = await runUnderMocks({ stack: "test", config: {} }, () => {
            new ClusterNetwork("net", { cidr: "10.60.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"], clusterName: "c" });
        });
        assert.strictEqual(of(resources, "aws:ec2/natGateway:NatGateway").length, 3);
        const subnets = of(resources, "aws:ec2/subnet:Subnet");
        assert.deepStrictEqual(new Set(subnets.map((s) => s.inputs.availabilityZone)), new Set(["us-west-2a", "us-west-2b", "us-west-2c"]));
        assert.ok(subnets.every((s) => s.inputs.tags["kubernetes.io/cluster/c"] === "shared"));
    });
});

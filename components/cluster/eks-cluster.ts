import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../core/irsa-role";

/** EKS add-on names (Amazon EKS user guide, "AWS add-ons"). */
export const EBS_CSI_ADDON = "aws-ebs-csi-driver";
export const SNAPSHOT_CONTROLLER_ADDON = "snapshot-controller";
/** The EBS CSI controller's service account, which the add-on's IRSA role trusts. */
export const EBS_CSI_NAMESPACE = "kube-system";
export const EBS_CSI_SERVICE_ACCOUNT_NAME = "ebs-csi-controller-sa";
/** The token subject of that service account, as the trust policy names it. */
export const EBS_CSI_SERVICE_ACCOUNT = `system:serviceaccount:${EBS_CSI_NAMESPACE}:${EBS_CSI_SERVICE_ACCOUNT_NAME}`;

export interface EksClusterArgs {
    /** EKS cluster name, unique in the region. */
    readonly clusterName: string;
    /** Kubernetes minor version, e.g. "1.31". */
    readonly version: string;
    /** Private subnets of the cluster and its nodes, in at least two zones. */
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly instanceType: string;
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
    /** The region, for the kubeconfig's `aws eks get-token` call. */
    readonly region: string;
    /** Keep the cluster from being deleted by accident (EKS deletion protection). @default false */
    readonly deletionProtection?: boolean;
}

export function validateEksArgs(name: string, a: EksClusterArgs): void {
    const problems: string[] = [];
    if (!/^1\.\d+$/.test(a.version)) problems.push(`version: "${a.version}" must look like "1.31"`);
    if (!(a.minSize <= a.desiredSize && a.desiredSize <= a.maxSize)) problems.push(`desiredSize: ${a.desiredSize} must lie between minSize (${a.minSize}) and maxSize (${a.maxSize})`);
    if (a.maxSize < 1) problems.push(`maxSize: ${a.maxSize} must be at least 1`);
    if (!/^[a-zA-Z][-a-zA-Z0-9]{0,99}$/.test(a.clusterName)) problems.push(`clusterName: "${a.clusterName}" must start with a letter and hold only letters, digits and '-' (at most 100)`);
    if (problems.length > 0) throw new Error(`EksCluster ${name}:\n  - ${problems.join("\n  - ")}`);
}

/** A kubeconfig that authenticates with `aws eks get-token` (no long-lived credential in it). */
export function kubeconfigFor(clusterName: string, endpoint: string, caData: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region] } },
            },
        ],
    });
}

const assumeRole = (service: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const managed = (policy: string) => `arn:aws:iam::aws:policy/${policy}`;

/**
 * An EKS cluster for the DR region: API authentication mode, a managed node group in the
 * private subnets, the cluster's OIDC provider (IRSA), and the EBS CSI driver and CSI
 * snapshot controller add-ons so the standby database and Redis get gp3 volumes and
 * snapshots.
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** Issuer without https://, as IRSA trust policies and config.kubernetes.oidcProvider use it. */
    public readonly oidcIssuer: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:cluster:EksCluster", name, {}, opts);
        validateEksArgs(name, args);
        const cluster = this.declareControlPlane(name, args);
        const nodes = this.declareNodeGroup(name, args, cluster);
        const { oidc, issuer } = this.declareOidcProvider(name, cluster);
        this.declareStorageAddons(name, cluster, nodes, oidc, issuer);

        this.clusterName = cluster.name;
        this.oidcProviderArn = oidc.arn;
        this.oidcIssuer = issuer;
        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) => kubeconfigFor(n, endpoint, ca.data ?? "", args.region)),
        );
        this.registerOutputs({ clusterName: this.clusterName, oidcProviderArn: this.oidcProviderArn });
    }

    /** The control plane and its service role: API authentication, private and public endpoint, audit logs. */
    private declareControlPlane(name: string, args: EksClusterArgs): aws.eks.Cluster {
        const child = { parent: this };
        const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: assumeRole("eks.amazonaws.com") }, child);
        const clusterPolicy = new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, { role: clusterRole.name, policyArn: managed("AmazonEKSClusterPolicy") }, child);
        return new aws.eks.Cluster(
            `${name}-cluster`,
            {
                name: args.clusterName,
                version: args.version,
                roleArn: clusterRole.arn,
                vpcConfig: { subnetIds: args.subnetIds, endpointPrivateAccess: true, endpointPublicAccess: true },
                accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
                enabledClusterLogTypes: ["api", "audit", "authenticator"],
                deletionProtection: args.deletionProtection ?? false,
            },
            { parent: this, dependsOn: [clusterPolicy] },
        );
    }

    /** The managed node group in the private subnets, with its node role. */
    private declareNodeGroup(name: string, args: EksClusterArgs, cluster: aws.eks.Cluster): aws.eks.NodeGroup {
        const child = { parent: this };
        const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: assumeRole("ec2.amazonaws.com") }, child);
        const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"].map(
            (p) => new aws.iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: managed(p) }, child),
        );
        return new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: cluster.name,
                nodeRoleArn: nodeRole.arn,
                subnetIds: args.subnetIds,
                instanceTypes: [args.instanceType],
                scalingConfig: { minSize: args.minSize, desiredSize: args.desiredSize, maxSize: args.maxSize },
                updateConfig: { maxUnavailable: 1 },
            },
            { parent: this, dependsOn: nodePolicies, ignoreChanges: ["scalingConfig.desiredSize"] },
        );
    }

    /** The cluster's OIDC provider (IRSA), and its issuer without https://. */
    private declareOidcProvider(name: string, cluster: aws.eks.Cluster): { oidc: aws.iam.OpenIdConnectProvider; issuer: pulumi.Output<string> } {
        const issuerUrl = cluster.identities.apply((ids) => {
            const url = ids?.[0]?.oidcs?.[0]?.issuer;
            if (!url) throw new Error(`EksCluster ${name}: the cluster reported no OIDC issuer`);
            return url;
        });
        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuerUrl, clientIdLists: ["sts.amazonaws.com"] }, { parent: this });
        return { oidc, issuer: issuerUrl.apply((u) => u.replace(/^https:\/\//, "")) };
    }

    /** The EBS CSI driver (with its IRSA role) and the CSI snapshot controller add-ons. */
    private declareStorageAddons(name: string, cluster: aws.eks.Cluster, nodes: aws.eks.NodeGroup, oidc: aws.iam.OpenIdConnectProvider, issuer: pulumi.Output<string>): void {
        // The EBS CSI controller's role: trusts the provider just created (its ARN carries the account).
        const ebsRole = new IrsaRole(
            `${name}-ebs-csi-role`,
            {
                accountId: oidc.arn.apply((arn) => arn.split(":")[4]),
                oidcIssuer: issuer,
                namespace: EBS_CSI_NAMESPACE,
                serviceAccounts: [EBS_CSI_SERVICE_ACCOUNT_NAME],
                maxSessionDuration: null,
                attach: { name: `${name}-ebs-csi-policy`, policyArn: managed("service-role/AmazonEBSCSIDriverPolicy") },
            },
            { parent: this },
        );
        // Add-ons run as pods: they need the nodes first.
        const ebs = new aws.eks.Addon(
            `${name}-${EBS_CSI_ADDON}`,
            { clusterName: cluster.name, addonName: EBS_CSI_ADDON, serviceAccountRoleArn: ebsRole.arn, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" },
            { parent: this, dependsOn: [nodes, ebsRole.attachment!] },
        );
        new aws.eks.Addon(
            `${name}-${SNAPSHOT_CONTROLLER_ADDON}`,
            { clusterName: cluster.name, addonName: SNAPSHOT_CONTROLLER_ADDON, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" },
            { parent: this, dependsOn: [nodes, ebs] },
        );
    }
}

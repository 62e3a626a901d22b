/**
 * Step: the DR region's cluster — the existing one (kubeconfig secret or context), or an EKS
 * cluster the stack creates with its own VPC (or given subnets) — and the namespace.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterNetwork, EksCluster } from "../../components/cluster";
import { existingClusterProvider } from "../providers";
import type { FortressConfig } from "../../config";

export interface DrCluster {
    readonly kind: "existing" | "eks";
    readonly provider: k8s.Provider;
    /** Resources everything in the cluster must wait for (node group, add-ons, storage class). */
    readonly ready: pulumi.Resource[];
    readonly namespace: k8s.core.v1.Namespace;
    readonly eks?: EksCluster;
}

/** Name of the EKS cluster a DR stack creates. */
export function drClusterName(config: FortressConfig): string {
    return `${config.namePrefix}-${config.environment}-dr`;
}

export function declareDrCluster(config: FortressConfig, aws_: aws.Provider, kubeconfig?: pulumi.Output<string>): DrCluster {
    const k = config.kubernetes;
    let provider: k8s.Provider;
    let eks: EksCluster | undefined;
    const ready: pulumi.Resource[] = [];
    if (k.cluster === "existing") {
        provider = existingClusterProvider("dr-cluster", config, kubeconfig);
    } else {
        const name = drClusterName(config);
        let subnetIds: pulumi.Input<pulumi.Input<string>[]>;
        if (k.eks.subnetIds !== undefined) {
            subnetIds = k.eks.subnetIds;
        } else {
            const zones = aws.getAvailabilityZonesOutput({ state: "available" }, { provider: aws_ });
            const net = new ClusterNetwork("dr-network", { cidr: k.eks.vpcCidr, availabilityZones: zones.names, clusterName: name }, { provider: aws_ });
            subnetIds = net.privateSubnetIds;
        }
        eks = new EksCluster(
            "dr-eks",
            {
                clusterName: name,
                version: k.eks.version,
                subnetIds,
                instanceType: k.eks.instanceType,
                minSize: k.eks.minSize,
                desiredSize: k.eks.desiredSize,
                maxSize: k.eks.maxSize,
                region: config.regions.dr,
                deletionProtection: config.environment === "prod",
            },
            { provider: aws_ },
        );
        provider = new k8s.Provider("dr-cluster", { kubeconfig: eks.kubeconfig, namespace: k.namespace, enableServerSideApply: true });
        // EKS ships only the in-tree gp2 class; the stack's storage class is gp3 on the CSI driver.
        ready.push(
            new k8s.storage.v1.StorageClass(
                "dr-storage-class",
                {
                    metadata: { name: k.storageClass },
                    provisioner: "ebs.csi.aws.com",
                    parameters: { type: "gp3", encrypted: "true" },
                    volumeBindingMode: "WaitForFirstConsumer",
                    allowVolumeExpansion: true,
                    reclaimPolicy: "Retain",
                },
                { provider, dependsOn: [eks] },
            ),
        );
    }
    const namespace = new k8s.core.v1.Namespace(
        "dr-namespace",
        { metadata: { name: k.namespace, labels: { "istio-injection": "enabled", "app.kubernetes.io/part-of": "pat-fortress" } } },
        { provider, dependsOn: eks ? [eks] : [] },
    );
    return { kind: k.cluster, provider, ready: [...ready, namespace], namespace, eks };
}

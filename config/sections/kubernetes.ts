/**
 * Section `kubernetes`: the cluster the stack deploys to (existing, or an EKS cluster it creates).
 */
import { z } from "zod";
import { positiveInt } from "../fields";

export const kubernetesSection = z
    .strictObject({
        /** `existing`: a cluster reached by the secret `kubeconfig`; `eks`: the stack creates one. */
        cluster: z.enum(["existing", "eks"]).default("existing"),
        namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").default("fortress"),
        /** kubeconfig context to use when no `kubeconfig` secret is set (ambient KUBECONFIG). */
        context: z.string().min(1).optional(),
        /** Storage class of the local NVMe volumes (tier 1 of the database). */
        nvmeStorageClass: z.string().default("local-nvme"),
        /** Storage class of ordinary persistent volumes. */
        storageClass: z.string().default("gp3"),
        /** OIDC provider of the cluster, for IRSA (`oidc.eks.<region>.amazonaws.com/id/<id>`). */
        oidcProvider: z.string().optional(),
        eks: z
            .strictObject({
                version: z.string().regex(/^1\.\d+$/, 'must look like "1.31"').default("1.31"),
                instanceType: z.string().default("m6i.xlarge"),
                minSize: z.number().int().nonnegative().default(2),
                desiredSize: positiveInt.default(3),
                maxSize: positiveInt.default(6),
                /**
                 * Private subnets of an existing VPC for the cluster and its nodes (at least two
                 * availability zones). Unset: the stack creates a VPC with a public and a private
                 * subnet and a NAT gateway in each of three zones.
                 */
                subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must look like "subnet-0123abcd"')).min(2).optional(),
                /** CIDR of the VPC the stack creates (ignored with subnetIds). */
                vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/16$/, 'must be a /16, e.g. "10.60.0.0/16"').default("10.60.0.0/16"),
            })
            .prefault({}),
    })
    .prefault({});

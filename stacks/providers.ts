import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { FortressConfig } from "../config";
import { stackTags } from "../components/core/tags";

/** One explicit provider per AWS region the stack touches; components never create providers. */
export interface Providers {
    readonly aws: { readonly primary: aws.Provider; readonly dr: aws.Provider; readonly tier3: aws.Provider };
    readonly gcp: gcp.Provider;
}

export function awsProviders(config: FortressConfig): Providers["aws"] {
    const make = (region: string) =>
        new aws.Provider(`aws-${region}`, {
            region: region as aws.Region,
            defaultTags: { tags: stackTags(config.environment, pulumi.getStack()) },
        });
    const byRegion = new Map<string, aws.Provider>();
    const get = (region: string) => byRegion.get(region) ?? byRegion.set(region, make(region)).get(region)!;
    return { primary: get(config.regions.primary), dr: get(config.regions.dr), tier3: get(config.regions.tier3) };
}

export function providers(config: FortressConfig): Providers {
    return { aws: awsProviders(config), gcp: new gcp.Provider("gcp", { project: config.gcs.project }) };
}

/** The provider of an existing cluster: the kubeconfig secret if set, else the ambient context. */
export function existingClusterProvider(name: string, config: FortressConfig, kubeconfig?: pulumi.Output<string>): k8s.Provider {
    return new k8s.Provider(name, {
        kubeconfig,
        context: kubeconfig === undefined ? config.kubernetes.context : undefined,
        namespace: config.kubernetes.namespace,
        enableServerSideApply: true,
    });
}

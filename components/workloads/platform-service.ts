import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec, serviceManifests } from "./manifests";

/** A service's settings; its name is the component's name (components/workloads/manifests.ts). */
export type PlatformServiceArgs = Omit<ServiceSpec, "name">;

/**
 * One of the platform's services: a Deployment with liveness, readiness and startup probes and
 * surge-first rolling updates, its ClusterIP Service, a PodDisruptionBudget, and an Istio
 * DestinationRule whose outlier detection ejects failing pods (the circuit breaker).
 * The component's name is the service's name in the cluster.
 */
export class PlatformService extends pulumi.ComponentResource {
    public readonly host: string;
    public readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: PlatformServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:workloads:PlatformService", name, {}, opts);
        const m = serviceManifests({ name, ...args });
        const child = { parent: this };
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, m.deployment, child);
        new k8s.core.v1.Service(`${name}-service`, m.service as k8s.core.v1.ServiceArgs, child);
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, m.podDisruptionBudget as k8s.policy.v1.PodDisruptionBudgetArgs, child);
        new k8s.apiextensions.CustomResource(`${name}-destination-rule`, { ...m.destinationRule }, child);
        this.host = m.destinationRule.spec.host;
        this.registerOutputs({ host: this.host });
    }
}

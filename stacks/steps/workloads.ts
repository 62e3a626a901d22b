/**
 * Step: the platform's services, through the PlatformService component. The primary stack
 * runs them at their configured replica counts; the DR stack passes the counts of its mode.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformService } from "../../components/workloads";
import type { FortressConfig } from "../../config";

export function declareWorkloads(
    config: FortressConfig,
    provider: k8s.Provider,
    replicasOf: (service: FortressConfig["services"][number]) => number = (s) => s.replicas,
    dependsOn: pulumi.Input<pulumi.Resource>[] = [],
): Record<string, PlatformService> {
    return Object.fromEntries(
        config.services.map((s) => [
            s.name,
            new PlatformService(
                s.name,
                {
                    namespace: config.kubernetes.namespace,
                    image: s.image,
                    port: s.port,
                    replicas: replicasOf(s),
                    healthPath: s.healthPath,
                    probes: s.probes,
                    labels: { "fortress.pat/critical": String(s.critical) },
                },
                { provider, dependsOn },
            ),
        ]),
    );
}

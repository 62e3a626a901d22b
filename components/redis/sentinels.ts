/** The three Sentinels (quorum two) that watch the servers and promote a replica when the primary is down. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { configVolume, memberContainerBasics, memberMounts, passwordEnv, RedisLayout, SENTINEL_PORT, SENTINELS, spreadOverNodes, valkeyPodSecurity } from "./layout";
import { containerResources } from "../core/pod-spec";

export function declareSentinels(layout: RedisLayout, image: string, opts: pulumi.CustomResourceOptions): k8s.apps.v1.StatefulSet {
    const set = layout.scripts.sentinelSet;
    const labels = layout.sentinelLabels;
    return new k8s.apps.v1.StatefulSet(
        set,
        {
            metadata: { name: set, namespace: layout.namespace, labels },
            spec: {
                serviceName: layout.scripts.sentinelHeadless,
                replicas: SENTINELS,
                selector: { matchLabels: labels },
                podManagementPolicy: "Parallel",
                template: {
                    metadata: { labels },
                    spec: {
                        securityContext: valkeyPodSecurity(),
                        affinity: spreadOverNodes(labels),
                        containers: [
                            {
                                name: "sentinel",
                                image,
                                command: ["sh", "/etc/fortress-redis/start-sentinel.sh"],
                                ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
                                env: [passwordEnv(layout)],
                                ...memberContainerBasics(layout, SENTINEL_PORT),
                                resources: containerResources("50m", "64Mi", "128Mi"),
                                volumeMounts: memberMounts(),
                            },
                        ],
                        volumes: [configVolume(layout), { name: "data", emptyDir: {} }],
                    },
                },
            },
        },
        opts,
    );
}

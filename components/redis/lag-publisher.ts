/**
 * The replica-lag publisher: two pods that ask the Sentinels for the replicas and publish the
 * worst lag to CloudWatch (Fortress/Redis ReplicaLagSeconds) for the lag alarm, with a
 * PodDisruptionBudget so a drain or a crash leaves one reporting (the alarm takes the maximum).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RedisArgs } from "./redis";
import { REDIS_MEMBERS, RedisLayout, SENTINEL_PORT } from "./layout";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, heartbeatProbe, JOB_UID, nonRootPodSecurity, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

export type LagPublisherArgs = NonNullable<RedisArgs["lagPublisher"]>;

export function declareLagPublisher(layout: RedisLayout, publisher: LagPublisherArgs, opts: pulumi.CustomResourceOptions): k8s.apps.v1.Deployment {
    const { name, namespace } = layout;
    const id = `${name}-lag`;
    const labels = { ...layout.redisLabels, "app.kubernetes.io/name": id, "app.kubernetes.io/component": "lag-publisher" };
    // The loop touches a heartbeat every round; older than six rounds means it is hung.
    const heartbeat = heartbeatProbe(60, layout.probePeriodSeconds);
    // Two publishers: a drain or a crash leaves the other one reporting (the alarm takes the maximum).
    new k8s.policy.v1.PodDisruptionBudget(id, { metadata: { name: id, namespace, labels }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }, { parent: opts.parent });
    return new k8s.apps.v1.Deployment(
        id,
        {
            metadata: { name: id, namespace, labels },
            spec: {
                replicas: 2,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: publisher.serviceAccountName,
                        securityContext: nonRootPodSecurity(JOB_UID, { fsGroup: true }),
                        containers: [
                            {
                                name: "publisher",
                                image: publisher.jobImage,
                                command: ["/opt/fortress/jobs/redis-lag-publisher.sh"],
                                // The first heartbeat is written before the first publish.
                                startupProbe: { ...heartbeat, failureThreshold: 12 },
                                readinessProbe: heartbeat,
                                livenessProbe: heartbeat,
                                env: [
                                    { name: "SENTINEL_HOST", value: `${layout.scripts.sentinelSet}.${namespace}.svc` },
                                    { name: "SENTINEL_PORT", value: String(SENTINEL_PORT) },
                                    { name: "REDIS_MASTER_NAME", value: layout.masterName },
                                    { name: "REDIS_PASSWORD_FILE", value: "/var/run/fortress/redis/password" },
                                    { name: "CLUSTER_NAME", value: publisher.clusterName },
                                    { name: "EXPECTED_REPLICAS", value: String(REDIS_MEMBERS - 1) },
                                    { name: "AWS_REGION", value: publisher.metricsRegion },
                                    ...awsRoleEnv(publisher.roleArn),
                                ],
                                resources: containerResources("20m", "64Mi", "256Mi"),
                                securityContext: restrictedContainerSecurity(),
                                volumeMounts: [{ name: "password", mountPath: "/var/run/fortress/redis", readOnly: true }, awsTokenMount(), scratchMount()],
                            },
                        ],
                        volumes: [{ name: "password", secret: { secretName: layout.passwordSecretName, defaultMode: 0o440 } }, awsTokenVolume(), scratchVolume()],
                    },
                },
            },
        },
        opts,
    );
}

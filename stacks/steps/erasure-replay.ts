/**
 * DR step: before the workloads of a rebuilt (or promoted-from-backup) DR region scale up, a
 * Kubernetes Job replays the GDPR erasure ledger into the restored database and Redis
 * (`fortress erasure-replay`, cli/erasure/), so no one erased after the backup is served
 * again. The workloads depend on the Job: Pulumi waits for it to complete.
 *
 * The Job reads the ledger with its own IRSA role in the DR cluster (the primary's reader role
 * trusts the primary cluster's issuer only): list and read both copies, nothing else.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ledgerReaderPolicy } from "../../components/compliance/erasure-ledger-policy";
import { fortressLabels } from "../../components/core/names";
import { TAG_KEYS } from "../../components/core/tags";
import { IrsaRole } from "../../components/core/irsa-role";
import { containerResources, nonRootPodSecurity, restrictedContainerSecurity, scratchMount, scratchVolume } from "../../components/core/pod-spec";
import { CLI_UID, cliStackEnv, cliStackMounts, cliStackVolumes, declareCliStackFiles } from "../../components/recovery/cli-pod";
import type { DriverOutputs } from "../../components/recovery/stack-files";
import type { FortressConfig } from "../../config";
import type { DrPlan } from "./dr-mode";

export const ERASURE_REPLAY_SERVICE_ACCOUNT = "fortress-erasure-replay";

export interface PrimaryErasureLedger {
    readonly bucketName: string;
    readonly replicaBucketName: string;
}

export interface ErasureReplayJobArgs {
    readonly config: FortressConfig;
    readonly plan: DrPlan;
    /** The primary stack's `erasureLedger` output. */
    readonly ledger: pulumi.Output<PrimaryErasureLedger>;
    /** Keys of the ledger's copies: the primary's backup key and its DR replica (tier1 / tier2 kmsKeyArn). */
    readonly kmsKeyArns: pulumi.Output<string[]>;
    readonly cluster: k8s.Provider;
    readonly aws: aws.Provider;
    readonly oidcIssuer: pulumi.Input<string>;
    /** The restored database and Redis: the Job runs after them. */
    readonly dependsOn: pulumi.Resource[];
    /** The stack outputs the CLI's platform driver reads (outputs.json of the fortress-stack-outputs ConfigMap). */
    readonly driverOutputs: DriverOutputs;
}

/** Whether the DR region's data comes from a backup (replay needed) rather than a streaming standby. */
export function needsReplay(config: FortressConfig, plan: DrPlan): boolean {
    return config.erasure !== undefined && plan.database.source.kind === "repo";
}

export function declareErasureReplayJob(a: ErasureReplayJobArgs): k8s.batch.v1.Job {
    const ns = a.config.kubernetes.namespace;
    const accountId = aws.getCallerIdentityOutput({}, { provider: a.aws }).accountId;
    const role = new IrsaRole(
        "dr-erasure-replay",
        {
            description: "Fortress DR: the DR region's erasure replay reads the erasure ledger (both copies)",
            accountId,
            oidcIssuer: a.oidcIssuer,
            namespace: ns,
            serviceAccounts: [ERASURE_REPLAY_SERVICE_ACCOUNT],
            tags: { [TAG_KEYS.purpose]: "erasure-ledger-reader" },
            policy: pulumi
                .all([a.ledger, a.kmsKeyArns])
                .apply(([l, keys]) => JSON.stringify(ledgerReaderPolicy([`arn:aws:s3:::${l.bucketName}`, `arn:aws:s3:::${l.replicaBucketName}`], keys))),
        },
        { provider: a.aws },
    );
    const sa = new k8s.core.v1.ServiceAccount(
        "dr-erasure-replay",
        { metadata: { name: ERASURE_REPLAY_SERVICE_ACCOUNT, namespace: ns, annotations: { "eks.amazonaws.com/role-arn": role.arn }, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } },
        { provider: a.cluster, dependsOn: a.dependsOn },
    );
    const source = a.plan.database.source;
    const restoredPoint = source.kind === "repo" ? source.targetTime : undefined;
    const args = [
        "erasure-replay",
        "--stack",
        pulumi.getStack(),
        "--reason",
        `DR ${a.plan.mode}: replay the erasure ledger before the workloads scale up`,
        "--yes",
        "--output",
        "json",
        ...(restoredPoint ? ["--restored-point", restoredPoint] : []),
    ];
    const labels = { "app.kubernetes.io/name": "erasure-replay", ...fortressLabels({ dataClass: "database", purpose: "restore" }) };
    // The CLI image reads the stack file and outputs from these (components/recovery/cli-pod.ts).
    const files = declareCliStackFiles("erasure-replay", { namespace: ns, stack: pulumi.getStack(), config: pulumi.runtime.allConfig(), outputs: a.driverOutputs, labels: { "app.kubernetes.io/part-of": "fortress-dr" } }, { provider: a.cluster, dependsOn: a.dependsOn });
    return new k8s.batch.v1.Job(
        "erasure-replay",
        {
            metadata: { name: "erasure-replay", namespace: ns, labels },
            spec: {
                backoffLimit: 3,
                activeDeadlineSeconds: 1800,
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: ERASURE_REPLAY_SERVICE_ACCOUNT,
                        restartPolicy: "Never",
                        // No runAsGroup: the Job's pod template is immutable, and adding one would replace the Job.
                        securityContext: nonRootPodSecurity(CLI_UID, { runAsGroup: false }),
                        containers: [
                            {
                                name: "replay",
                                // The CLI image (cli/Dockerfile): the backup-job image has no node and no fortress CLI.
                                image: a.config.cliImage,
                                command: ["fortress"],
                                args,
                                env: cliStackEnv(),
                                // The stack file and outputs; the HMAC key of hashed subjects, when the stack hashes them.
                                volumeMounts: [...cliStackMounts(), scratchMount(), ...(a.config.erasure?.hmacKeySecret ? [{ name: "hmac", mountPath: "/var/run/fortress/erasure-hmac", readOnly: true }] : [])],
                                securityContext: restrictedContainerSecurity(),
                                resources: containerResources("100m", "256Mi", "512Mi"),
                            },
                        ],
                        volumes: [
                            ...cliStackVolumes(),
                            // A writable /tmp under the read-only root: FORTRESS_STATE_DIR and tsx's compile cache.
                            scratchVolume(),
                            ...(a.config.erasure?.hmacKeySecret ? [{ name: "hmac", secret: { secretName: a.config.erasure.hmacKeySecret.name, items: [{ key: a.config.erasure.hmacKeySecret.key, path: "key" }] } }] : []),
                        ],
                    },
                },
            },
        },
        { provider: a.cluster, dependsOn: [sa, files.stack, files.outputs, ...a.dependsOn] },
    );
}

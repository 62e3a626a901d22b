import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../core/irsa-role";

/** falcosecurity/falco chart (9.1.1: Falco 0.44.1, falcosidekick subchart 0.12.x), pinned. */
export const FALCO_CHART_VERSION = "9.1.1";
export const FALCO_REPO = "https://falcosecurity.github.io/charts";
/** The Helm release name; the sidekick subchart names its objects `<release>-falcosidekick`. */
export const FALCO_RELEASE = "falco";
/** The sidekick's ServiceAccount: the falco chart's `<fullname>-falcosidekick` for release "falco". */
export const FALCOSIDEKICK_SERVICE_ACCOUNT = `${FALCO_RELEASE}-falcosidekick`;

/** Falco's priorities, most severe first (the order falcosidekick's minimumpriority compares in). */
export const FALCO_PRIORITIES = ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"] as const;
export type FalcoPriority = (typeof FALCO_PRIORITIES)[number];

export interface RuntimeDetectionArgs {
    /** @default "falco" */
    readonly namespace?: string;
    /** falcosecurity/falco chart version. @default FALCO_CHART_VERSION */
    readonly chartVersion?: string;
    /** The alert topic the sidekick publishes to (the primary region's). */
    readonly alertTopicArn: pulumi.Input<string>;
    /** The topic's region: the sidekick's AWS client must call SNS there. */
    readonly alertTopicRegion: string;
    /** The cluster's OIDC issuer without scheme, for the sidekick's IRSA role. */
    readonly oidcIssuer: pulumi.Input<string>;
    readonly accountId: pulumi.Input<string>;
    /**
     * Lowest Falco priority that reaches the topic. "warning" by default: the stock rules that
     * mean a compromise (sensitive file reads by untrusted programs, dropped-and-executed
     * binaries, writes below binary directories, packet-socket or crypto-miner activity) are
     * Warning or above, while Notice is where the rules fire on routine operator actions
     * (a shell in a container, a kubectl exec) that would train people to ignore the topic the
     * DR alarms share.
     */
    readonly minimumPriority?: FalcoPriority;
}

export function validateRuntimeDetectionArgs(name: string, args: RuntimeDetectionArgs): void {
    const problems: string[] = [];
    const version = args.chartVersion ?? FALCO_CHART_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push(`chartVersion: "${version}" must be an exact chart version such as "${FALCO_CHART_VERSION}" (a range would let an upgrade change the driver or rules unseen)`);
    if (args.minimumPriority !== undefined && !FALCO_PRIORITIES.includes(args.minimumPriority)) {
        problems.push(`minimumPriority: "${args.minimumPriority}" is not a Falco priority; use one of ${FALCO_PRIORITIES.join(", ")}`);
    }
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(args.alertTopicRegion)) problems.push(`alertTopicRegion: "${args.alertTopicRegion}" is not an AWS region name (e.g. us-east-1)`);
    const ns = args.namespace ?? "falco";
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) problems.push(`namespace: "${ns}" is not a Kubernetes namespace name`);
    if (problems.length > 0) throw new Error(`RuntimeDetection ${name}: ${problems.join("; ")}`);
}

/** The only grant the sidekick needs: publishing to the one alert topic. */
export function snsPublishPolicy(topicArn: string): object {
    return { Version: "2012-10-17", Statement: [{ Sid: "PublishRuntimeAlerts", Effect: "Allow", Action: "sns:Publish", Resource: topicArn }] };
}

/** The chart values: modern eBPF driver, falcosidekick with only the SNS output, IRSA. */
export function falcoValues(topicArn: pulumi.Input<string>, roleArn: pulumi.Input<string>, region: string, minimumPriority: FalcoPriority): Record<string, unknown> {
    return {
        // CO-RE probe built into Falco: no kernel headers, no driver download at start, no
        // loader init container; needs kernel 5.8+ with BTF, which EKS's AL2023 and
        // Bottlerocket AMIs have.
        driver: { enabled: true, kind: "modern_ebpf" },
        tty: true,
        falcosidekick: {
            enabled: true,
            // Two replicas (the subchart's default) so a node drain does not drop alerts.
            replicaCount: 2,
            config: {
                aws: {
                    // The subchart writes rolearn into the ServiceAccount's eks.amazonaws.com/role-arn
                    // annotation when useirsa is set, so no key is stored anywhere.
                    useirsa: true,
                    rolearn: roleArn,
                    region,
                    sns: { topicarn: topicArn, rawjson: false, minimumpriority: minimumPriority },
                },
            },
            webui: { enabled: false },
        },
    };
}

/**
 * S5 runtime detection in a cluster: Falco as a DaemonSet (modern eBPF) evaluating every
 * node's syscalls against its stock rules, and falcosidekick forwarding events at or above a
 * priority to the region's alert topic through an IRSA role that may only publish there.
 * GuardDuty finds a compromised workload in minutes; this sees the shell, the sensitive read
 * or the dropped binary as the syscall happens.
 */
export class RuntimeDetection extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly namespace: string;

    constructor(name: string, args: RuntimeDetectionArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:detection:RuntimeDetection", name, {}, opts);
        validateRuntimeDetectionArgs(name, args);
        const ns = args.namespace ?? "falco";
        const child = { parent: this };

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            // Falco's DaemonSet is privileged by necessity; the label lets Pod Security admit it.
            { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "fortress-dr", "pod-security.kubernetes.io/enforce": "privileged" } } },
            child,
        );

        const role = new IrsaRole(
            `${name}-sidekick-role`,
            {
                description: "Fortress DR: falcosidekick, publisher of Falco runtime alerts to the alert topic",
                accountId: args.accountId,
                oidcIssuer: args.oidcIssuer,
                namespace: ns,
                serviceAccounts: [FALCOSIDEKICK_SERVICE_ACCOUNT],
                policyName: `${name}-sidekick-policy`,
                policy: pulumi.output(args.alertTopicArn).apply((t) => JSON.stringify(snsPublishPolicy(t))),
            },
            child,
        );

        new k8s.helm.v3.Release(
            name,
            {
                name: FALCO_RELEASE,
                chart: "falco",
                version: args.chartVersion ?? FALCO_CHART_VERSION,
                repositoryOpts: { repo: FALCO_REPO },
                namespace: ns,
                atomic: true,
                values: falcoValues(args.alertTopicArn, role.arn, args.alertTopicRegion, args.minimumPriority ?? "warning"),
            },
            { ...child, dependsOn: [namespace] },
        );

        this.roleArn = role.arn;
        this.namespace = ns;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

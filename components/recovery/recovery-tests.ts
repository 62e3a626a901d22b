/**
 * Scheduled recovery tests (docs/requirements.md R-TEST-WEEKLY / R-TEST-MONTHLY): CronJobs
 * that run `fortress dr-test` in the CLI image (cli/Dockerfile) against the platform, weekly
 * from tier 1 and monthly from tier 2. Each drill restores into a scratch namespace
 * (`fortress-scratch-<into>`) with archiving off, validates, tears down, proves the teardown,
 * publishes one recovery SLO run to CloudWatch and writes its audit record to tier 3.
 *
 * A failed drill must show as failed: backoffLimit 0 (never retried to green), concurrency
 * Forbid (two drills into the same scratch name would fight), and activeDeadlineSeconds the
 * dr-test time budget, after which Kubernetes kills the pod and the Job is Failed.
 *
 * Access, least privilege as far as the APIs allow:
 * - AWS (IRSA): read and list the tier buckets, read their Object Lock state, decrypt with the
 *   tier keys; write only `fortress-audit/<stack>/` of the tier-3 bucket (with retention);
 *   PutMetricData only into the backup SLO namespace.
 * - Kubernetes: a ClusterRole with exactly the calls of the platform driver's drill path
 *   (cli/drivers/platform/database.ts, kube.ts, status). RBAC cannot limit `create namespaces`
 *   to a name prefix, so namespace create/delete and the objects the drill creates in the
 *   scratch namespace are cluster-wide; the driver only ever names `fortress-scratch-*`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { fortressLabels, SCRATCH_NAMESPACE_PREFIX } from "../core/names";
import { containerResources, nonRootPodSecurity, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";
import { CLI_UID, cliStackEnv, cliStackMounts, cliStackVolumes } from "./cli-pod";

export const RECOVERY_TEST_SERVICE_ACCOUNT = "fortress-recovery-test";
/** `fortress dr-test`'s own time budget (cli/commands/dr-test.ts defaultTimeoutSeconds): the Job's deadline. */
export const DR_TEST_DEADLINE_SECONDS = 7200;
/** A run missed by more than this (controller down, cluster upgrade) is skipped, not run late. */
export const RECOVERY_TEST_STARTING_DEADLINE_SECONDS = 3600;

/** One scheduled drill: `fortress dr-test --from <tier> --into <into>`. */
export interface ScheduledDrill {
    /** weekly | monthly: the CronJob is `fortress-dr-test-<id>`. */
    readonly id: string;
    readonly schedule: string;
    readonly tier: "tier1" | "tier2" | "tier3";
    /** The scratch destination (namespace fortress-scratch-<into>). */
    readonly into: string;
}

export interface RecoveryTestsArgs {
    readonly namespace: string;
    readonly stack: string;
    readonly cliImage: string;
    /** The IRSA role of the service account (recoveryTestPolicy). */
    readonly roleArn: pulumi.Input<string>;
    readonly drills: readonly ScheduledDrill[];
}

/** The scratch namespace of a scheduled drill (the platform driver's `scratchNamespace(into)`; a test keeps the two equal). */
export const drillScratchNamespace = (into: string) => `${SCRATCH_NAMESPACE_PREFIX}${into}`;

export interface RbacRule {
    readonly apiGroups: string[];
    readonly resources: string[];
    readonly verbs: string[];
    readonly resourceNames?: string[];
}

/**
 * The Kubernetes API calls of `fortress dr-test` on the platform, as cluster-wide RBAC rules.
 * What RBAC can narrow is narrowed: the drill reads and deletes only its own scratch
 * namespaces and scratch clusters (by name), and reads Secrets only in the stack's namespace
 * (`RECOVERY_TEST_SOURCE_RULES`, a Role there) — it can create but never read one elsewhere.
 * What RBAC cannot narrow (a create names no object yet; pods/exec in a namespace created at
 * run time) stays cluster-wide: see docs/recovery-commands.md.
 */
export function recoveryTestRbacRules(drills: readonly Pick<ScheduledDrill, "into">[]): RbacRule[] {
    const namespaces = drills.map((d) => drillScratchNamespace(d.into));
    const clusters = drills.map((d) => d.into);
    return [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
        { apiGroups: [""], resources: ["namespaces"], verbs: ["get", "delete"], resourceNames: namespaces },
        { apiGroups: [""], resources: ["secrets", "serviceaccounts"], verbs: ["create"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
        { apiGroups: [""], resources: ["persistentvolumes", "nodes"], verbs: ["list"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "create", "delete"] },
        { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["get", "list"] },
        { apiGroups: ["pgv2.percona.com"], resources: ["perconapgclusters"], verbs: ["get", "list", "create"] },
        { apiGroups: ["pgv2.percona.com"], resources: ["perconapgclusters"], verbs: ["patch", "delete"], resourceNames: clusters },
        { apiGroups: ["pgv2.percona.com"], resources: ["perconapgbackups", "perconapgrestores"], verbs: ["get", "list", "create"] },
        { apiGroups: ["velero.io"], resources: ["backups", "backupstoragelocations"], verbs: ["get", "list"] },
    ];
}

/** In the stack's own namespace only: the source cluster's pgBackRest Secrets, copied into the scratch namespace. */
export const RECOVERY_TEST_SOURCE_RULES: RbacRule[] = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }];

export function validateRecoveryTestsArgs(name: string, a: RecoveryTestsArgs): void {
    const problems: string[] = [];
    const ids = new Set<string>();
    for (const d of a.drills) {
        if (ids.has(d.id)) problems.push(`drill "${d.id}" is declared twice`);
        ids.add(d.id);
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(d.into)) problems.push(`drill "${d.id}": into "${d.into}" is not a DNS-1123 label`);
    }
    if (new Set(a.drills.map((d) => d.into)).size !== a.drills.length) problems.push("two drills share a scratch destination: they would tear down each other's copy");
    if (problems.length) throw new Error(`RecoveryTests ${name}:\n  - ${problems.join("\n  - ")}`);
}

/** The arguments of one scheduled drill. */
export function drillArgs(stack: string, d: ScheduledDrill): string[] {
    return ["dr-test", "--stack", stack, "--from", d.tier, "--into", d.into, "--yes", "--output", "json", "--reason", `scheduled ${d.id} recovery test (${d.tier}) from CronJob fortress-dr-test-${d.id}`];
}

export class RecoveryTests extends pulumi.ComponentResource {
    public readonly cronJobs: Record<string, k8s.batch.v1.CronJob> = {};
    public readonly serviceAccount: k8s.core.v1.ServiceAccount;

    constructor(name: string, args: RecoveryTestsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:recovery:RecoveryTests", name, {}, opts);
        validateRecoveryTestsArgs(name, args);
        const labels = { "app.kubernetes.io/name": "fortress-dr-test", "app.kubernetes.io/part-of": "fortress-dr" };
        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            { metadata: { name: RECOVERY_TEST_SERVICE_ACCOUNT, namespace: args.namespace, labels, annotations: { "eks.amazonaws.com/role-arn": args.roleArn } } },
            { parent: this },
        );
        const role = new k8s.rbac.v1.ClusterRole(`${name}-role`, { metadata: { name: "fortress-recovery-test", labels }, rules: recoveryTestRbacRules(args.drills) }, { parent: this });
        const sourceRole = new k8s.rbac.v1.Role(`${name}-source-role`, { metadata: { name: "fortress-recovery-test-source", namespace: args.namespace, labels }, rules: RECOVERY_TEST_SOURCE_RULES }, { parent: this });
        new k8s.rbac.v1.RoleBinding(
            `${name}-source-binding`,
            {
                metadata: { name: "fortress-recovery-test-source", namespace: args.namespace, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: sourceRole.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: RECOVERY_TEST_SERVICE_ACCOUNT, namespace: args.namespace }],
            },
            { parent: this },
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-binding`,
            {
                metadata: { name: "fortress-recovery-test", labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: RECOVERY_TEST_SERVICE_ACCOUNT, namespace: args.namespace }],
            },
            { parent: this },
        );
        for (const d of args.drills) this.cronJobs[d.id] = this.drill(name, args, d);
        this.registerOutputs({});
    }

    private drill(name: string, args: RecoveryTestsArgs, d: ScheduledDrill): k8s.batch.v1.CronJob {
        const labels = { "app.kubernetes.io/name": `fortress-dr-test-${d.id}`, "app.kubernetes.io/part-of": "fortress-dr", ...fortressLabels({ dataClass: "database", tier: d.tier, purpose: "recovery-test" }) };
        return new k8s.batch.v1.CronJob(
            `${name}-${d.id}`,
            {
                metadata: { name: `fortress-dr-test-${d.id}`, namespace: args.namespace, labels },
                spec: {
                    schedule: d.schedule,
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: RECOVERY_TEST_STARTING_DEADLINE_SECONDS,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 5,
                    jobTemplate: {
                        metadata: { labels },
                        spec: {
                            backoffLimit: 0,
                            activeDeadlineSeconds: DR_TEST_DEADLINE_SECONDS,
                            ttlSecondsAfterFinished: 35 * 86_400,
                            template: {
                                metadata: { labels },
                                spec: {
                                    serviceAccountName: RECOVERY_TEST_SERVICE_ACCOUNT,
                                    restartPolicy: "Never",
                                    securityContext: nonRootPodSecurity(CLI_UID),
                                    containers: [
                                        {
                                            name: "dr-test",
                                            image: args.cliImage,
                                            command: ["fortress"],
                                            args: drillArgs(args.stack, d),
                                            env: [...cliStackEnv(), ...awsRoleEnv(args.roleArn), { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" }],
                                            resources: containerResources("100m", "256Mi", "768Mi"),
                                            securityContext: restrictedContainerSecurity(),
                                            volumeMounts: [...cliStackMounts(), awsTokenMount(), scratchMount()],
                                        },
                                    ],
                                    volumes: [...cliStackVolumes(), awsTokenVolume(), scratchVolume()],
                                },
                            },
                        },
                    },
                },
            },
            { parent: this },
        );
    }
}

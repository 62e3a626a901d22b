import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupTarget, TierId } from "./backup-job";
import { BackupJobs } from "./backup-jobs";

export interface SealedSecretsArgs {
    /** bitnami-labs/sealed-secrets chart version, pinned. */
    readonly chartVersion: string;
    /** The controller's namespace. @default "kube-system" (kubeseal's default) */
    readonly namespace?: string;
    /** Namespace and service account of the backup jobs. */
    readonly jobNamespace: string;
    readonly jobServiceAccount: string;
    readonly jobImage: string;
    /** `tiers.secrets` of the stack config: tier 2 and tier 3. */
    readonly schedules: Readonly<Partial<Record<TierId, string>>>;
    readonly targets: Readonly<Partial<Record<TierId, BackupTarget>>>;
    readonly metricsRegion: string;
}

const SEALED_SECRETS_REPO = "https://bitnami-labs.github.io/sealed-secrets";
/** kubeseal looks for this controller name by default. */
export const SEALED_SECRETS_CONTROLLER = "sealed-secrets-controller";

/**
 * The Sealed Secrets controller (Helm, pinned) and the scheduled, encrypted backup of its
 * sealing keys to tier 2 and tier 3. Without those keys no SealedSecret in git can be
 * opened by a controller in the DR region; with them, the DR cluster's controller is
 * started on the same keys (jobs/backup-fetch.sh, then kubectl apply, before the chart).
 *
 * The backup job may read Secrets in the controller's namespace, nothing else.
 */
export class SealedSecrets extends pulumi.ComponentResource {
    public readonly namespace: string;
    public readonly backupPassphrase: pulumi.Output<string>;

    constructor(name: string, args: SealedSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:platform:SealedSecrets", name, {}, opts);
        const ns = args.namespace ?? "kube-system";
        for (const tier of Object.keys(args.schedules)) {
            if (tier === "tier1") throw new Error(`SealedSecrets ${name}: schedules.tier1 is not a place for sealing keys; they go to tier 2 and tier 3 (tiers.secrets)`);
        }
        const child = { parent: this };

        const release = new k8s.helm.v3.Release(
            name,
            {
                name: "sealed-secrets",
                chart: "sealed-secrets",
                version: args.chartVersion,
                repositoryOpts: { repo: SEALED_SECRETS_REPO },
                namespace: ns,
                atomic: true,
                values: { fullnameOverride: SEALED_SECRETS_CONTROLLER },
            },
            child,
        );

        const role = new k8s.rbac.v1.Role(
            `${name}-key-reader`,
            {
                metadata: { name: `${name}-key-reader`, namespace: ns },
                // RBAC cannot select by label; the job itself keeps only the labelled key Secrets.
                rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
            },
            child,
        );
        new k8s.rbac.v1.RoleBinding(
            `${name}-key-reader`,
            {
                metadata: { name: `${name}-key-reader`, namespace: ns },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${name}-key-reader` },
                subjects: [{ kind: "ServiceAccount", name: args.jobServiceAccount, namespace: args.jobNamespace }],
            },
            { parent: this, dependsOn: [role] },
        );

        const jobs = new BackupJobs(
            `${name}-key-backup`,
            {
                namespace: args.jobNamespace,
                jobImage: args.jobImage,
                script: "sealed-secrets-key-backup.sh",
                dataClass: "secrets",
                subPath: "sealed-secrets",
                schedules: args.schedules,
                targets: args.targets,
                serviceAccountName: args.jobServiceAccount,
                metricsRegion: args.metricsRegion,
                env: [{ name: "SEALED_SECRETS_NAMESPACE", value: ns }],
            },
            { parent: this, dependsOn: [release] },
        );

        this.namespace = ns;
        this.backupPassphrase = jobs.passphrase;
        this.registerOutputs({ namespace: ns });
    }
}

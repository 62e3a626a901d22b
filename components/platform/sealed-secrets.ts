import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BucketLocation, JOBS_DIR, KEY_SECRET_FIELD } from "./backup-job";
import { BackupJobs, ComponentBackupJobs, scheduledBackupsOf } from "./backup-jobs";
import { awsRoleEnv, awsTokenMount, awsTokenVolume } from "../core/irsa-pod";
import { containerResources, jobPodBasics, restrictedContainerSecurity, scratchMount, scratchVolume } from "../core/pod-spec";

/** The key-backup jobs' settings (ComponentBackupJobs) with `tiers.secrets` (tier 2 and tier 3) as the schedules. */
export interface SealedSecretsArgs extends ComponentBackupJobs {
    /** bitnami-labs/sealed-secrets chart version, pinned. */
    readonly chartVersion: string;
    /** The controller's namespace. @default "kube-system" (kubeseal's default) */
    readonly namespace?: string;
    /** Encrypt the key backups with this passphrase instead of a new one (a promoted DR region keeps the primary's). @default new */
    readonly backupPassphrase?: pulumi.Input<string>;
    /**
     * Start the controller on the sealing keys of another cluster (the DR region): a Job runs
     * jobs/sealed-secrets-key-restore.sh under `jobServiceAccount` and creates the keys,
     * labelled active, in the controller's namespace; the chart is installed only after it
     * completed, so the controller never generates a key of its own first. @default none
     */
    readonly restoreKeys?: BucketLocation & {
        /** Searched together; the newest backup under any of them is restored. */
        readonly prefixes: readonly string[];
        /** A reader role of the bucket trusted for `jobServiceAccount` in this cluster. */
        readonly readerRoleArn: pulumi.Input<string>;
        /** The backups' passphrase (the primary stack's export, a secret). */
        readonly passphrase: pulumi.Input<string>;
        /** A specific backup instead of the newest. @default newest */
        readonly manifestKey?: string;
    };
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
        if (Object.keys(args.schedules).length === 0 && !args.restoreKeys) {
            throw new Error(`SealedSecrets ${name}: schedules is empty and there are no keys to restore; give tiers.secrets from the stack config (or restoreKeys in a DR region)`);
        }
        const child = { parent: this };

        const restored = args.restoreKeys ? this.restoreJob(name, ns, args, args.restoreKeys) : [];
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
            { parent: this, dependsOn: restored },
        );

        const backsUp = Object.keys(args.schedules).length > 0;
        if (backsUp) {
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
        }

        // A DR region that has not taken over restores the keys but backs nothing up.
        const jobs = !backsUp
            ? undefined
            : new BackupJobs(
                `${name}-key-backup`,
                {
                    ...scheduledBackupsOf(args),
                    script: "sealed-secrets-key-backup.sh",
                    dataClass: "secrets",
                    subPath: "sealed-secrets",
                    env: [{ name: "SEALED_SECRETS_NAMESPACE", value: ns }],
                    passphrase: args.backupPassphrase,
                },
                { parent: this, dependsOn: [release] },
            );

        this.namespace = ns;
        // Without backups of its own, the passphrase is that of the keys it was started on.
        this.backupPassphrase = jobs?.passphrase ?? pulumi.secret(pulumi.output(args.backupPassphrase ?? args.restoreKeys!.passphrase));
        this.registerOutputs({ namespace: ns });
    }

    /** The Job that creates the restored keys, and what it needs; the chart waits for them. */
    private restoreJob(name: string, ns: string, args: SealedSecretsArgs, r: NonNullable<SealedSecretsArgs["restoreKeys"]>): pulumi.Resource[] {
        if (r.prefixes.length === 0) throw new Error(`SealedSecrets ${name}: restoreKeys.prefixes is empty; give the key-backup prefixes to search (e.g. tier2/secrets/sealed-secrets)`);
        const child = { parent: this };
        const labels = { "app.kubernetes.io/name": `${name}-key-restore`, "app.kubernetes.io/part-of": "fortress-dr" };
        // Creating the keys needs create (and get, to recognise a key already there); nothing else.
        const role = new k8s.rbac.v1.Role(
            `${name}-key-restorer`,
            { metadata: { name: `${name}-key-restorer`, namespace: ns, labels }, rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "get"] }] },
            child,
        );
        const binding = new k8s.rbac.v1.RoleBinding(
            `${name}-key-restorer`,
            {
                metadata: { name: `${name}-key-restorer`, namespace: ns, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${name}-key-restorer` },
                subjects: [{ kind: "ServiceAccount", name: args.jobServiceAccount, namespace: args.jobNamespace }],
            },
            { parent: this, dependsOn: [role] },
        );
        const keySecret = new k8s.core.v1.Secret(
            `${name}-restore-key`,
            { metadata: { name: `${name}-restore-key`, namespace: args.jobNamespace, labels }, stringData: { [KEY_SECRET_FIELD]: pulumi.secret(r.passphrase) } },
            child,
        );
        const job = new k8s.batch.v1.Job(
            `${name}-key-restore`,
            {
                metadata: { name: `${name}-key-restore`, namespace: args.jobNamespace, labels },
                spec: {
                    backoffLimit: 2,
                    // Inside the provider's 10-minute wait for a Job, with room for the retries.
                    activeDeadlineSeconds: 540,
                    template: {
                        metadata: { labels },
                        spec: {
                            ...jobPodBasics(args.jobServiceAccount, { fsGroup: true }),
                            containers: [
                                {
                                    name: "restore",
                                    image: args.jobImage,
                                    command: [`${JOBS_DIR}/sealed-secrets-key-restore.sh`],
                                    env: [
                                        { name: "SEALED_SECRETS_NAMESPACE", value: ns },
                                        { name: "BACKUP_BUCKET", value: r.bucketName },
                                        { name: "BACKUP_PREFIX", value: r.prefixes.map((p) => p.replace(/\/$/, "")).join(" ") },
                                        { name: "BACKUP_KEY_FILE", value: `/var/run/fortress/restore-key/${KEY_SECRET_FIELD}` },
                                        { name: "AWS_REGION", value: r.region },
                                        ...awsRoleEnv(r.readerRoleArn),
                                        { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
                                        ...(r.manifestKey ? [{ name: "MANIFEST_KEY", value: r.manifestKey }] : []),
                                    ],
                                    resources: containerResources("100m", "128Mi", "512Mi"),
                                    securityContext: restrictedContainerSecurity(),
                                    volumeMounts: [
                                        { name: "restore-key", mountPath: "/var/run/fortress/restore-key", readOnly: true },
                                        awsTokenMount(),
                                        scratchMount(),
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "restore-key", secret: { secretName: `${name}-restore-key`, defaultMode: 0o440 } },
                                awsTokenVolume(),
                                scratchVolume(),
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [binding, keySecret] },
        );
        return [job];
    }
}

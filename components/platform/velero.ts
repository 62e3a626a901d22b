import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readerPolicy, writerPolicy } from "../storage/backup-access";
import { IrsaRole } from "../core/irsa-role";
import { PolicyDocument, doc } from "../storage/policy-documents";
import { maxIntervalSeconds } from "../core/cron";
import { fortressLabels } from "../core/names";
import { BackupTarget, BucketLocation, backupCronJobSpec } from "./backup-job";
import type { RemoteTierId } from "../../config/vocabulary";

export interface VeleroLocation extends BucketLocation {
    readonly bucketArn: pulumi.Input<string>;
    /** The bucket's SSE-KMS key (in its region). */
    readonly kmsKeyArn: pulumi.Input<string>;
}

export interface VeleroSchedule {
    /** Five-field cron from `tiers.configuration`. */
    readonly snapshot: string;
    readonly retentionDays: number;
}

export interface VeleroArgs {
    /** @default "velero" */
    readonly namespace?: string;
    /** vmware-tanzu/velero chart version, pinned. */
    readonly chartVersion: string;
    /** Velero server image `repository:tag`. */
    readonly image: string;
    /** velero-plugin-for-aws image `repository:tag`. */
    readonly awsPluginImage: string;
    /** The cluster's OIDC issuer without scheme, for the server's IRSA role. */
    readonly oidcIssuer: pulumi.Input<string>;
    readonly accountId: pulumi.Input<string>;
    /** Tier 2 (daily configuration bundle) and tier 3 (weekly comprehensive backup). */
    readonly locations: { readonly tier2: VeleroLocation; readonly tier3: VeleroLocation };
    /** Required unless `readOnly`; a read-only Velero takes none. */
    readonly schedules?: { readonly tier2: VeleroSchedule; readonly tier3: VeleroSchedule };
    /**
     * The restore side (a DR region that has not taken over): both locations `accessMode:
     * ReadOnly`, so Velero syncs and restores the primary's backups but never writes, prunes
     * or garbage-collects them; the role only reads; no Schedule. @default false
     */
    readonly readOnly?: boolean;
    /**
     * The job that reports each tier's newest Velero backup age to CloudWatch (the
     * backup-age alarms of the configuration data class). @default none
     */
    readonly ageReporting?: {
        readonly namespace: string;
        readonly jobImage: string;
        readonly serviceAccountName: string;
        readonly metricsRegion: string;
        /** Roles that may list each tier (its writer role). */
        readonly roleArns: { readonly tier2: pulumi.Input<string>; readonly tier3: pulumi.Input<string> };
    };
}

export const VELERO_SERVICE_ACCOUNT = "velero-server";
const VELERO_REPO = "https://vmware-tanzu.github.io/helm-charts";

/**
 * Velero from its Helm chart (pinned, AWS plugin), an IRSA role that can write tier 2 and
 * tier 3 but never destroy a version, a BackupStorageLocation per tier, and two Schedules
 * from the tier config:
 *  - tier 2: the daily configuration bundle, every Kubernetes object, no volume data,
 *    kept `tiers.configuration.tier2.retentionDays` (30 days);
 *  - tier 3: the weekly comprehensive backup, every object plus volume data through the node
 *    agent (kopia), kept a year in the Object Lock bucket.
 * Keys are written under `<tier>/configuration/velero/` so each tier's lifecycle rule applies.
 */
export class Velero extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly namespace: string;

    constructor(name: string, args: VeleroArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:platform:Velero", name, {}, opts);
        validateVeleroArgs(name, args);
        const ns = args.namespace ?? "velero";
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "fortress-dr" } } }, { parent: this });
        const role = this.declareRole(name, ns, args);
        const release = this.declareRelease(name, ns, args, role.arn, namespace);
        const locations = this.declareLocations(name, ns, args, release);
        if (args.schedules) this.declareSchedules(name, ns, args.schedules, locations);
        if (args.ageReporting) this.declareAgeReporting(name, args.locations, args.ageReporting);

        this.roleArn = role.arn;
        this.namespace = ns;
        this.registerOutputs({ roleArn: this.roleArn });
    }

    /** The server's IRSA role: writes (or, read-only, reads) tier 2 and tier 3, never destroys a version. */
    private declareRole(name: string, ns: string, args: VeleroArgs): IrsaRole {
        const readOnly = args.readOnly ?? false;
        return new IrsaRole(
            `${name}-role`,
            {
                description: readOnly
                    ? "Fortress DR: Velero server, reader of tier 2 and tier 3 configuration backups (restore side)"
                    : "Fortress DR: Velero server, writer of tier 2 and tier 3 configuration backups",
                accountId: args.accountId,
                oidcIssuer: args.oidcIssuer,
                namespace: ns,
                serviceAccounts: [VELERO_SERVICE_ACCOUNT],
                policyName: `${name}-policy`,
                policy: pulumi
                    .all([args.locations.tier2.bucketArn, args.locations.tier2.kmsKeyArn, args.locations.tier3.bucketArn, args.locations.tier3.kmsKeyArn])
                    .apply(([b2, k2, b3, k3]) => {
                        const policy = readOnly ? readerPolicy : writerPolicy;
                        return JSON.stringify(mergePolicies({ Tier2: policy(b2, k2), Tier3: policy(b3, k3) }));
                    }),
            },
            { parent: this },
        );
    }

    /** The Helm release: the AWS plugin, IRSA (no static key), kopia through the node agent; no locations of its own. */
    private declareRelease(name: string, ns: string, args: VeleroArgs, roleArn: pulumi.Output<string>, namespace: k8s.core.v1.Namespace): k8s.helm.v3.Release {
        const [repository, tag] = splitImage(name, "image", args.image);
        return new k8s.helm.v3.Release(
            name,
            {
                name: "velero",
                chart: "velero",
                version: args.chartVersion,
                repositoryOpts: { repo: VELERO_REPO },
                namespace: ns,
                atomic: true,
                values: {
                    image: { repository, tag },
                    initContainers: [
                        {
                            name: "velero-plugin-for-aws",
                            image: args.awsPluginImage,
                            imagePullPolicy: "IfNotPresent",
                            volumeMounts: [{ mountPath: "/target", name: "plugins" }],
                        },
                    ],
                    serviceAccount: { server: { create: true, name: VELERO_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": roleArn } } },
                    // IRSA, not a static key in a Secret.
                    credentials: { useSecret: false },
                    // Locations are declared below as objects of their own, validated against the CRDs.
                    configuration: { backupStorageLocation: [], volumeSnapshotLocation: [], uploaderType: "kopia" },
                    snapshotsEnabled: false,
                    // The node agent copies volume data for the weekly comprehensive backup.
                    deployNodeAgent: true,
                    metrics: { enabled: true },
                },
            },
            { parent: this, dependsOn: [namespace] },
        );
    }

    /** A BackupStorageLocation per tier, under `<tier>/configuration/velero`; read-only on the restore side. */
    private declareLocations(name: string, ns: string, args: VeleroArgs, release: k8s.helm.v3.Release): Record<RemoteTierId, k8s.apiextensions.CustomResource> {
        const readOnly = args.readOnly ?? false;
        const locations = {} as Record<RemoteTierId, k8s.apiextensions.CustomResource>;
        for (const tier of ["tier2", "tier3"] as const) {
            const loc = args.locations[tier];
            locations[tier] = new k8s.apiextensions.CustomResource(
                `${name}-${tier}`,
                {
                    apiVersion: "velero.io/v1",
                    kind: "BackupStorageLocation",
                    metadata: { name: tier, namespace: ns },
                    spec: {
                        provider: "aws",
                        default: tier === "tier2",
                        accessMode: readOnly ? "ReadOnly" : "ReadWrite",
                        objectStorage: { bucket: loc.bucketName, prefix: `${tier}/configuration/velero` },
                        config: {
                            region: loc.region,
                            kmsKeyId: loc.kmsKeyArn,
                            // The integrity header an Object Lock bucket (tier 3) requires on PutObject.
                            checksumAlgorithm: "CRC32",
                        },
                    },
                },
                { parent: this, dependsOn: [release] },
            );
        }
        return locations;
    }

    /** The daily configuration bundle to tier 2 (objects only) and the weekly comprehensive backup to tier 3 (with volume data). */
    private declareSchedules(name: string, ns: string, schedules: NonNullable<VeleroArgs["schedules"]>, locations: Record<RemoteTierId, k8s.apiextensions.CustomResource>): void {
        const schedule = (id: string, tier: RemoteTierId, volumes: boolean, s: VeleroSchedule) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${id}`,
                {
                    apiVersion: "velero.io/v1",
                    kind: "Schedule",
                    metadata: { name: id, namespace: ns, labels: fortressLabels({ dataClass: "configuration", tier, purpose: "backup" }) },
                    spec: {
                        schedule: s.snapshot,
                        useOwnerReferencesInBackup: false,
                        template: {
                            storageLocation: tier,
                            ttl: `${s.retentionDays * 24}h0m0s`,
                            includedNamespaces: ["*"],
                            includeClusterResources: true,
                            snapshotVolumes: false,
                            defaultVolumesToFsBackup: volumes,
                        },
                    },
                },
                { parent: this, dependsOn: [locations[tier]] },
            );
        schedule("configuration-daily", "tier2", false, schedules.tier2);
        schedule("comprehensive-weekly", "tier3", true, schedules.tier3);
    }

    /** Hourly CronJobs that publish each tier's newest Velero backup age (they write no backup). */
    private declareAgeReporting(name: string, locations: VeleroArgs["locations"], reporting: NonNullable<VeleroArgs["ageReporting"]>): void {
        for (const tier of ["tier2", "tier3"] as const) {
            const target: BackupTarget = { bucketName: locations[tier].bucketName, region: locations[tier].region, writerRoleArn: reporting.roleArns[tier] };
            new k8s.batch.v1.CronJob(
                `${name}-age-${tier}`,
                backupCronJobSpec({
                    name: `${name}-age-${tier}`,
                    namespace: reporting.namespace,
                    tier,
                    // Hourly: the alarm's threshold is a day or more, and a stale age must still show.
                    schedule: "17 * * * *",
                    image: reporting.jobImage,
                    script: "velero-backup-age.sh",
                    target,
                    prefix: `${tier}/configuration/velero/`,
                    serviceAccountName: reporting.serviceAccountName,
                    metricsRegion: reporting.metricsRegion,
                    dataClass: "configuration",
                    // Reports the newest backup's age; it writes no backup itself.
                    purpose: "backup-age",
                }),
                { parent: this },
            );
        }
    }
}

/** Schedules only when writing, TTLs that outlive their interval, pinned images. */
export function validateVeleroArgs(name: string, args: VeleroArgs): void {
    const readOnly = args.readOnly ?? false;
    if (readOnly && (args.schedules || args.ageReporting)) {
        throw new Error(`Velero ${name}: readOnly with ${args.schedules ? "schedules" : "ageReporting"}; a read-only Velero writes nothing — drop them or set readOnly false`);
    }
    if (!readOnly && !args.schedules) throw new Error(`Velero ${name}: schedules is missing; give tiers.configuration from the stack config (or set readOnly for the restore side)`);
    for (const [tier, s] of Object.entries(args.schedules ?? {})) {
        if (s.retentionDays * 86_400 < maxIntervalSeconds(s.snapshot)) {
            throw new Error(`Velero ${name}: schedules.${tier} keeps ${s.retentionDays} day(s) but runs "${s.snapshot}"; the TTL must outlive the interval`);
        }
    }
    splitImage(name, "image", args.image);
    splitImage(name, "awsPluginImage", args.awsPluginImage);
}

/** Several policies in one document, each statement's Sid suffixed with its source's name. */
export function mergePolicies(parts: Record<string, PolicyDocument>): PolicyDocument {
    return doc(...Object.entries(parts).flatMap(([suffix, d]) => d.Statement.map((s) => ({ ...s, Sid: `${s.Sid}${suffix}` }))));
}

function splitImage(component: string, field: string, image: string): [string, string] {
    const at = image.lastIndexOf(":");
    if (at <= 0 || image.slice(at).includes("/")) {
        throw new Error(`Velero ${component}: ${field} "${image}" has no tag; pin a version (repository:tag)`);
    }
    return [image.slice(0, at), image.slice(at + 1)];
}

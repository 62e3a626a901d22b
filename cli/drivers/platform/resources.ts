/**
 * Every custom resource the platform driver creates, built by pure functions and validated
 * against the vendored CRDs (crds/) before anything is sent: the API server would silently
 * prune a misspelt field, and a PerconaPGRestore with a pruned `--target` restores to the end
 * of the WAL instead of the chosen time.
 */
import { assertCustomResource } from "../../../crds";
import type { RecoveryTarget, Tier } from "../types";
import { pgTimestamp } from "../../parse";
import { SCRATCH_NAMESPACE_PREFIX } from "../../../components/core/names";

export const PERCONA_GROUP = "pgv2.percona.com";
export const PERCONA_VERSION = "v2";
export const PERCONA_API = `${PERCONA_GROUP}/${PERCONA_VERSION}`;
/** The PerconaPGCluster resource, as the client's custom-object calls name it. */
export const PG_CLUSTERS = { group: PERCONA_GROUP, version: PERCONA_VERSION, plural: "perconapgclusters" } as const;

/** Tier → the operator's pgBackRest repo name (components/postgres: repo1 local, repo2 S3 DR region, repo3 tier 3). */
export const REPO_OF_TIER: Readonly<Record<Tier, "repo1" | "repo2" | "repo3">> = { tier1: "repo1", tier2: "repo2", tier3: "repo3" };

const LABELS = { "app.kubernetes.io/managed-by": "fortress-cli" };

export interface CustomResource {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

function checked<T extends CustomResource>(obj: T): T {
    assertCustomResource(obj, `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
    return obj;
}

/** A Kubernetes object name from a run id: lower case, at most 63 characters. */
export function resourceName(prefix: string, runId: string): string {
    return `${prefix}-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

export function perconaBackup(o: { name: string; namespace: string; cluster: string; tier: Tier; type: "full" | "diff" | "incr"; reason?: string }): CustomResource {
    return checked({
        apiVersion: PERCONA_API,
        kind: "PerconaPGBackup",
        metadata: { name: o.name, namespace: o.namespace, labels: LABELS, annotations: o.reason ? { "fortress.dr/reason": o.reason } : undefined },
        spec: { pgCluster: o.cluster, repoName: REPO_OF_TIER[o.tier], options: [`--type=${o.type}`] },
    });
}

/**
 * pgBackRest restore options for a target, as the operator accepts them. The operator REFUSES
 * `--target-action` (and `--repo`, `--stanza`, `--pg1-path`, `--link-map`): it records a Warning
 * event "InvalidDataSource" and never starts the restore — a resource that would sit "Starting"
 * forever. It appends `--target-action=promote` itself whenever a `--target` is given, so a
 * restored copy on the platform is OPENED at its target (new timeline), never held paused
 * (PGO reconcileRestoreJob; docs/recovery-commands.md). The restored copy's safety on the
 * platform comes from where it is (a scratch namespace, backups disabled, archive_command
 * `true`), not from a paused recovery.
 */
export function restoreOptions(target: RecoveryTarget, set?: string): string[] {
    const setOpt = set ? [`--set=${set}`] : [];
    switch (target.kind) {
        case "time":
            return [...setOpt, "--type=time", `--target=${pgTimestamp(target.time)}`];
        case "lsn":
            return [...setOpt, "--type=lsn", `--target=${target.lsn}`];
        case "set":
            return [`--set=${target.label}`, "--type=immediate"];
        case "latest":
            return [...setOpt];
    }
}

/** Options the operator refuses in restore/dataSource options (it sets them itself). */
export const OPERATOR_OWNED_OPTIONS = ["--repo=", "--stanza", "--pg1-path", "--target-action", "--link-map"] as const;

export function assertOperatorAcceptsOptions(options: readonly string[], what: string): void {
    const bad = options.filter((o) => OPERATOR_OWNED_OPTIONS.some((b) => o.includes(b)));
    if (bad.length) throw new Error(`${what}: option(s) ${bad.join(" ")} are set by the operator and make it refuse the restore (InvalidDataSource)`);
}

/** An in-place restore of the cluster (the command allows it only with the source proved fenced). */
export function perconaRestore(o: { name: string; namespace: string; cluster: string; tier: Tier; target: RecoveryTarget; set?: string; reason?: string }): CustomResource {
    return checked({
        apiVersion: PERCONA_API,
        kind: "PerconaPGRestore",
        metadata: { name: o.name, namespace: o.namespace, labels: LABELS, annotations: o.reason ? { "fortress.dr/reason": o.reason } : undefined },
        spec: { pgCluster: o.cluster, repoName: REPO_OF_TIER[o.tier], options: withOperatorCheck(restoreOptions(o.target, o.set), `PerconaPGRestore ${o.name}`) },
    });
}

function withOperatorCheck(options: string[], what: string): string[] {
    assertOperatorAcceptsOptions(options, what);
    return options;
}

/** The parts of the live PerconaPGCluster a scratch copy is built from (read, never guessed). */
export interface SourceClusterView {
    readonly crVersion?: string;
    readonly image?: string;
    readonly postgresVersion: number;
    readonly dataVolumeClaimSpec: Record<string, unknown>;
    /** The tier's repo as the source declares it (name, s3: bucket/endpoint/region). */
    readonly repo: Record<string, unknown> & { name: string };
    /** pgBackRest global settings of that repo (`repoN-path`, `repoN-s3-uri-style`, ...), keys of the repo only. */
    readonly global: Record<string, string>;
    /** Secret projections holding the repo credentials/config; copied into the scratch namespace. */
    readonly configuration: readonly Record<string, unknown>[];
}

/** Reads what a scratch copy needs from the source cluster object; names what is missing. */
export function sourceView(cluster: { metadata?: { name?: string }; spec?: Record<string, any> }, tier: Tier): SourceClusterView {
    const spec = cluster.spec ?? {};
    const name = cluster.metadata?.name ?? "(unnamed)";
    const repoName = REPO_OF_TIER[tier];
    const pgb = spec.backups?.pgbackrest ?? {};
    const repo = (pgb.repos ?? []).find((r: { name?: string }) => r.name === repoName);
    if (!repo) throw new Error(`PerconaPGCluster ${name} declares no pgBackRest repo ${repoName} for ${tier} (spec.backups.pgbackrest.repos)`);
    if (!repo.s3 && !repo.gcs && !repo.azure) throw new Error(`PerconaPGCluster ${name}: repo ${repoName} is a volume repo; a new cluster can only restore from a cloud repo (s3/gcs/azure)`);
    const inst = (spec.instances ?? [])[0];
    if (!inst?.dataVolumeClaimSpec) throw new Error(`PerconaPGCluster ${name} has no spec.instances[0].dataVolumeClaimSpec to size the copy from`);
    if (typeof spec.postgresVersion !== "number") throw new Error(`PerconaPGCluster ${name} has no spec.postgresVersion`);
    const idx = repoName.slice(4);
    const global = Object.fromEntries(Object.entries((pgb.global ?? {}) as Record<string, string>).filter(([k]) => k.startsWith(`repo${idx}-`)));
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { schedules, ...repoNoSchedules } = repo;
    return { crVersion: spec.crVersion, image: spec.image, postgresVersion: spec.postgresVersion, dataVolumeClaimSpec: inst.dataVolumeClaimSpec, repo: repoNoSchedules, global, configuration: pgb.configuration ?? [] };
}

/** Secret names referenced by pgBackRest configuration projections (copied into the scratch namespace). */
export function secretNamesOf(configuration: readonly Record<string, unknown>[]): string[] {
    return configuration.map((p) => (p.secret as { name?: string } | undefined)?.name).filter((n): n is string => !!n);
}

export const SCRATCH_LABELS = { ...LABELS, "fortress.dr/scratch": "true" };

/** The scratch namespace of a destination: `fortress-scratch-<name>` (a DNS label; the prefix is the one the stacks' scratch reader role trusts). */
export function scratchNamespace(destinationName: string): string {
    return resourceName(SCRATCH_NAMESPACE_PREFIX.replace(/-$/, ""), destinationName);
}

/** The scratch cluster's name: the destination name as a DNS label. */
export function scratchClusterName(destinationName: string): string {
    const n = destinationName.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+/, "").slice(0, 40).replace(/-+$/, "");
    if (!n) throw new Error(`destination name "${destinationName}" has no usable characters for a Kubernetes name; use --into <letters-digits-dashes>`);
    return n;
}

/**
 * A NEW PerconaPGCluster restored from the tier's repo (spec.dataSource.pgbackrest, the
 * operator's cloud data source): one instance, backups DISABLED (the operator then sets
 * archive_command to `true`: the copy archives nothing, into no repo), no proxy, not exposed.
 */
export function scratchCluster(o: { name: string; namespace: string; source: SourceClusterView; target: RecoveryTarget; set?: string; reason?: string }): CustomResource {
    const options = withOperatorCheck(restoreOptions(o.target, o.set), `PerconaPGCluster ${o.namespace}/${o.name} dataSource`);
    return checked({
        apiVersion: PERCONA_API,
        kind: "PerconaPGCluster",
        metadata: { name: o.name, namespace: o.namespace, labels: SCRATCH_LABELS, annotations: o.reason ? { "fortress.dr/reason": o.reason } : undefined },
        spec: {
            ...(o.source.crVersion ? { crVersion: o.source.crVersion } : {}),
            ...(o.source.image ? { image: o.source.image } : {}),
            postgresVersion: o.source.postgresVersion,
            instances: [{ name: "instance1", replicas: 1, dataVolumeClaimSpec: o.source.dataVolumeClaimSpec }],
            backups: { enabled: false },
            dataSource: {
                pgbackrest: {
                    stanza: "db",
                    repo: o.source.repo,
                    ...(Object.keys(o.source.global).length ? { global: o.source.global } : {}),
                    ...(o.source.configuration.length ? { configuration: o.source.configuration } : {}),
                    options,
                },
            },
        },
    });
}

export const VELERO_API = "velero.io/v1";

/** An on-demand Velero Backup (validated against Velero v1.18.1's BackupSpec, see crds/README.md). */
export function veleroBackup(o: { name: string; namespace: string; storageLocation: string; ttlHours: number; includeVolumes: boolean }): CustomResource {
    return checked({
        apiVersion: VELERO_API,
        kind: "Backup",
        metadata: { name: o.name, namespace: o.namespace, labels: LABELS },
        spec: {
            storageLocation: o.storageLocation,
            ttl: `${o.ttlHours}h0m0s`,
            includedNamespaces: ["*"],
            includeClusterResources: true,
            snapshotVolumes: false,
            defaultVolumesToFsBackup: o.includeVolumes,
        },
    });
}

/**
 * A Job from a CronJob's template, as `kubectl create job --from=cronjob/<name>` builds it:
 * same pod template, the `cronjob.kubernetes.io/instantiate: manual` annotation, owned by the
 * CronJob (so its history limits clean it up). Not a custom resource: the API server validates it.
 */
export function jobFromCronJob(cron: { metadata?: { name?: string; uid?: string; namespace?: string }; spec?: { jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> } } }, name: string) {
    const tpl = cron.spec?.jobTemplate;
    if (!tpl?.spec) throw new Error(`CronJob ${cron.metadata?.namespace}/${cron.metadata?.name} has no spec.jobTemplate.spec`);
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            namespace: cron.metadata?.namespace,
            labels: { ...(tpl.metadata?.labels ?? {}), ...LABELS },
            annotations: { ...(tpl.metadata?.annotations ?? {}), "cronjob.kubernetes.io/instantiate": "manual" },
            ownerReferences: cron.metadata?.uid ? [{ apiVersion: "batch/v1", kind: "CronJob", name: cron.metadata.name!, uid: cron.metadata.uid, controller: true }] : undefined,
        },
        spec: tpl.spec,
    };
}


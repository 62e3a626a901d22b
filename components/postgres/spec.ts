/**
 * The PerconaPGCluster custom resource as plain data: the primary, the DR standby and a
 * cluster rebuilt from a repository. Pure (values may be Pulumi inputs, but nothing here
 * creates a resource), so tests validate every variant against the operator's CRD.
 *
 * The CRD is operator v3.0.0's (crds/percona-pg-crd.yaml); the Helm chart is
 * pinned to the same version (postgres.operatorChartVersion) and `crVersion` says so too.
 */
import { PgBackRestSettings, RenderedRepo, operatorGlobalOptions } from "./pgbackrest";

export const PERCONA_API_VERSION = "pgv2.percona.com/v2";
export const PERCONA_KIND = "PerconaPGCluster";
/** The operator version the CRD file and the chart pin belong to. */
export const PERCONA_CR_VERSION = "3.0.0";

export type ClusterRole =
    /** The platform's database: Patroni synchronous mode, all three repos with their schedules. */
    | { readonly kind: "primary" }
    /** DR pilot light: streams from the primary over TLS and falls back to repo2; no schedules. */
    | { readonly kind: "standby"; readonly host: string; readonly port: number }
    /** DR rebuild: a new cluster restored from repo2 or repo3, optionally to a point in time. */
    | { readonly kind: "rebuild"; readonly repo: "repo2" | "repo3"; readonly targetTime?: string };

export interface ClusterSpecInput {
    readonly role: ClusterRole;
    readonly postgresVersion: number;
    readonly image: string;
    readonly instances: number;
    readonly storageClass: string;
    readonly storageSize: string;
    /** Tier 1: a volume of the local NVMe storage class on the repo host. */
    readonly repo1: { readonly storageClass: string; readonly size: string };
    readonly settings: PgBackRestSettings;
    readonly stanza: string;
    /** Secret holding secrets.conf (cipher passphrases) and ConfigMap holding archive-push.conf. */
    readonly configuration: { readonly secretName: string; readonly configMapName: string };
    /** Server and replication-client certificates signed by the CA both regions share. */
    readonly tls: { readonly serverSecretName: string; readonly replicationSecretName: string };
    /** Promoted: a standby or rebuild that now takes writes and backs itself up. */
    readonly promoted: boolean;
    readonly pgBouncerReplicas: number;
    /** S1 detection objective (`objectives.scenarios.S1.detectSeconds`): bounds Patroni's leader lease. */
    readonly failoverDetectSeconds: number;
}

export class ClusterSpecError extends Error {}

/** The regional S3 endpoint of a tier bucket. */
export const S3_ENDPOINT = (region: string) => `s3.${region}.amazonaws.com`;

function repoEntry(input: ClusterSpecInput, repo: RenderedRepo, withSchedules: boolean): Record<string, unknown> {
    const schedules = withSchedules ? { schedules: { ...repo.schedules } } : {};
    if (repo.location.kind === "posix") {
        return {
            name: repo.name,
            volume: {
                volumeClaimSpec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: input.repo1.storageClass,
                    resources: { requests: { storage: input.repo1.size } },
                },
            },
            ...schedules,
        };
    }
    const l = repo.location;
    return { name: repo.name, s3: { bucket: l.bucket, region: l.region, endpoint: l.endpoint }, ...schedules };
}

/** Keeps only the options of the given repos (a standby must not carry repo1/repo3 settings). */
function optionsFor(settings: PgBackRestSettings, repos: readonly RenderedRepo[]): Record<string, string> {
    const keep = new Set(repos.map((r) => r.name));
    return Object.fromEntries(
        Object.entries(operatorGlobalOptions(settings)).filter(([k]) => {
            const m = /^(repo\d+)-/.exec(k);
            return m === null || keep.has(m[1]);
        }),
    );
}

/** Patroni's floor for its leader key's TTL. */
export const PATRONI_MIN_TTL_SECONDS = 20;
export const PATRONI_LOOP_WAIT_SECONDS = 5;

/**
 * Patroni timings that detect a dead primary within the S1 objective: a replica takes over
 * once the leader key expires (ttl) and its next loop runs (loop_wait), so ttl + loop_wait
 * must fit the objective. retry_timeout keeps Patroni's rule loop_wait + 2 × retry_timeout ≤ ttl.
 * Shorter leases fail over faster and also on shorter Kubernetes API hiccups.
 */
export function patroniTimings(detectSeconds: number): { leaderLeaseSeconds: number; syncPeriodSeconds: number; retryTimeoutSeconds: number } {
    const lease = detectSeconds - PATRONI_LOOP_WAIT_SECONDS;
    if (!Number.isInteger(detectSeconds) || lease < PATRONI_MIN_TTL_SECONDS) {
        throw new ClusterSpecError(
            `objectives.scenarios.S1.detectSeconds: ${detectSeconds} s leaves Patroni a leader lease of ${lease} s, below its ${PATRONI_MIN_TTL_SECONDS} s minimum; use at least ${PATRONI_MIN_TTL_SECONDS + PATRONI_LOOP_WAIT_SECONDS}`,
        );
    }
    return { leaderLeaseSeconds: lease, syncPeriodSeconds: PATRONI_LOOP_WAIT_SECONDS, retryTimeoutSeconds: Math.floor((lease - PATRONI_LOOP_WAIT_SECONDS) / 2) };
}

export function perconaClusterSpec(input: ClusterSpecInput): Record<string, unknown> {
    validateClusterSpecInput(input);
    const { role } = input;
    const repos = reposOf(input);
    const writes = role.kind !== "standby" || input.promoted;
    const spec: Record<string, unknown> = {
        crVersion: PERCONA_CR_VERSION,
        image: input.image,
        postgresVersion: input.postgresVersion,
        instances: [
            {
                name: "instance1",
                replicas: input.instances,
                dataVolumeClaimSpec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: input.storageClass,
                    resources: { requests: { storage: input.storageSize } },
                },
            },
        ],
        patroni: patroniSection(input),
        proxy: { pgBouncer: { replicas: input.pgBouncerReplicas } },
        secrets: {
            customTLSSecret: { name: input.tls.serverSecretName },
            customReplicationTLSSecret: { name: input.tls.replicationSecretName },
        },
        backups: {
            pgbackrest: {
                configuration: [{ secret: { name: input.configuration.secretName } }, { configMap: { name: input.configuration.configMapName } }],
                global: optionsFor(input.settings, repos),
                repos: repos.map((r) => repoEntry(input, r, writes)),
            },
        },
    };
    if (role.kind === "standby" && !input.promoted) {
        spec.standby = { enabled: true, host: role.host, port: role.port, repoName: "repo2" };
    }
    if (role.kind === "rebuild") spec.dataSource = rebuildDataSource(input, role);
    return spec;
}

function validateClusterSpecInput(input: ClusterSpecInput): void {
    const { role } = input;
    if (!Number.isInteger(input.instances) || input.instances < 1) {
        throw new ClusterSpecError(`postgres.instances: got ${input.instances}; use at least 1 (3 gives a synchronous replica and a spare)`);
    }
    if (role.kind === "rebuild" && role.targetTime !== undefined && Number.isNaN(Date.parse(role.targetTime))) {
        throw new ClusterSpecError(`dr.targetTime: "${role.targetTime}" is not a date; use ISO 8601 with a zone, e.g. "2026-03-01T12:00:00Z"`);
    }
}

const repoNamed = (input: ClusterSpecInput, name: string): RenderedRepo => input.settings.repos.find((r) => r.name === name)!;

/**
 * Who writes where. The primary: all three tiers. Once the DR region is promoted it is the
 * primary: its own NVMe (tier 1) and the DR-region bucket (tier 2); tier 3 stays the old
 * primary's, read only by a rebuild. A standby only reads repo2. A rebuild that is not yet
 * promoted (a rehearsal, or a point-in-time copy) keeps its WAL and backups to itself on
 * repo1: pushing into repo2 beside a primary that may still be alive would mix two histories.
 */
function reposOf(input: ClusterSpecInput): readonly RenderedRepo[] {
    if (input.role.kind === "primary") return input.settings.repos;
    if (input.promoted) return [repoNamed(input, "repo1"), repoNamed(input, "repo2")];
    return input.role.kind === "standby" ? [repoNamed(input, "repo2")] : [repoNamed(input, "repo1")];
}

/** Patroni: the leader lease within the S1 objective, one synchronous replica. */
function patroniSection(input: ClusterSpecInput): Record<string, unknown> {
    const patroni = patroniTimings(input.failoverDetectSeconds);
    return {
        leaderLeaseDurationSeconds: patroni.leaderLeaseSeconds,
        syncPeriodSeconds: patroni.syncPeriodSeconds,
        // One synchronous replica: an in-region failover loses no acknowledged commit.
        // Not strict: with the replica gone the primary keeps taking writes, asynchronously.
        dynamicConfiguration: {
            retry_timeout: patroni.retryTimeoutSeconds,
            synchronous_mode: true,
            synchronous_node_count: 1,
            synchronous_mode_strict: false,
            postgresql: { parameters: { ...withoutOperatorOwned(input.settings.postgresParameters), synchronous_commit: "on" } },
        },
    };
}

/** A rebuild's restore: from repo2 or repo3, to the end of the archive or to a point in time. */
function rebuildDataSource(input: ClusterSpecInput, role: Extract<ClusterRole, { kind: "rebuild" }>): Record<string, unknown> {
    const source = repoNamed(input, role.repo);
    return {
        pgbackrest: {
            stanza: input.stanza,
            configuration: [{ secret: { name: input.configuration.secretName } }],
            global: optionsFor(input.settings, [source]),
            repo: repoEntry(input, source, false),
            options: role.targetTime !== undefined ? ["--type=time", `--target=${role.targetTime}`, "--target-action=promote"] : [],
        },
    };
}

/** archive_mode and archive_command belong to the operator (it sets them for pgBackRest). */
function withoutOperatorOwned(params: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(params).filter(([k]) => k !== "archive_mode" && k !== "archive_command"));
}

/** The whole custom resource. */
export function perconaCluster(name: string, namespace: string, input: ClusterSpecInput): { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> } {
    return { apiVersion: PERCONA_API_VERSION, kind: PERCONA_KIND, metadata: { name, namespace }, spec: perconaClusterSpec(input) };
}

/**
 * The stack configuration schema: every key a stack file may set, its type, its default and
 * the cross-field rules. Pure (no Pulumi import) so the plan tool, the tests and the policies
 * can validate a config without the engine. `config.ts` is the only module that reads
 * `pulumi.Config`; it hands the raw values to `validateConfig` below.
 *
 * Defaults come from the platform's DR plan (../shared/original-dr-plan.md) and the
 * architecture's objectives table; a stack file overrides them.
 */
import { z } from "zod";
import { CronError, maxIntervalSeconds, parseCron } from "../components/core/cron";
import { AWS_REGIONS, GCS_LOCATIONS, MIN_TIER2_DISTANCE_KM, distanceKm } from "../components/core/regions";
import { erasureSection } from "./erasure-schema";

/** The config namespace: the project name in Pulumi.yaml. */
export const NAMESPACE = "fortress-dr";

const DAY = 86_400;

// ---------------------------------------------------------------------------------------------
// Building blocks

const awsRegion = z.string().refine((r) => r in AWS_REGIONS, {
    error: (iss) =>
        `"${String(iss.input)}" is not a known AWS region; use one of ${Object.keys(AWS_REGIONS).join(", ")}`,
});

const cron = z.string().superRefine((value, ctx) => {
    try {
        maxIntervalSeconds(parseCron(value));
    } catch (e) {
        ctx.addIssue({
            code: "custom",
            message: `${e instanceof CronError ? e.message : String(e)}. Use five fields, e.g. "*/15 * * * *" for every 15 minutes`,
        });
    }
});

const positiveInt = z.number().int().positive();
const seconds = z.number().int().nonnegative();

// ---------------------------------------------------------------------------------------------
// Recovery objectives (ARCHITECTURE.md "Recovery objectives"): data, not constants.

export const SCENARIOS = ["S1", "S2", "S3", "S4", "S5"] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const SCENARIO_NAMES: Readonly<Record<ScenarioId, string>> = {
    S1: "service failure",
    S2: "database corruption",
    S3: "complete infrastructure failure",
    S4: "regional disaster",
    S5: "security breach",
};

const scenarioObjective = z.strictObject({
    detectSeconds: seconds,
    rtoSeconds: seconds,
    /** null: "depends on scope" (S5). */
    rpoSeconds: seconds.nullable(),
});
export type ScenarioObjective = z.infer<typeof scenarioObjective>;

export const DEFAULT_SCENARIO_OBJECTIVES: Readonly<Record<ScenarioId, ScenarioObjective>> = {
    S1: { detectSeconds: 30, rtoSeconds: 120, rpoSeconds: 0 },
    S2: { detectSeconds: 120, rtoSeconds: 300, rpoSeconds: 60 },
    S3: { detectSeconds: 60, rtoSeconds: 900, rpoSeconds: 300 },
    S4: { detectSeconds: 300, rtoSeconds: 600, rpoSeconds: 300 },
    S5: { detectSeconds: 120, rtoSeconds: 1200, rpoSeconds: null },
};

export const DATA_CLASS_OBJECTIVES = ["database", "configuration", "logs", "uploads", "cache"] as const;
export type DataClassObjectiveId = (typeof DATA_CLASS_OBJECTIVES)[number];

export const DEFAULT_DATA_CLASS_RPO: Readonly<Record<DataClassObjectiveId, number>> = {
    database: 60,
    configuration: 300,
    logs: 300,
    uploads: 300,
    // Redis is a cache, but its snapshots are the DR plan's 5-minute tier-1 schedule.
    cache: 300,
};

const objectives = z
    .strictObject({
        scenarios: z.partialRecord(z.enum(SCENARIOS), scenarioObjective).prefault({}),
        dataClasses: z
            .partialRecord(z.enum(DATA_CLASS_OBJECTIVES), z.strictObject({ rpoSeconds: seconds }))
            .prefault({}),
        /** RTO of the services marked critical (DR plan: "Critical services: <5 minutes"). */
        criticalServicesRtoSeconds: seconds.default(300),
        /**
         * Risks the stack accepts, one per objectives cell (`S4.uploads.rpo`): the worst bound it
         * accepts in seconds and why. A cell at risk or over its objective passes the objectives
         * rule only while its bound is at most `worstSeconds`; the plan prints every one.
         */
        acceptedRisks: z
            .array(
                z.strictObject({
                    cell: z.string().regex(/^S[1-5]\.(services|database|cache|configuration|logs|uploads)\.(detect|rto|rpo)$/, 'must name an objectives cell as "<S1-S5>.<services|database|cache|configuration|logs|uploads>.<detect|rto|rpo>", e.g. "S4.uploads.rpo"'),
                    worstSeconds: z.number().positive(),
                    reason: z.string().min(20, "say why the risk is acceptable (at least 20 characters)"),
                }),
            )
            .default([])
            .superRefine((risks, ctx) => {
                const seen = new Set<string>();
                risks.forEach((r, i) => {
                    if (seen.has(r.cell)) ctx.addIssue({ code: "custom", path: [i, "cell"], message: `${r.cell} is accepted twice; keep one entry per cell` });
                    seen.add(r.cell);
                });
            }),
    })
    .prefault({});

// ---------------------------------------------------------------------------------------------
// Tiers: one definition per data class and tier, read by the jobs, the policies and the model.

export const TIERS = ["tier1", "tier2", "tier3"] as const;
export type TierId = (typeof TIERS)[number];

const pgRepoSchedule = z.strictObject({
    full: cron,
    differential: cron.optional(),
    incremental: cron.optional(),
    /** Time-based retention of full backups (pgBackRest repoN-retention-full-type=time). */
    retentionDays: positiveInt,
});
export type PgRepoSchedule = z.infer<typeof pgRepoSchedule>;

const snapshotSchedule = z.strictObject({
    snapshot: cron,
    retentionDays: positiveInt,
});
export type SnapshotSchedule = z.infer<typeof snapshotSchedule>;

const tierDefinitions = z
    .strictObject({
        database: z
            .strictObject({
                tier1: pgRepoSchedule.prefault({ full: "0 1 * * *", incremental: "*/15 * * * *", retentionDays: 1 }),
                tier2: pgRepoSchedule.prefault({ full: "0 */4 * * *", incremental: "30 * * * *", retentionDays: 30 }),
                tier3: pgRepoSchedule.prefault({ full: "0 2 * * *", retentionDays: 365 }),
            })
            .prefault({}),
        redis: z
            .strictObject({
                // Every 4 minutes, not the DR plan's 5: the loss bound is the interval plus the
                // job's run time (5.6 s measured by the Redis drill), which must stay under 5 min.
                tier1: snapshotSchedule.prefault({ snapshot: "*/4 * * * *", retentionDays: 1 }),
                tier2: snapshotSchedule.prefault({ snapshot: "*/15 * * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "15 3 * * *", retentionDays: 365 }),
            })
            .prefault({}),
        /** Kubernetes objects (Velero). Tier 1 of configuration is git: every change is a commit. */
        configuration: z
            .strictObject({
                tier2: snapshotSchedule.prefault({ snapshot: "0 1 * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "0 4 * * 0", retentionDays: 365 }),
            })
            .prefault({}),
        /** Sealed Secrets sealing key and Vault raft snapshots ("on rotation": checked hourly). */
        secrets: z
            .strictObject({
                tier2: snapshotSchedule.prefault({ snapshot: "5 * * * *", retentionDays: 30 }),
                tier3: snapshotSchedule.prefault({ snapshot: "35 3 * * *", retentionDays: 365 }),
            })
            .prefault({}),
    })
    .prefault({});
export type TierDefinitions = z.infer<typeof tierDefinitions>;

const lifecycleTransition = z.strictObject({
    afterDays: positiveInt,
    storageClass: z.enum(["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]),
});

const storage = z
    .strictObject({
        tier1: z.strictObject({ transitions: z.array(lifecycleTransition).default([]) }).prefault({}),
        tier2: z.strictObject({ transitions: z.array(lifecycleTransition).default([]) }).prefault({}),
        tier3: z
            .strictObject({
                // Glacier Instant Retrieval keeps pgBackRest able to read the repo without a restore request.
                transitions: z.array(lifecycleTransition).default([{ afterDays: 30, storageClass: "GLACIER_IR" }]),
                objectLock: z
                    .strictObject({
                        mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).default("COMPLIANCE"),
                        days: positiveInt.default(365),
                    })
                    .prefault({}),
            })
            .prefault({}),
        /** Monthly compliance archives and the log archive (DR plan: access logs kept 7 years). */
        complianceRetentionDays: positiveInt.default(2557),
    })
    .prefault({});

// ---------------------------------------------------------------------------------------------
// Where things run

const regions = z.strictObject({
    primary: awsRegion,
    dr: awsRegion,
    /** Third AWS region: tier 3 (S3 Object Lock). */
    tier3: awsRegion,
});

const gcs = z.strictObject({
    project: z.string().min(1),
    location: z.string().refine((l) => l in GCS_LOCATIONS, {
        error: (iss) =>
            `"${String(iss.input)}" is not a GCS multi-region or predefined dual-region; use one of ${Object.keys(GCS_LOCATIONS).join(", ")}`,
    }),
    /** Lock the tier-3 retention policy (irreversible). Required in prod. */
    lockRetention: z.boolean().default(false),
    /** The AWS account's role that Storage Transfer Service assumes through web identity federation. */
    transferRoleName: z.string().default("fortress-gcs-transfer"),
});

const kubernetes = z
    .strictObject({
        /** `existing`: a cluster reached by the secret `kubeconfig`; `eks`: the stack creates one. */
        cluster: z.enum(["existing", "eks"]).default("existing"),
        namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label").default("fortress"),
        /** kubeconfig context to use when no `kubeconfig` secret is set (ambient KUBECONFIG). */
        context: z.string().min(1).optional(),
        /** Storage class of the local NVMe volumes (tier 1 of the database). */
        nvmeStorageClass: z.string().default("local-nvme"),
        /** Storage class of ordinary persistent volumes. */
        storageClass: z.string().default("gp3"),
        /** OIDC provider of the cluster, for IRSA (`oidc.eks.<region>.amazonaws.com/id/<id>`). */
        oidcProvider: z.string().optional(),
        eks: z
            .strictObject({
                version: z.string().regex(/^1\.\d+$/, 'must look like "1.31"').default("1.31"),
                instanceType: z.string().default("m6i.xlarge"),
                minSize: z.number().int().nonnegative().default(2),
                desiredSize: positiveInt.default(3),
                maxSize: positiveInt.default(6),
                /**
                 * Private subnets of an existing VPC for the cluster and its nodes (at least two
                 * availability zones). Unset: the stack creates a VPC with a public and a private
                 * subnet and a NAT gateway in each of three zones.
                 */
                subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must look like "subnet-0123abcd"')).min(2).optional(),
                /** CIDR of the VPC the stack creates (ignored with subnetIds). */
                vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/16$/, 'must be a /16, e.g. "10.60.0.0/16"').default("10.60.0.0/16"),
            })
            .prefault({}),
    })
    .prefault({});

const service = z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label"),
    image: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(8080),
    replicas: positiveInt.default(2),
    critical: z.boolean().default(false),
    healthPath: z.string().startsWith("/").default("/healthz"),
    /** Public hostnames (endpoints.hosts[].hostname) the DR ingress routes to this service. */
    hosts: z.array(z.string().min(1)).default([]),
    /**
     * Liveness and readiness probes (DR plan: every 10 s, 5 s timeout, 3 failures). Readiness
     * acts after 2 failures so a hung pod leaves traffic within the 30 s detection objective
     * (see components/workloads/manifests.ts).
     */
    probes: z
        .strictObject({
            periodSeconds: positiveInt.default(10),
            timeoutSeconds: positiveInt.default(5),
            failureThreshold: positiveInt.default(3),
            readinessFailureThreshold: positiveInt.default(2),
        })
        .prefault({}),
});

const endpoints = z.strictObject({
    hostedZoneId: z.string().min(1),
    hosts: z
        .array(
            z.strictObject({
                hostname: z.string().min(1),
                /** DNS name of the primary region's load balancer. */
                primaryTarget: z.string().min(1),
                /** Stable DNS name the DR stack points at its ingress; the SECONDARY record's target. */
                drTarget: z.string().min(1),
                healthPath: z.string().startsWith("/").default("/healthz"),
            }),
        )
        .min(1),
    healthCheck: z
        .strictObject({
            intervalSeconds: z.union([z.literal(10), z.literal(30)]).default(10),
            failureThreshold: z.number().int().min(1).max(10).default(3),
            regions: z.array(z.enum(["us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"])).min(3).default(["us-east-1", "us-west-2", "eu-west-1"]),
        })
        .prefault({}),
    ttlSeconds: z.number().int().min(1).max(60, "failover records must use a TTL of at most 60 s").default(30),
    /**
     * The region the PRIMARY failover records point at. Set to "dr" after a promotion so that
     * traffic never fails back on its own to a recovered primary whose database is stale.
     */
    activeRegion: z.enum(["primary", "dr"]).default("primary"),
});

const alerts = z
    .strictObject({
        subscribers: z
            .array(z.strictObject({ protocol: z.enum(["email", "https", "sms", "lambda", "sqs"]), endpoint: z.string().min(1) }))
            .default([]),
    })
    .prefault({});

const postgres = z
    .strictObject({
        /**
         * Percona Operator for PostgreSQL Helm chart (percona/pg-operator). 3.0.0: the version of
         * the CRD the stacks' custom resources are validated against (crds/).
         */
        operatorChartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like "3.0.0"').default("3.0.0"),
        /** PostgreSQL image of the instances (one of the operator release's certified images). */
        image: z.string().min(1).default("percona/percona-distribution-postgresql:15.18-1"),
        pgBouncerReplicas: positiveInt.default(2),
        /**
         * DNS name (and port) at which the DR region reaches the primary cluster for streaming
         * replication over TLS (an internal load balancer of the primary's PostgreSQL service).
         */
        replicationHost: z.string().min(1).optional(),
        replicationPort: z.number().int().min(1024).max(65535).default(5432),
        postgresVersion: z.number().int().min(13).max(17).default(15),
        instances: z.number().int().min(1).default(3),
        storageSize: z.string().default("100Gi"),
        repo1Size: z.string().default("200Gi"),
        /** Upper bound of the local WAL queue while a repo is unreachable (archive-push-queue-max). */
        walQueueMax: z.string().regex(/^\d+(GiB|MiB)$/, 'must look like "4GiB"').default("4GiB"),
        /**
         * io-timeout of WAL archiving only (backups and restores keep pgBackRest's 60 s): how long
         * one S3 read/write may make no progress. It bounds how long an unreachable S3 repo holds
         * back WAL to the local repo (docs/postgres.md, drill (e)).
         */
        archivePushIoTimeoutSeconds: positiveInt.max(60).default(2),
        /** Parallel pgBackRest processes (async WAL push, backups). */
        archiveProcessMax: positiveInt.max(16).default(2),
        stanza: z.string().default("db"),
    })
    .prefault({});

const redis = z
    .strictObject({
        /** Server and Sentinel image; jobs/Dockerfile copies its tools from the same image. */
        image: z.string().default("valkey/valkey:8.1.3"),
        storageSize: z.string().default("10Gi"),
        /** Replica lag alarm threshold (DR plan: lag monitoring < 1 s). */
        maxReplicaLagSeconds: positiveInt.default(1),
        /** Prometheus exporter sidecar: replica lag and offsets per member. */
        exporterImage: z.string().default("oliver006/redis_exporter:v1.67.0"),
    })
    .prefault({});

const platform = z
    .strictObject({
        velero: z
            .strictObject({
                /** vmware-tanzu/velero chart; its major version tracks Velero's minor (12.x: Velero 1.18). */
                chartVersion: z.string().default("12.0.3"),
                /** The server image; its CRDs are the ones the tests validate against (v1.18.1). */
                image: z.string().default("velero/velero:v1.18.1"),
                /** AWS plugin built for Velero 1.18. */
                awsPluginImage: z.string().default("velero/velero-plugin-for-aws:v1.14.0"),
            })
            .prefault({}),
        sealedSecrets: z
            .strictObject({
                chartVersion: z.string().default("2.17.3"),
                /** Where the controller and its sealing keys live (kubeseal's default). */
                namespace: z.string().default("kube-system"),
            })
            .prefault({}),
        vault: z
            .strictObject({
                enabled: z.boolean().default(true),
                /** Where the raft snapshot jobs reach Vault. */
                address: z.string().url().default("https://vault-active.vault.svc:8200"),
                /** Vault's namespace and service account (the auto-unseal role trusts them). */
                namespace: z.string().default("vault"),
                serviceAccount: z.string().default("vault"),
                /** Vault Kubernetes-auth role bound to the backup jobs' service account. */
                snapshotRole: z.string().default("fortress-backup"),
            })
            .prefault({}),
    })
    .prefault({});

const dr = z.strictObject({
    /** The primary stack this DR stack reads, `<org>/fortress-dr/<stack>`. */
    primaryStack: z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, 'must be "<organization>/<project>/<stack>"'),
    mode: z.enum(["pilot-light", "rebuild"]).default("pilot-light"),
    /** The DR region becomes the primary. */
    promote: z.boolean().default(false),
    /** Where a rebuild restores from. */
    restoreFrom: z.enum(["stream", "tier2", "tier3"]).default("stream"),
    /** Point-in-time target of a rebuild (ISO 8601 with zone). */
    targetTime: z.iso.datetime({ offset: true }).optional(),
    /** The service mesh and the DR ingress gateway (Istio Helm charts). */
    istio: z
        .strictObject({
            /** Install Istio's charts. Unset: installed on a cluster the stack creates, assumed present on an existing one. */
            install: z.boolean().optional(),
            chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'must look like "1.30.1"').default("1.30.1"),
        })
        .prefault({}),
});

// ---------------------------------------------------------------------------------------------
// The whole config

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;

const awsAccount = z
    .strictObject({
        /** The role CI deploys with; the only administrator of the backup keys. */
        deployRoleName: z.string().min(1).default("fortress-dr-deployer"),
        /** The only role that may destroy a backup version (incident use, audited). */
        breakGlassRoleName: z.string().min(1).default("fortress-dr-break-glass"),
    })
    .prefault({});

export const configSchema = z
    .strictObject({
        environment: z.enum(ENVIRONMENTS),
        role: z.enum(["primary", "dr"]),
        /** Prefix of globally unique names (buckets): `<namePrefix>-<environment>-...`. */
        namePrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/, "must be 3-32 lowercase letters, digits and hyphens").default("pat-fortress"),
        aws: awsAccount,
        regions,
        gcs,
        objectives,
        tiers: tierDefinitions,
        storage,
        kubernetes,
        services: z.array(service).default([]),
        endpoints,
        alerts,
        /** The backup-job image (jobs/Dockerfile), pinned by digest in prod. */
        jobImage: z.string().min(1),
        postgres,
        redis,
        platform,
        dr: dr.optional(),
        /** GDPR Art. 17: per-data-class erasure procedures and the erasure ledger (stacks/erasure-schema.ts). */
        erasure: erasureSection.optional(),
        /** Whether a kubeconfig secret is set; its value never enters this object. */
        hasKubeconfig: z.boolean().default(false),
    });

export type FortressConfigInput = z.input<typeof configSchema>;
type Parsed = z.infer<typeof configSchema>;

/** Objectives with the defaults filled in for every scenario and data class. */
export interface ResolvedObjectives {
    readonly scenarios: Readonly<Record<ScenarioId, ScenarioObjective>>;
    readonly dataClasses: Readonly<Record<DataClassObjectiveId, { readonly rpoSeconds: number }>>;
    readonly criticalServicesRtoSeconds: number;
    readonly acceptedRisks: readonly { readonly cell: string; readonly worstSeconds: number; readonly reason: string }[];
}

export type FortressConfig = Omit<Parsed, "objectives"> & { readonly objectives: ResolvedObjectives };

// ---------------------------------------------------------------------------------------------
// Cross-field rules

interface RuleIssue {
    readonly path: (string | number)[];
    readonly message: string;
}

/**
 * Rules across fields. Each runs on the sections that parsed on their own, so one bad section
 * does not hide the problems of another: every error is reported at once.
 */
function crossFieldRules(c: Partial<Parsed>): RuleIssue[] {
    const found: RuleIssue[] = [];
    const issue = (path: (string | number)[], message: string) => found.push({ path, message });
    const r = c.regions;

    // Geography: tier 2 must survive the loss of the primary region.
    if (r && r.dr === r.primary) {
        issue(["regions", "dr"], `"${r.dr}" is the primary region; tier 2 must be in another region at least ${MIN_TIER2_DISTANCE_KM} km away`);
    } else if (r && distanceKm(r.primary, r.dr) < MIN_TIER2_DISTANCE_KM) {
        issue(["regions", "dr"], `"${r.dr}" is ${distanceKm(r.primary, r.dr).toFixed(0)} km from the primary; at least ${MIN_TIER2_DISTANCE_KM} km is required`);
    }
    if (r && (r.tier3 === r.primary || r.tier3 === r.dr)) {
        issue(["regions", "tier3"], `"${r.tier3}" is already the ${r.tier3 === r.primary ? "primary" : "DR"} region; tier 3 needs a third region`);
    }

    // Objectives may only be tightened, never loosened.
    for (const [id, given] of Object.entries(c.objectives?.scenarios ?? {}) as [ScenarioId, ScenarioObjective][]) {
        const floor = DEFAULT_SCENARIO_OBJECTIVES[id];
        for (const field of ["detectSeconds", "rtoSeconds", "rpoSeconds"] as const) {
            const v = given[field];
            const d = floor[field];
            if (v !== null && d !== null && v > d) {
                issue(["objectives", "scenarios", id, field], `${v} is looser than the platform requirement ${d}; a stack may only tighten objectives`);
            } else if (v === null && d !== null) {
                issue(["objectives", "scenarios", id, field], `null (no objective) is looser than the platform requirement ${d}; a stack may only tighten objectives`);
            }
        }
    }
    if (c.objectives && c.objectives.criticalServicesRtoSeconds > 300) {
        issue(["objectives", "criticalServicesRtoSeconds"], `${c.objectives.criticalServicesRtoSeconds} is looser than the platform requirement 300; a stack may only tighten objectives`);
    }
    for (const [id, given] of Object.entries(c.objectives?.dataClasses ?? {}) as [DataClassObjectiveId, { rpoSeconds: number }][]) {
        const d = DEFAULT_DATA_CLASS_RPO[id];
        if (given.rpoSeconds > d) {
            issue(["objectives", "dataClasses", id, "rpoSeconds"], `${given.rpoSeconds} is looser than the platform requirement ${d}; a stack may only tighten objectives`);
        }
    }

    // Every retention must hold at least one complete backup of its schedule.
    const tiers = c.tiers;
    for (const [dataClass, byTier] of Object.entries(tiers ?? {})) {
        for (const [tier, def] of Object.entries(byTier as Record<string, PgRepoSchedule | SnapshotSchedule>)) {
            const longest = "full" in def ? def.full : def.snapshot;
            const kind = "full" in def ? "full" : "snapshot";
            let interval: number;
            try {
                interval = maxIntervalSeconds(longest);
            } catch {
                continue; // the cron itself is already reported
            }
            if (def.retentionDays * DAY < interval) {
                issue(
                    ["tiers", dataClass, tier, "retentionDays"],
                    `${def.retentionDays} day(s) is shorter than the ${kind} schedule's interval (${interval / DAY} days for "${longest}"); retention must hold at least one ${kind} backup`,
                );
            }
            if ("full" in def) {
                for (const k of ["differential", "incremental"] as const) {
                    const sched = def[k];
                    if (sched === undefined) continue;
                    try {
                        if (maxIntervalSeconds(sched) > interval) {
                            issue(["tiers", dataClass, tier, k], `"${sched}" runs less often than the full backup "${def.full}"; an ${k} backup must be more frequent than the full`);
                        }
                    } catch {
                        /* reported by the cron check */
                    }
                }
            }
        }
    }

    // Tier 3 immutability: prod and staging keep COMPLIANCE mode and lock the GCS policy.
    const lock = c.storage?.tier3.objectLock;
    if (lock && c.environment !== undefined && c.environment !== "dev" && lock.mode !== "COMPLIANCE") {
        issue(["storage", "tier3", "objectLock", "mode"], `"${lock.mode}" is not allowed in ${c.environment}; tier 3 must use COMPLIANCE (GOVERNANCE is for dev only)`);
    }
    const tier3Retention = tiers ? longestRetentionDays(tiers, "tier3") : undefined;
    if (lock && tier3Retention !== undefined && lock.days > tier3Retention) {
        issue(["storage", "tier3", "objectLock", "days"], `${lock.days} exceeds the longest tier-3 retention (${tier3Retention} days); locked objects would outlive every backup that references them`);
    }
    if (c.environment === "prod" && c.gcs && !c.gcs.lockRetention) {
        issue(["gcs", "lockRetention"], `must be true in prod: the tier-3 GCS retention policy is locked so no one can shorten it`);
    }

    // Roles.
    if (c.role === "dr" && c.dr === undefined) {
        issue(["dr"], `required when role is "dr": set dr.primaryStack ("<org>/fortress-dr/<primary stack>") and dr.mode`);
    }
    if (c.role === "primary" && c.dr !== undefined) {
        issue(["dr"], `only a stack with role "dr" takes the dr section; remove it or set role: dr`);
    }
    if (c.dr !== undefined) {
        const d = c.dr;
        if (d.mode === "pilot-light" && d.restoreFrom !== "stream") {
            issue(["dr", "restoreFrom"], `"${d.restoreFrom}" needs dr.mode "rebuild"; pilot-light always streams from the primary`);
        }
        if (d.mode === "rebuild" && d.restoreFrom === "stream") {
            if (d.promote) {
                issue(
                    ["dr", "promote"],
                    `promoting a rebuild needs a database source, but dr.restoreFrom is "stream" (dr.mode "rebuild" has no standby to promote): set dr.restoreFrom to "tier2" or "tier3", or set dr.mode to "pilot-light" to promote the streaming standby`,
                );
            } else {
                issue(["dr", "restoreFrom"], `a rebuild restores from "tier2" or "tier3"; "stream" needs a live primary (use mode pilot-light)`);
            }
        }
        if (d.targetTime !== undefined && d.mode !== "rebuild") {
            issue(["dr", "targetTime"], `a point-in-time target needs dr.mode "rebuild"; a pilot-light standby always follows the primary`);
        }
    }
    if (c.kubernetes?.cluster === "existing" && c.hasKubeconfig === false && c.kubernetes.context === undefined) {
        issue(
            ["kubernetes", "context"],
            `an existing cluster needs a way in: set kubernetes.context (a context of the ambient KUBECONFIG) or the secret kubeconfig (pulumi config set --secret kubeconfig -- "$(cat ~/.kube/config)")`,
        );
    }
    if (c.role === "primary" && c.kubernetes !== undefined && c.kubernetes.oidcProvider === undefined) {
        issue(["kubernetes", "oidcProvider"], `required on a primary stack: the backup writer roles are assumed through IRSA; give the cluster's OIDC issuer without https:// (oidc.eks.<region>.amazonaws.com/id/<id>)`);
    }
    const names = (c.services ?? []).map((s) => s.name);
    names.forEach((n, i) => {
        if (names.indexOf(n) !== i) issue(["services", i, "name"], `"${n}" is declared twice; service names must be unique`);
    });
    found.push(...clusterAndRoutingRules(c));
    return found;
}

/** Detection, workloads and the DR cluster: the rules of the sections issue 4 added. */
function clusterAndRoutingRules(c: Partial<Parsed>): RuleIssue[] {
    const found: RuleIssue[] = [];
    const issue = (path: (string | number)[], message: string) => found.push({ path, message });
    const k = c.kubernetes;
    if (k?.cluster === "eks") {
        if (c.role === "primary") {
            issue(["kubernetes", "cluster"], `"eks" is for a DR stack, which creates its cluster; a primary stack runs on the platform's existing cluster: set kubernetes.cluster to "existing"`);
        }
        if (k.context !== undefined) {
            issue(["kubernetes", "context"], `is for an existing cluster, but kubernetes.cluster is "eks" (the stack creates the cluster and its own kubeconfig): remove kubernetes.context or set kubernetes.cluster to "existing"`);
        }
        if (c.hasKubeconfig === true) {
            issue(["kubeconfig"], `is for an existing cluster, but kubernetes.cluster is "eks": remove it (pulumi config rm kubeconfig) or set kubernetes.cluster to "existing"`);
        }
        const e = k.eks;
        if (e.minSize > e.desiredSize || e.desiredSize > e.maxSize) {
            issue(["kubernetes", "eks", "desiredSize"], `${e.desiredSize} must lie between kubernetes.eks.minSize (${e.minSize}) and kubernetes.eks.maxSize (${e.maxSize})`);
        }
    }
    // Every public hostname is routed by exactly one service, and no service claims a hostname
    // that has no health check and failover record.
    const hostnames = (c.endpoints?.hosts ?? []).map((h) => h.hostname);
    const services = c.services ?? [];
    if (c.endpoints !== undefined && services.length > 0) {
        hostnames.forEach((h, i) => {
            const routedBy = services.filter((s) => s.hosts.includes(h)).map((s) => s.name);
            if (routedBy.length === 0) {
                issue(["endpoints", "hosts", i, "hostname"], `"${h}" is routed by no service, so the DR ingress would answer 404 for it: add it to the hosts of one of services (${services.map((s) => s.name).join(", ")})`);
            } else if (routedBy.length > 1) {
                issue(["endpoints", "hosts", i, "hostname"], `"${h}" is routed by services ${routedBy.join(" and ")}; a hostname must belong to exactly one service`);
            }
        });
        services.forEach((s, i) =>
            s.hosts.forEach((h, j) => {
                if (!hostnames.includes(h)) {
                    issue(["services", i, "hosts", j], `"${h}" is not one of endpoints.hosts[].hostname, so it would have no health check and no failover record: add it to endpoints.hosts or remove it`);
                }
            }),
        );
    }
    services.forEach((s, i) => {
        if (s.probes.timeoutSeconds >= s.probes.periodSeconds) {
            issue(["services", i, "probes", "timeoutSeconds"], `${s.probes.timeoutSeconds} must be shorter than probes.periodSeconds (${s.probes.periodSeconds}), or probes overlap`);
        }
    });
    return found;
}

/** The longest retention, in days, of any data class kept in the given tier. */
export function longestRetentionDays(tiers: TierDefinitions, tier: TierId): number {
    let longest = 0;
    for (const byTier of Object.values(tiers) as Partial<Record<TierId, { retentionDays: number }>>[]) {
        longest = Math.max(longest, byTier[tier]?.retentionDays ?? 0);
    }
    return longest;
}

// ---------------------------------------------------------------------------------------------
// Validation entry point

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

function keyOf(path: readonly PropertyKey[]): string {
    if (path.length === 0) return NAMESPACE;
    const [head, ...rest] = path;
    return `${NAMESPACE}:${String(head)}${rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`;
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describe(issue: z.core.$ZodIssue): string {
    const key = keyOf(issue.path);
    switch (issue.code) {
        case "unrecognized_keys":
            return `${issue.keys.map((k) => keyOf([...issue.path, k])).join(", ")}: not a known setting; check the spelling against the README's config reference`;
        case "invalid_value":
            return `${key}: got ${show(issue.input)}; use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_type":
            return issue.input === undefined
                ? `${key}: required (${issue.expected}) but not set`
                : `${key}: got ${show(issue.input)}; expected ${issue.expected}`;
        case "too_small":
            if (issue.origin === "string" && issue.minimum === 1) return `${key}: must not be empty`;
            return `${key}: got ${show(issue.input)}; ${issue.message.replace(/^Too (small|big): /, "")}`;
        case "too_big":
            return `${key}: got ${show(issue.input)}; ${issue.message.replace(/^Too (small|big): /, "")}`;
        default:
            return `${key}: ${issue.message}`;
    }
}

/**
 * A config value as the Pulumi CLI hands it to a program: structured values arrive as JSON
 * text, plain strings stay strings.
 */
export function parseConfigValue(text: string): unknown {
    const t = text.trim();
    if (t.startsWith("{") || t.startsWith("[") || t === "true" || t === "false" || /^-?\d+(\.\d+)?$/.test(t)) {
        try {
            return JSON.parse(t);
        } catch {
            return text;
        }
    }
    return text;
}

/** Validates raw config; throws one ConfigError listing every problem, each naming its key. */
export function validateConfig(raw: Record<string, unknown>): FortressConfig {
    const result = configSchema.safeParse(raw, { reportInput: true });
    const problems = result.success ? [] : result.error.issues.map(describe);
    const sections: Record<string, unknown> = {};
    for (const [key, section] of Object.entries(configSchema.shape)) {
        const parsed = (section as z.ZodType).safeParse(raw[key]);
        if (parsed.success) sections[key] = parsed.data;
    }
    problems.push(...crossFieldRules(sections as Partial<Parsed>).map((i) => `${keyOf(i.path)}: ${i.message}`));
    if (!result.success || problems.length > 0) {
        throw new ConfigError(problems);
    }
    const c = result.data;
    const resolved: ResolvedObjectives = {
        scenarios: Object.fromEntries(SCENARIOS.map((s) => [s, c.objectives.scenarios[s] ?? DEFAULT_SCENARIO_OBJECTIVES[s]])) as Record<ScenarioId, ScenarioObjective>,
        dataClasses: Object.fromEntries(
            DATA_CLASS_OBJECTIVES.map((d) => [d, c.objectives.dataClasses[d] ?? { rpoSeconds: DEFAULT_DATA_CLASS_RPO[d] }]),
        ) as Record<DataClassObjectiveId, { rpoSeconds: number }>,
        criticalServicesRtoSeconds: c.objectives.criticalServicesRtoSeconds,
        acceptedRisks: c.objectives.acceptedRisks,
    };
    return { ...c, objectives: resolved };
}

/** The top-level keys a stack file may set under the project namespace. */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(configSchema.shape).filter((k) => k !== "hasKubeconfig"), "kubeconfig"];

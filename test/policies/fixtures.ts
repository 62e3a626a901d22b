/**
 * Hand-written resource records for the policy tests: a compliant primary stack, built the way
 * the engine would see one (types, inputs, parents, providers, property dependencies), with no
 * code from the components under test. Each rule's test starts from it and breaks one thing.
 *
 * The lifecycle numbers are written out by hand from the schema's default tiers (retention +
 * one full-backup interval + 1 day for current versions; max(7, retention) for noncurrent),
 * so a rule that computes them wrongly disagrees with this file.
 */
import { DESTRUCTIVE_S3_ACTIONS } from "../../components/storage/policy-documents";
import { MANIFEST_KEY } from "../../components/core/names";
import { FortressConfig, validateConfig } from "../../config";
import type { FortressRule } from "../../policies/lib/rule";
import { ResourceRecord, RuleOutcome, RunOptions, runRules } from "../../policies/runner";

export const PRIMARY = "us-east-1";
export const DR = "us-west-2";
export const TIER3 = "us-east-2";

export function rawConfig(environment: "prod" | "staging" | "dev" = "prod"): Record<string, any> {
    return {
        environment,
        role: "primary",
        regions: { primary: PRIMARY, dr: DR, tier3: TIER3 },
        gcs: { project: "fortress-test", location: "US", lockRetention: environment === "prod" },
        endpoints: { hostedZoneId: "Z123", hosts: [{ hostname: "app.example.com", primaryTarget: "lb-east.example.com", drTarget: "dr.app.example.com" }] },
        jobImage: "ghcr.io/example/jobs:1",
        cliImage: "ghcr.io/example/fortress-cli:1",
        hasKubeconfig: true,
        kubernetes: { oidcProvider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE" },
        services: [{ name: "api", image: "ghcr.io/example/api:1", replicas: 2, hosts: ["app.example.com"] }],
        ...(environment === "dev" ? { storage: { tier3: { objectLock: { mode: "GOVERNANCE", days: 365 } } } } : {}),
    };
}

export function fixtureConfig(environment: "prod" | "staging" | "dev" = "prod", edit: (raw: Record<string, any>) => void = () => {}): FortressConfig {
    const raw = rawConfig(environment);
    edit(raw);
    return validateConfig(raw);
}

interface AddOptions {
    readonly parent?: ResourceRecord;
    readonly provider?: ResourceRecord;
    readonly protect?: boolean;
    readonly deps?: Readonly<Record<string, readonly ResourceRecord[]>>;
}

export class StackFixture {
    readonly records: ResourceRecord[] = [];
    private readonly providers = new Map<string, ResourceRecord>();

    constructor(readonly stack = "test") {}

    add(type: string, name: string, inputs: Record<string, any>, o: AddOptions = {}): ResourceRecord {
        const parentType = o.parent ? o.parent.urn.split("::")[2] + "$" : "";
        const r: ResourceRecord = {
            type,
            name,
            urn: `urn:pulumi:${this.stack}::fortress-dr::${parentType}${type}::${name}`,
            ...(o.parent ? { parent: o.parent.urn } : {}),
            ...(o.provider ? { provider: o.provider.urn } : {}),
            protect: o.protect === true,
            dependsOn: Object.values(o.deps ?? {}).flatMap((rs) => rs.map((x) => x.urn)),
            propertyDependencies: Object.fromEntries(Object.entries(o.deps ?? {}).map(([k, rs]) => [k, rs.map((x) => x.urn)])),
            inputs,
        };
        this.records.push(r);
        return r;
    }

    provider(region: string): ResourceRecord {
        const hit = this.providers.get(region);
        if (hit) return hit;
        const p = this.add("pulumi:providers:aws", `aws-${region}`, { region });
        this.providers.set(region, p);
        return p;
    }

    find(type: string, name: string): ResourceRecord {
        const r = this.records.find((x) => x.type === type && x.name === name);
        if (!r) throw new Error(`fixture has no ${type} ${name}; it has ${this.records.filter((x) => x.type === type).map((x) => x.name).join(", ") || "none of that type"}`);
        return r;
    }

    /** Replaces a record's inputs (a mutation for a failing fixture). */
    edit(type: string, name: string, change: (inputs: Record<string, any>) => void): this {
        const r = this.find(type, name);
        const copy = JSON.parse(JSON.stringify(r.inputs));
        change(copy);
        this.records[this.records.indexOf(r)] = { ...r, inputs: copy };
        return this;
    }

    remove(type: string, name?: string): this {
        for (let i = this.records.length - 1; i >= 0; i--) {
            if (this.records[i].type === type && (name === undefined || this.records[i].name === name)) this.records.splice(i, 1);
        }
        return this;
    }

    setProtect(type: string, name: string, protect: boolean): this {
        const r = this.find(type, name);
        this.records[this.records.indexOf(r)] = { ...r, protect };
        return this;
    }

    manifest(config: FortressConfig, bucket?: ResourceRecord): ResourceRecord {
        return this.add(
            "aws:s3/bucketObjectv2:BucketObjectv2",
            "dr-manifest",
            { bucket: bucket?.inputs.bucket ?? "b-tier1", key: MANIFEST_KEY, content: JSON.stringify({ schemaVersion: 1, stack: this.stack, ...config }) },
            { provider: this.provider(PRIMARY), ...(bucket ? { deps: { bucket: [bucket] } } : {}) },
        );
    }
}

const tlsPolicy = (arn: string) =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
            { Sid: "DenyVersionDeletion", Effect: "Deny", Principal: "*", Action: ["s3:DeleteObjectVersion"], Resource: `${arn}/*`, Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/break-glass" } } },
        ],
    });

const rule = (prefix: string, expirationDays: number, noncurrentDays: number) => ({
    id: `retain-${prefix.replace(/\/$/, "").replace(/\//g, "-")}`,
    status: "Enabled",
    filter: { prefix },
    expiration: { days: expirationDays },
    noncurrentVersionExpiration: { noncurrentDays },
});

/** Lifecycle rules per tier bucket for the schema's default tiers (see the file comment). */
export const LIFECYCLE: Readonly<Record<"tier1" | "tier2" | "tier3", object[]>> = {
    tier1: [rule("tier1/redis/", 3, 7), { id: "configuration", status: "Enabled", filter: { prefix: "tier1/configuration/" }, noncurrentVersionExpiration: { noncurrentDays: 365 } }],
    tier2: [rule("tier2/database/", 32, 30), rule("tier2/redis/", 32, 30), rule("tier2/configuration/", 32, 30), rule("tier2/secrets/", 32, 30), rule("tier1/redis/", 3, 7)],
    tier3: [rule("tier3/database/", 367, 365), rule("tier3/redis/", 367, 365), rule("tier3/configuration/", 373, 365), rule("tier3/secrets/", 367, 365)],
};

/** An S3 bucket with the full hardening set, configured through sub-resources as the engine sees them. */
export function hardenedBucket(
    f: StackFixture,
    name: string,
    region: string,
    opts: { tags: Record<string, string>; key?: ResourceRecord; lifecycle: object[]; objectLockDays?: number; objectLockMode?: string; protect: boolean },
): ResourceRecord {
    const provider = f.provider(region);
    const bucketName = `b-${name}`;
    const arn = `arn:aws:s3:::${bucketName}`;
    const b = f.add("aws:s3/bucket:Bucket", name, { bucket: bucketName, objectLockEnabled: opts.objectLockDays !== undefined, forceDestroy: false, tags: opts.tags }, { provider, protect: opts.protect });
    const dep = { bucket: [b] };
    f.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        `${name}-sse`,
        {
            bucket: bucketName,
            rules: [
                opts.key
                    ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: `arn:aws:kms:${region}:123456789012:key/mrk-1` }, bucketKeyEnabled: true }
                    : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
            ],
        },
        { provider, parent: b, deps: opts.key ? { ...dep, rules: [opts.key] } : dep },
    );
    f.add("aws:s3/bucketVersioning:BucketVersioning", `${name}-versioning`, { bucket: bucketName, versioningConfiguration: { status: "Enabled" } }, { provider, deps: dep });
    f.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        `${name}-public-access`,
        { bucket: bucketName, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        { provider, deps: dep },
    );
    f.add("aws:s3/bucketPolicy:BucketPolicy", `${name}-policy`, { bucket: bucketName, policy: tlsPolicy(arn) }, { provider, deps: dep });
    f.add("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${name}-lifecycle`, { bucket: bucketName, rules: opts.lifecycle }, { provider, deps: dep });
    if (opts.objectLockDays !== undefined) {
        f.add(
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
            `${name}-object-lock`,
            { bucket: bucketName, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: opts.objectLockMode ?? "COMPLIANCE", days: opts.objectLockDays } } },
            { provider, deps: dep },
        );
    }
    return b;
}

export const WRITER_POLICY = {
    Version: "2012-10-17",
    Statement: [
        { Sid: "ListTier", Effect: "Allow", Action: ["s3:ListBucket", "s3:ListBucketVersions"], Resource: "arn:aws:s3:::b-tier1" },
        { Sid: "WriteBackups", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: "arn:aws:s3:::b-tier1/*" },
        {
            Sid: "NeverDestroyBackups",
            Effect: "Deny",
            Action: [...DESTRUCTIVE_S3_ACTIONS],
            Resource: "*",
        },
    ],
};

const irsaTrust = (sa: string) =>
    JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE" },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE:sub": [`system:serviceaccount:fortress:${sa}`] } },
            },
        ],
    });

const probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 };

function cronJob(f: StackFixture, k8s: ResourceRecord, name: string, schedule: string, env: Record<string, string>, script: string, labels: Record<string, string> = {}) {
    return f.add(
        "kubernetes:batch/v1:CronJob",
        name,
        {
            metadata: { name, namespace: "fortress", labels },
            spec: {
                schedule,
                jobTemplate: { spec: { template: { spec: { containers: [{ name: "job", image: "jobs:1", command: [script], env: Object.entries(env).map(([n, value]) => ({ name: n, value })) }] } } } },
            },
        },
        { provider: k8s },
    );
}

/**
 * A primary stack that every rule accepts: storage tiers, keys, the GCS copy, detection, IAM,
 * the database, Redis, a service and the scheduled jobs, all as the rules want them.
 */
export function compliantPrimary(environment: "prod" | "staging" | "dev" = "prod"): { fixture: StackFixture; config: FortressConfig } {
    const config = fixtureConfig(environment);
    const prod = environment === "prod";
    const f = new StackFixture(environment);
    const k8s = f.add("pulumi:providers:kubernetes", "primary-cluster", { namespace: "fortress" });
    const key = f.add("aws:kms/key:Key", "backup-key", { enableKeyRotation: true, rotationPeriodInDays: 365, deletionWindowInDays: 30, multiRegion: true }, { provider: f.provider(PRIMARY), protect: prod });
    const keyDr = f.add("aws:kms/replicaKey:ReplicaKey", "backup-key-dr", { deletionWindowInDays: 30 }, { provider: f.provider(DR), protect: prod, deps: { primaryKeyArn: [key] } });
    const key3 = f.add("aws:kms/replicaKey:ReplicaKey", "backup-key-t3", { deletionWindowInDays: 30 }, { provider: f.provider(TIER3), protect: prod, deps: { primaryKeyArn: [key] } });
    const logs = hardenedBucket(f, "access-logs", PRIMARY, {
        tags: { "fortress:purpose": "access-logs" },
        lifecycle: [{ id: "compliance-retention", status: "Enabled", filter: {}, expiration: { days: 2557 }, noncurrentVersionExpiration: { noncurrentDays: 30 } }],
        protect: prod,
    });
    const tier1 = hardenedBucket(f, "tier1", PRIMARY, { tags: { "fortress:tier": "tier1" }, key, lifecycle: LIFECYCLE.tier1, protect: prod });
    hardenedBucket(f, "tier2", DR, { tags: { "fortress:tier": "tier2" }, key: keyDr, lifecycle: LIFECYCLE.tier2, protect: prod });
    hardenedBucket(f, "tier3", TIER3, {
        tags: { "fortress:tier": "tier3" },
        key: key3,
        lifecycle: LIFECYCLE.tier3,
        objectLockDays: 365,
        objectLockMode: environment === "dev" ? "GOVERNANCE" : "COMPLIANCE",
        protect: prod,
    });
    f.add("aws:s3/bucketLogging:BucketLogging", "tier1-access-logs", { bucket: "b-tier1", targetBucket: "b-access-logs", targetPrefix: "s3/b-tier1/" }, { provider: f.provider(PRIMARY), deps: { bucket: [tier1], targetBucket: [logs] } });
    f.add(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "tier1-replication",
        {
            bucket: "b-tier1",
            role: "arn:aws:iam::123456789012:role/replication",
            rules: [{ id: "tier1-to-tier2", status: "Enabled", filter: { prefix: "tier1/" }, destination: { bucket: "arn:aws:s3:::b-tier2", replicationTime: { status: "Enabled", time: { minutes: 15 } } } }],
        },
        { provider: f.provider(PRIMARY), deps: { bucket: [tier1] } },
    );
    f.manifest(config, tier1);

    const ring = f.add("gcp:kms/keyRing:KeyRing", "gcs-keyring", { name: "ring", location: "us" }, { protect: prod });
    const cmek = f.add("gcp:kms/cryptoKey:CryptoKey", "gcs-key", { name: "key", rotationPeriod: "7776000s", purpose: "ENCRYPT_DECRYPT" }, { protect: prod, deps: { keyRing: [ring] } });
    f.add(
        "gcp:storage/bucket:Bucket",
        "gcs-tier3",
        {
            name: "gcs-tier3",
            location: "US",
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            encryption: { defaultKmsKeyName: "projects/p/locations/us/keyRings/ring/cryptoKeys/key" },
            retentionPolicy: { retentionPeriod: String(365 * 86_400), isLocked: prod },
            lifecycleRules: [{ action: { type: "SetStorageClass", storageClass: "ARCHIVE" }, condition: { age: 30 } }, { action: { type: "Delete" }, condition: { age: 366 } }],
            labels: { "fortress-tier": "tier3" },
        },
        { protect: prod, deps: { encryption: [cmek] } },
    );

    const hc = f.add("aws:route53/healthCheck:HealthCheck", "app-primary", { type: "HTTPS", fqdn: "lb-east.example.com", resourcePath: "/healthz", requestInterval: 10, failureThreshold: 3, regions: ["us-east-1", "us-west-2", "eu-west-1"] });
    f.add("aws:route53/record:Record", "app-primary", { zoneId: "Z123", name: "app.example.com", type: "CNAME", ttl: 30, records: ["lb-east.example.com"], setIdentifier: "primary", failoverRoutingPolicies: [{ type: "PRIMARY" }], healthCheckId: "hc-1" }, { deps: { healthCheckId: [hc] } });
    f.add("aws:route53/record:Record", "app-secondary", { zoneId: "Z123", name: "app.example.com", type: "CNAME", ttl: 30, records: ["dr.app.example.com"], setIdentifier: "secondary", failoverRoutingPolicies: [{ type: "SECONDARY" }] });

    const writer = f.add("aws:iam/role:Role", "tier1-writer", { assumeRolePolicy: irsaTrust("fortress-backup"), maxSessionDuration: 3600 });
    f.add("aws:iam/rolePolicy:RolePolicy", "tier1-writer-policy", { role: "tier1-writer-id", policy: JSON.stringify(WRITER_POLICY) }, { deps: { role: [writer] } });
    const reader = f.add("aws:iam/role:Role", "tier1-reader", { assumeRolePolicy: irsaTrust("fortress-restore") });
    f.add(
        "aws:iam/rolePolicy:RolePolicy",
        "tier1-reader-policy",
        { role: "tier1-reader-id", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadBackups", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: "arn:aws:s3:::b-tier1/*" }] }) },
        { deps: { role: [reader] } },
    );

    const labels = { "app.kubernetes.io/name": "api" };
    f.add(
        "kubernetes:apps/v1:Deployment",
        "api-deployment",
        { metadata: { name: "api", namespace: "fortress", labels: { ...labels, "fortress/data-class": "services", "fortress/purpose": "service" } }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "api", image: "api:1", readinessProbe: probe, livenessProbe: probe }] } } } },
        { provider: k8s },
    );
    f.add("kubernetes:policy/v1:PodDisruptionBudget", "api-pdb", { metadata: { name: "api", namespace: "fortress" }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } }, { provider: k8s });

    const redisLabels = { "app.kubernetes.io/name": "fortress-redis", "app.kubernetes.io/component": "redis" };
    f.add(
        "kubernetes:apps/v1:StatefulSet",
        "fortress-redis",
        {
            metadata: { name: "fortress-redis", namespace: "fortress" },
            spec: {
                replicas: 3,
                selector: { matchLabels: redisLabels },
                template: { metadata: { labels: redisLabels }, spec: { containers: [{ name: "redis", image: "valkey:8", readinessProbe: probe, livenessProbe: probe }] } },
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "10Gi" } } } }],
            },
        },
        { provider: k8s, protect: prod },
    );
    f.add("kubernetes:policy/v1:PodDisruptionBudget", "fortress-redis-pdb", { metadata: { name: "fortress-redis", namespace: "fortress" }, spec: { maxUnavailable: 1, selector: { matchLabels: redisLabels } } }, { provider: k8s });
    f.add(
        "kubernetes:core/v1:ConfigMap",
        "fortress-redis-config",
        {
            metadata: { name: "fortress-redis-config", namespace: "fortress" },
            data: {
                "redis.conf": "port 6379\nappendonly yes\nappendfsync everysec\n",
                "sentinel.conf": "port 26379\nsentinel monitor fortress fortress-redis-0 6379 2\nsentinel down-after-milliseconds fortress 5000\n",
            },
        },
        { provider: k8s },
    );
    cronJob(f, k8s, "redis-snapshot-tier1", "*/4 * * * *", { BACKUP_TIER: "tier1", BACKUP_PREFIX: "tier1/redis/" }, "redis-snapshot.sh", { "fortress/data-class": "redis", "fortress/tier": "tier1", "fortress/purpose": "backup" });
    cronJob(f, k8s, "redis-snapshot-tier2", "*/15 * * * *", { BACKUP_TIER: "tier2", BACKUP_PREFIX: "tier2/redis/" }, "redis-snapshot.sh", { "fortress/data-class": "redis", "fortress/tier": "tier2", "fortress/purpose": "backup" });
    cronJob(f, k8s, "redis-snapshot-tier3", "15 3 * * *", { BACKUP_TIER: "tier3", BACKUP_PREFIX: "tier3/redis/" }, "redis-snapshot.sh", { "fortress/data-class": "redis", "fortress/tier": "tier3", "fortress/purpose": "backup" });
    cronJob(f, k8s, "secrets-backup-tier2", "5 * * * *", { BACKUP_TIER: "tier2", BACKUP_PREFIX: "tier2/secrets/" }, "sealed-secrets-key-backup.sh", { "fortress/data-class": "secrets", "fortress/tier": "tier2", "fortress/purpose": "backup" });
    cronJob(f, k8s, "secrets-backup-tier3", "35 3 * * *", { BACKUP_TIER: "tier3", BACKUP_PREFIX: "tier3/secrets/" }, "sealed-secrets-key-backup.sh", { "fortress/data-class": "secrets", "fortress/tier": "tier3", "fortress/purpose": "backup" });
    cronJob(f, k8s, "pg-verify", "*/2 * * * *", {}, "pgbackrest-verify.sh", { "fortress/data-class": "database", "fortress/purpose": "verify" });
    for (const [tier, schedule] of [["tier2", "0 1 * * *"], ["tier3", "0 4 * * 0"]] as const) {
        f.add("kubernetes:velero.io/v1:Schedule", `velero-configuration-${tier}`, { metadata: { name: `configuration-${tier}`, namespace: "velero", labels: { "fortress/data-class": "configuration", "fortress/tier": tier, "fortress/purpose": "backup" } }, spec: { schedule, template: { storageLocation: tier } } }, { provider: k8s });
    }
    f.add(
        "kubernetes:pgv2.percona.com/v2:PerconaPGCluster",
        "fortress-pg",
        {
            apiVersion: "pgv2.percona.com/v2",
            kind: "PerconaPGCluster",
            metadata: { name: "fortress-pg", namespace: "fortress" },
            spec: {
                instances: [{ name: "instance1", replicas: 3 }],
                patroni: { leaderLeaseDurationSeconds: 30, syncPeriodSeconds: 10, dynamicConfiguration: { synchronous_mode: true, postgresql: { parameters: { archive_timeout: "30s" } } } },
                backups: {
                    pgbackrest: {
                        global: {
                            "repo1-cipher-type": "aes-256-cbc",
                            "repo1-retention-full-type": "time",
                            "repo1-retention-full": "1",
                            "repo2-cipher-type": "aes-256-cbc",
                            "repo2-retention-full-type": "time",
                            "repo2-retention-full": "30",
                            "repo3-cipher-type": "aes-256-cbc",
                            "repo3-retention-full-type": "time",
                            "repo3-retention-full": "365",
                        },
                        repos: [
                            { name: "repo1", volume: { volumeClaimSpec: { storageClassName: "local-nvme" } }, schedules: { full: "0 1 * * *", incremental: "*/15 * * * *" } },
                            { name: "repo2", s3: { bucket: "b-tier2", region: DR, endpoint: `s3.${DR}.amazonaws.com` }, schedules: { full: "0 */4 * * *", incremental: "30 * * * *" } },
                            { name: "repo3", s3: { bucket: "b-tier3", region: TIER3, endpoint: `s3.${TIER3}.amazonaws.com` }, schedules: { full: "0 2 * * *" } },
                        ],
                    },
                },
            },
        },
        { provider: k8s, protect: prod },
    );
    return { fixture: f, config };
}

/** Runs one rule over the records; returns its outcome. */
export async function check(rule: FortressRule, records: readonly ResourceRecord[], options: RunOptions = {}): Promise<RuleOutcome> {
    const [outcome] = await runRules([rule], records, options);
    return outcome;
}

/** The messages of the mandatory violations of an outcome. */
export const violations = (o: RuleOutcome): string[] => o.findings.filter((f) => f.kind === "violation").map((f) => f.message);

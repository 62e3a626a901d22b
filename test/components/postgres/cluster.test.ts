import * as assert from "assert";
import {
    BackupAgeReporter,
    BackupVerification,
    backupAgeSchedule,
    ClusterRole,
    PERCONA_CR_VERSION,
    PerconaOperator,
    PgBackRestAccess,
    PgBackRestAccessArgs,
    PostgresCluster,
    PostgresClusterArgs,
    ReplicationTls,
    patroniTimings,
    perconaCluster,
    renderFromConfig,
    s3RepoPath,
    verificationAlarms,
    verificationSchedule,
} from "../../../components/postgres";
import { PG_CLUSTER_NAME } from "../../../components/core/names";
import { assertSubjectPatterns } from "../../../components/core/irsa-role";
import { FortressConfig, validateConfig } from "../../../config";
import { errorOf, ofType, one, policyOf, recordResources } from "../../helpers/pulumi";
import { kubernetesObjects, unwrapSecrets, validateCoreObject, validateCustomResource } from "../platform/kube-schema";
import { vendoredCrds } from "../../../crds";
import { rawConfig } from "./fixtures";
import type { RecordedResource } from "../../../components/core/recorded-resource";

const CR_TYPE = "kubernetes:pgv2.percona.com/v2:PerconaPGCluster";
const crds = vendoredCrds("percona-pg-crd.yaml");
const config: FortressConfig = validateConfig(rawConfig());
const settings = renderFromConfig(config, {
    tier1: { kind: "posix" },
    tier2: { kind: "s3", bucket: "pat-fortress-prod-tier2-us-west-2", region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com", path: s3RepoPath("tier2"), credentials: "web-id" },
    tier3: { kind: "s3", bucket: "pat-fortress-prod-tier3-eu-west-1", region: "eu-west-1", endpoint: "s3.eu-west-1.amazonaws.com", path: s3RepoPath("tier3"), credentials: "web-id" },
});
const pems = { ca: "CA", serverCert: "SC", serverKey: "SK", replicationCert: "RC", replicationKey: "RK" };

function clusterArgs(role: ClusterRole, over: Partial<PostgresClusterArgs> = {}, promoted = false): PostgresClusterArgs {
    return {
        clusterName: PG_CLUSTER_NAME,
        namespace: "fortress",
        spec: {
            role,
            promoted,
            postgresVersion: config.postgres.postgresVersion,
            image: config.postgres.image,
            instances: config.postgres.instances,
            storageClass: config.kubernetes.storageClass,
            storageSize: config.postgres.storageSize,
            repo1: { storageClass: config.kubernetes.nvmeStorageClass, size: config.postgres.repo1Size },
            settings,
            stanza: config.postgres.stanza,
            pgBouncerReplicas: config.postgres.pgBouncerReplicas,
            failoverDetectSeconds: config.objectives.scenarios.S1.detectSeconds,
        },
        tls: pems,
        s3RoleArn: "arn:aws:iam::123456789012:role/pgbackrest",
        ...over,
    };
}

async function record(args: PostgresClusterArgs): Promise<RecordedResource[]> {
    return recordResources(() => void new PostgresCluster("pg", args));
}

const specOf = (rs: RecordedResource[]) => unwrapSecrets(one(rs, CR_TYPE).inputs).spec;

function validateAll(rs: RecordedResource[]): number {
    let n = 0;
    for (const o of kubernetesObjects(rs)) {
        if (o.type === CR_TYPE) validateCustomResource(o, crds);
        else validateCoreObject(o);
        n++;
    }
    return n;
}

describe("postgres/PostgresCluster (primary)", () => {
    it("declares a PerconaPGCluster whose three repos carry the tier config's schedules and retention", async () => {
        const spec = specOf(await record(clusterArgs({ kind: "primary" })));
        const repos = spec.backups.pgbackrest.repos;
        assert.deepStrictEqual(repos.map((r: any) => r.name), ["repo1", "repo2", "repo3"]);
        const t = config.tiers.database;
        assert.deepStrictEqual(repos[0].schedules, { full: t.tier1.full, incremental: t.tier1.incremental });
        assert.deepStrictEqual(repos[1].schedules, { full: t.tier2.full, incremental: t.tier2.incremental });
        assert.deepStrictEqual(repos[2].schedules, { full: t.tier3.full });
        const g = spec.backups.pgbackrest.global;
        assert.strictEqual(g["repo1-retention-full"], String(t.tier1.retentionDays));
        assert.strictEqual(g["repo2-retention-full"], String(t.tier2.retentionDays));
        assert.strictEqual(g["repo3-retention-full"], String(t.tier3.retentionDays));
        assert.strictEqual(repos[0].volume.volumeClaimSpec.storageClassName, config.kubernetes.nvmeStorageClass);
        assert.deepStrictEqual(repos[1].s3, { bucket: "pat-fortress-prod-tier2-us-west-2", region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com" });
        assert.strictEqual(g["compress-type"], "zst");
        assert.strictEqual(g["archive-async"], "y");
        assert.strictEqual(g["repo2-cipher-type"], "aes-256-cbc");
        assert.strictEqual(g["repo2-s3-key-type"], "web-id");
        assert.ok(!("repo2-s3-bucket" in g), "the operator writes the bucket from repos[]");
        assert.strictEqual(g["repo2-path"], "/tier2/database", "the database's prefix of the tier bucket, where its lifecycle rule applies");
        assert.strictEqual(g["repo3-path"], "/tier3/database");
    });

    it("runs Patroni in synchronous mode with one synchronous replica, pgBouncer, archive_timeout from the RPO", async () => {
        const spec = specOf(await record(clusterArgs({ kind: "primary" })));
        const dyn = spec.patroni.dynamicConfiguration;
        assert.deepStrictEqual([dyn.synchronous_mode, dyn.synchronous_node_count, dyn.synchronous_mode_strict], [true, 1, false]);
        // A dead primary is noticed within the S1 objective (30 s): lease 25 s + loop 5 s.
        assert.deepStrictEqual([spec.patroni.leaderLeaseDurationSeconds, spec.patroni.syncPeriodSeconds, dyn.retry_timeout], [25, 5, 10]);
        assert.ok(spec.patroni.leaderLeaseDurationSeconds + spec.patroni.syncPeriodSeconds <= config.objectives.scenarios.S1.detectSeconds);
        assert.ok(spec.patroni.syncPeriodSeconds + 2 * dyn.retry_timeout <= spec.patroni.leaderLeaseDurationSeconds, "Patroni's rule loop_wait + 2 x retry_timeout <= ttl");
        assert.strictEqual(spec.instances[0].replicas, 3);
        assert.strictEqual(spec.proxy.pgBouncer.replicas, 2);
        assert.deepStrictEqual(dyn.postgresql.parameters, { archive_timeout: `${settings.archiveTimeoutSeconds}s`, synchronous_commit: "on" }, "archive_mode and archive_command stay the operator's");
        assert.strictEqual(spec.crVersion, PERCONA_CR_VERSION);
        assert.deepStrictEqual(spec.secrets, { customTLSSecret: { name: "fortress-pg-cluster-cert" }, customReplicationTLSSecret: { name: "fortress-pg-replication-cert" } });
    });

    it("generates the cipher passphrases and delivers them only in a Secret", async () => {
        const rs = await record(clusterArgs({ kind: "primary" }));
        assert.strictEqual(ofType(rs, "random:index/randomPassword:RandomPassword").length, 3);
        const secret = one(rs, "kubernetes:core/v1:Secret", "pg-pgbackrest-secrets");
        const raw = JSON.stringify(secret.inputs.stringData);
        assert.ok(raw.includes("4dabf18193072939515e22adb298388d"), "the Secret's data is marked secret, so it never shows in plan output");
        const conf = unwrapSecrets(secret.inputs.stringData)["fortress-secrets.conf"];
        assert.match(conf, /^\[global\]\nrepo1-cipher-pass=\S{10,}\nrepo2-cipher-pass=\S{10,}\nrepo3-cipher-pass=\S{10,}\n$/);
        for (const r of kubernetesObjects(rs).filter((o) => o.name !== "pg-pgbackrest-secrets")) {
            assert.ok(!JSON.stringify(unwrapSecrets(r.inputs)).includes("cipher-pass"), `${r.name} must not carry a cipher passphrase`);
        }
        const spec = specOf(rs);
        assert.deepStrictEqual(spec.backups.pgbackrest.configuration, [{ secret: { name: "fortress-pg-pgbackrest-secrets" } }, { configMap: { name: "fortress-pg-pgbackrest-archive-push" } }]);
        const cm = one(rs, "kubernetes:core/v1:ConfigMap", "pg-pgbackrest-archive-push");
        assert.strictEqual(cm.inputs.data["fortress-archive-push.conf"], `[global:archive-push]\narchive-timeout=${settings.archivePushOptions["archive-timeout"]}\nio-timeout=${settings.archivePushOptions["io-timeout"]}\n`);
    });

    it("annotates the operator's service accounts with the pgBackRest role (IRSA)", async () => {
        const rs = await record(clusterArgs({ kind: "primary" }));
        const sas = ofType(rs, "kubernetes:core/v1:ServiceAccount");
        assert.deepStrictEqual(sas.map((s) => s.inputs.metadata.name).sort(), ["fortress-pg-instance", "fortress-pg-pgbackrest"]);
        for (const sa of sas) assert.strictEqual(sa.inputs.metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/pgbackrest");
        const err = await errorOf(() => record(clusterArgs({ kind: "primary" }, { clusterName: "other" })));
        assert.match(err.message, /clusterName "other" is not the cluster the IRSA trust names/);
    });

    it("validates every object against the Kubernetes schemas and the operator's CRD", async () => {
        const n = validateAll(await record(clusterArgs({ kind: "primary" })));
        assert.ok(n >= 7, `expected the CR, 3 Secrets, a ConfigMap and 2 ServiceAccounts, validated ${n}`);
    });
});

describe("postgres/PerconaPGCluster schema proof", () => {
    const asRecorded = (obj: object): RecordedResource => ({
        type: CR_TYPE,
        name: "probe",
        urn: "urn:probe",
        custom: true,
        protect: false,
        retainOnDelete: false,
        dependsOn: [],
        propertyDependencies: {},
        inputs: obj as Record<string, any>,
    });
    const base = () =>
        perconaCluster(PG_CLUSTER_NAME, "fortress", {
            ...clusterArgs({ kind: "primary" }).spec,
            configuration: { secretName: "s", configMapName: "c" },
            tls: { serverSecretName: "a", replicationSecretName: "b" },
        }) as any;

    it("accepts the primary as declared", () => {
        validateCustomResource(asRecorded(base()), crds);
    });

    it("rejects a misspelt field anywhere in the spec, naming it", () => {
        for (const [where, mutate] of [
            ["spec", (o: any) => (o.spec.postgresVerison = 15)],
            ["repo schedules", (o: any) => (o.spec.backups.pgbackrest.repos[1].schedules.ful = "0 1 * * *")],
            ["s3", (o: any) => (o.spec.backups.pgbackrest.repos[1].s3.bucketName = "x")],
            ["instances", (o: any) => (o.spec.instances[0].replica = 3)],
        ] as const) {
            const o = base();
            mutate(o);
            assert.throws(() => validateCustomResource(asRecorded(o), crds), /must NOT have additional properties/, `a misspelt field in ${where} must fail`);
        }
    });

    it("rejects a wrong type and a repo name outside repo1-4", () => {
        const o = base();
        o.spec.postgresVersion = "15";
        assert.throws(() => validateCustomResource(asRecorded(o), crds), /postgresVersion must be integer/);
        const p = base();
        p.spec.backups.pgbackrest.repos[2].name = "tier3";
        assert.throws(() => validateCustomResource(asRecorded(p), crds), /must match pattern "\^repo\[1-4\]"/);
    });
});

describe("postgres/PostgresCluster in the DR region", () => {
    const passphrases = { repo1: "p1", repo2: "p2", repo3: "p3" };

    it("standby: streams from the primary over TLS, falls back to repo2, no schedules of its own", async () => {
        const rs = await record(clusterArgs({ kind: "standby", host: "pg.prod.internal.example", port: 5432 }, { cipherPassphrases: passphrases }));
        const spec = specOf(rs);
        assert.deepStrictEqual(spec.standby, { enabled: true, host: "pg.prod.internal.example", port: 5432, repoName: "repo2" });
        assert.deepStrictEqual(spec.backups.pgbackrest.repos, [{ name: "repo2", s3: { bucket: "pat-fortress-prod-tier2-us-west-2", region: "us-west-2", endpoint: "s3.us-west-2.amazonaws.com" } }]);
        assert.ok(!Object.keys(spec.backups.pgbackrest.global).some((k) => /^repo[13]-/.test(k)), "a standby carries only repo2's settings");
        assert.strictEqual(ofType(rs, "random:index/randomPassword:RandomPassword").length, 0, "the primary's passphrases, not new ones");
        assert.match(unwrapSecrets(one(rs, "kubernetes:core/v1:Secret", "pg-pgbackrest-secrets").inputs.stringData)["fortress-secrets.conf"], /repo2-cipher-pass=p2/);
        assert.ok(spec.secrets.customReplicationTLSSecret.name, "replication authenticates with the shared client certificate");
        validateAll(rs);
    });

    it("promote: the standby becomes a primary that backs itself up to its own tier 1 and tier 2", async () => {
        const rs = await record(clusterArgs({ kind: "standby", host: "pg.prod.internal.example", port: 5432 }, { cipherPassphrases: passphrases }, true));
        const spec = specOf(rs);
        assert.strictEqual(spec.standby, undefined);
        assert.deepStrictEqual(spec.backups.pgbackrest.repos.map((r: any) => [r.name, r.schedules.full]), [
            ["repo1", config.tiers.database.tier1.full],
            ["repo2", config.tiers.database.tier2.full],
        ]);
        validateAll(rs);
    });

    it("rebuild: a new cluster from repo3 to a point in time", async () => {
        const rs = await record(clusterArgs({ kind: "rebuild", repo: "repo3", targetTime: "2026-03-01T12:00:00Z" }, { cipherPassphrases: passphrases }));
        const ds = specOf(rs).dataSource.pgbackrest;
        assert.strictEqual(ds.repo.name, "repo3");
        assert.deepStrictEqual(ds.options, ["--type=time", "--target=2026-03-01T12:00:00Z", "--target-action=promote"]);
        assert.strictEqual(ds.stanza, config.postgres.stanza);
        assert.strictEqual(ds.global["repo3-cipher-type"], "aes-256-cbc");
        const own = specOf(rs).backups.pgbackrest.repos;
        assert.deepStrictEqual(own.map((r: any) => r.name), ["repo1"], "an unpromoted rebuild must not push WAL into the primary's repo2");
        assert.deepStrictEqual(own[0].schedules, { full: config.tiers.database.tier1.full, incremental: config.tiers.database.tier1.incremental });
        validateAll(rs);
        const plain = await record(clusterArgs({ kind: "rebuild", repo: "repo2" }, { cipherPassphrases: passphrases }));
        assert.deepStrictEqual(specOf(plain).dataSource.pgbackrest.options, []);
    });

    it("refuses an S1 detection objective Patroni cannot meet", () => {
        assert.throws(() => patroniTimings(24), /S1\.detectSeconds: 24 s leaves Patroni a leader lease of 19 s, below its 20 s minimum; use at least 25/);
        assert.deepStrictEqual(patroniTimings(25), { leaderLeaseSeconds: 20, syncPeriodSeconds: 5, retryTimeoutSeconds: 7 });
    });

    it("refuses a bad point-in-time target and a passphrase for no repo", async () => {
        assert.match((await errorOf(() => record(clusterArgs({ kind: "rebuild", repo: "repo2", targetTime: "yesterday" }, { cipherPassphrases: passphrases })))).message, /dr\.targetTime: "yesterday" is not a date/);
        assert.match((await errorOf(() => record(clusterArgs({ kind: "primary" }, { cipherPassphrases: { repo9: "x" } })))).message, /cipherPassphrases\.repo9 names no repo/);
    });
});

describe("postgres/PerconaOperator", () => {
    it("installs the pg-operator chart at the pinned version the CRD belongs to", async () => {
        const rs = await recordResources(() => void new PerconaOperator("pg-operator", { namespace: "fortress", chartVersion: config.postgres.operatorChartVersion }));
        const release = one(rs, "kubernetes:helm.sh/v3:Release").inputs;
        assert.strictEqual(release.chart, "pg-operator");
        assert.strictEqual(release.version, PERCONA_CR_VERSION);
        assert.strictEqual(release.repositoryOpts.repo, "https://percona.github.io/percona-helm-charts/");
        const err = await errorOf(() => recordResources(() => void new PerconaOperator("x", { namespace: "fortress", chartVersion: "^3" })));
        assert.match(err.message, /chartVersion "\^3" is not an exact version/);
    });
});

describe("postgres/ReplicationTls", () => {
    it("signs a server and a _crunchyrepl client certificate with one CA, and keeps the keys secret", async () => {
        let tlsPems: ReplicationTls["pems"] | undefined;
        const rs = await recordResources(() => {
            tlsPems = new ReplicationTls("pg-tls", { clusterName: PG_CLUSTER_NAME, namespace: "fortress", extraDnsNames: ["pg.prod.internal.example"] }).pems;
        });
        assert.strictEqual(ofType(rs, "tls:index/selfSignedCert:SelfSignedCert").length, 1);
        const csrs = ofType(rs, "tls:index/certRequest:CertRequest");
        assert.deepStrictEqual(csrs.map((c) => c.inputs.subject.commonName).sort(), ["_crunchyrepl", "fortress-pg-primary.fortress.svc"]);
        assert.ok(csrs.find((c) => c.inputs.subject.commonName !== "_crunchyrepl")!.inputs.dnsNames.includes("pg.prod.internal.example"));
        const uses = ofType(rs, "tls:index/locallySignedCert:LocallySignedCert").map((c) => c.inputs.allowedUses.at(-1)).sort();
        assert.deepStrictEqual(uses, ["client_auth", "server_auth"]);
        assert.ok(tlsPems && pulumiIsSecret(tlsPems.serverKey) && pulumiIsSecret(tlsPems.replicationKey));
    });
});

function pulumiIsSecret(o: unknown): boolean {
    return typeof o === "object" && o !== null && "isSecret" in o;
}

/** The platform database's pgBackRest roles: two writer service accounts, the verifier, repo2 and repo3. */
const pgBackRestAccessArgs = (oidcIssuer: string): PgBackRestAccessArgs => ({
    accountId: "123456789012",
    oidcIssuer,
    namespace: "fortress",
    writerServiceAccounts: ["fortress-pg-instance", "fortress-pg-pgbackrest"],
    verifierServiceAccount: "fortress-restore",
    repo2: { bucketArn: "arn:aws:s3:::t2", kmsKeyArn: "arn:aws:kms:us-west-2:1:key/k2" },
    repo3: { bucketArn: "arn:aws:s3:::t3", kmsKeyArn: "arn:aws:kms:us-east-2:1:key/k3" },
});

describe("postgres/PgBackRestAccess", () => {
    it("one IRSA role with the tier 2 and tier 3 writer policies for the operator's service accounts, a reader for verification", async () => {
        const rs = await recordResources(
            () =>
                void new PgBackRestAccess("pgbackrest", pgBackRestAccessArgs("oidc.eks.us-east-1.amazonaws.com/id/ABC")),
        );
        const writer = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "pgbackrest-writer-policy"));
        const writes = writer.Statement.filter((s) => s.Effect === "Allow" && [].concat(s.Action).includes("s3:PutObject" as never)).map((s) => s.Resource);
        assert.deepStrictEqual(writes.sort(), ["arn:aws:s3:::t2/*", "arn:aws:s3:::t3/*"]);
        assert.ok(writer.Statement.some((s) => s.Effect === "Deny"), "the tier writer policies' Deny on destroying versions comes along");
        const trust = policyOf(one(rs, "aws:iam/role:Role", "pgbackrest-writer"), "assumeRolePolicy");
        assert.deepStrictEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], [
            "system:serviceaccount:fortress:fortress-pg-instance",
            "system:serviceaccount:fortress:fortress-pg-pgbackrest",
        ]);
        const reader = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "pgbackrest-verifier-policy"));
        assert.ok(!reader.Statement.some((s) => s.Effect === "Allow" && [].concat(s.Action).includes("s3:PutObject" as never)), "the verifier cannot write");
    });

    it("the scratch reader: read-only on repo2/repo3 (no s3:Put*/Delete*, no wildcard, no metrics), trusted only by the scratch namespaces' pgBackRest service accounts", async () => {
        const issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC";
        const rs = await recordResources(
            () =>
                void new PgBackRestAccess("pgbackrest", pgBackRestAccessArgs(issuer)),
        );
        const policy = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "pgbackrest-scratch-reader-policy"));
        const allowed = policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [].concat(s.Action) as string[]);
        assert.ok(allowed.includes("s3:GetObject"), "it can read the backups");
        const writes = allowed.filter((a) => /^s3:(Put|Delete|Restore|Replicate|Bypass)|\*/.test(a) || /^kms:(Encrypt|GenerateDataKey|ReEncrypt|Schedule|Disable)/.test(a) || a.startsWith("cloudwatch:"));
        assert.deepStrictEqual(writes, [], "no write, delete or wildcard action is allowed");
        assert.deepStrictEqual(policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [].concat(s.Resource) as string[]).sort(), ["arn:aws:kms:us-east-2:1:key/k3", "arn:aws:kms:us-west-2:1:key/k2", "arn:aws:s3:::t2", "arn:aws:s3:::t2/*", "arn:aws:s3:::t3", "arn:aws:s3:::t3/*"]);
        assert.ok(policy.Statement.some((s) => s.Effect === "Deny"), "the reader policies' Deny on destroying versions comes along");
        const trust = policyOf(one(rs, "aws:iam/role:Role", "pgbackrest-scratch-reader"), "assumeRolePolicy");
        assert.strictEqual(trust.Statement.length, 1);
        const c = trust.Statement[0].Condition;
        assert.deepStrictEqual(Object.keys(c).sort(), ["StringEquals", "StringLike"]);
        assert.deepStrictEqual(c.StringEquals, { [`${issuer}:aud`]: "sts.amazonaws.com" });
        assert.deepStrictEqual(c.StringLike, { [`${issuer}:sub`]: ["system:serviceaccount:fortress-scratch-*:*-instance", "system:serviceaccount:fortress-scratch-*:*-pgbackrest"] });
        assert.strictEqual(trust.Statement[0].Principal.Federated, `arn:aws:iam::123456789012:oidc-provider/${issuer}`);
        // The production cluster's own service accounts do not match the patterns.
        const like = (pattern: string, v: string) => new RegExp(`^${pattern.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(v);
        for (const sa of ["system:serviceaccount:fortress:fortress-pg-instance", "system:serviceaccount:fortress:fortress-restore", "system:serviceaccount:default:x-instance"]) {
            assert.ok(!c.StringLike[`${issuer}:sub`].some((p: string) => like(p, sa)), `${sa} must not be trusted`);
        }
    });

    it("an IRSA trust pattern wider than <namespace prefix>-*:*-<suffix> is refused, naming it", () => {
        for (const bad of ["system:serviceaccount:*:*", "system:serviceaccount:fortress-scratch-*:*", "system:serviceaccount:*:*-instance", "system:serviceaccount:fortress-scratch-*:*-*"]) {
            assert.throws(() => assertSubjectPatterns([bad]), (e: Error) => e.message.includes(`"${bad}"`));
        }
        assert.doesNotThrow(() => assertSubjectPatterns(["system:serviceaccount:fortress-scratch-*:*-instance"]));
    });
});

describe("postgres/BackupVerification", () => {
    it("runs daily, one hour after the last daily full backup, from the tier config", () => {
        assert.strictEqual(verificationSchedule(config.tiers.database), "0 3 * * *");
        assert.strictEqual(verificationSchedule({ ...config.tiers.database, tier3: { full: "30 4 * * *", retentionDays: 365 } }), "30 5 * * *");
    });

    it("a CronJob that verifies the S3 repos and restore-tests repo2 with the shared script, valid against Kubernetes", async () => {
        const rs = await recordResources(
            () =>
                void new BackupVerification("pg-verify", {
                    clusterName: PG_CLUSTER_NAME,
                    namespace: "fortress",
                    schedule: verificationSchedule(config.tiers.database),
                    settings,
                    stanza: "db",
                    cipherSecretName: "fortress-pg-pgbackrest-secrets",
                    postgresImage: config.postgres.image,
                    postgresVersion: config.postgres.postgresVersion,
                    jobImage: config.jobImage,
                    serviceAccountName: "fortress-restore",
                    verifierRoleArn: "arn:aws:iam::123456789012:role/verifier",
                    metricsRegion: "us-west-2",
                    scratch: { storageClass: "gp3", size: "100Gi" },
                }),
        );
        const cj = one(rs, "kubernetes:batch/v1:CronJob").inputs;
        assert.strictEqual(cj.spec.schedule, "0 3 * * *");
        const pod = cj.spec.jobTemplate.spec.template.spec;
        const env = Object.fromEntries(pod.initContainers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.REPOS, "2 3");
        assert.strictEqual(env.RESTORE_REPO, "2");
        // The server binaries of the configured major, where the Percona image keeps them (no major in the component).
        assert.strictEqual(env.PG_BIN, `/usr/pgsql-${config.postgres.postgresVersion}/bin`);
        const files = one(rs, "kubernetes:core/v1:ConfigMap").inputs.data;
        assert.match(files["verify-backups.sh"], /--output=text --verbose verify/);
        assert.match(files["pgbackrest.conf"], /repo2-s3-bucket=pat-fortress-prod-tier2-us-west-2/);
        assert.match(files["pgbackrest.conf"], /repo2-path=\/tier2\/database\n/);
        assert.doesNotMatch(files["pgbackrest.conf"], /repo1-|cipher-pass/);
        for (const o of kubernetesObjects(rs)) validateCoreObject(o);
        const err = await errorOf(() =>
            recordResources(() => void new BackupVerification("x", { clusterName: "c", namespace: "n", schedule: "0 3 * * *", settings, stanza: "db", cipherSecretName: "s", postgresImage: "i:1", postgresVersion: 17, jobImage: "j:1", serviceAccountName: "sa", verifierRoleArn: "r", metricsRegion: "us-west-2", scratch: { storageClass: "gp3", size: "1Gi" }, restoreRepo: 1 })),
        );
        assert.match(err.message, /restoreRepo 1 is not an S3 repo this job can read; use one of 2, 3/);
    });

    it("alarms on any failed result and on a day without one", () => {
        const alarms = verificationAlarms(PG_CLUSTER_NAME, [2, 3], 2);
        assert.deepStrictEqual(alarms.map((a) => a.name), ["pg-verify-ok-repo2", "pg-info-ok-repo2", "pg-verify-ok-repo3", "pg-info-ok-repo3", "pg-restore-test-ok-repo2"]);
        for (const a of alarms) {
            assert.strictEqual(a.treatMissingData, "breaching");
            assert.strictEqual(a.threshold, 1);
            assert.strictEqual(a.comparison, "LessThanThreshold");
        }
    });
});

describe("postgres/BackupAgeReporter", () => {
    it("publishes the newest backup.manifest's age of each S3 tier where the backup-age alarms look", async () => {
        // A sixth of tier 2's shortest gap (hourly incrementals): every 10 minutes.
        assert.strictEqual(backupAgeSchedule(settings), "*/10 * * * *");
        const rs = await recordResources(
            () =>
                void new BackupAgeReporter("pg-backup-age", {
                    clusterName: PG_CLUSTER_NAME,
                    namespace: "fortress",
                    settings,
                    stanza: "db",
                    jobImage: config.jobImage,
                    serviceAccountName: "fortress-restore",
                    verifierRoleArn: "arn:aws:iam::123456789012:role/verifier",
                    metricsRegion: "us-west-2",
                }),
        );
        const cj = one(rs, "kubernetes:batch/v1:CronJob").inputs;
        const script: string = cj.spec.jobTemplate.spec.template.spec.containers[0].command[3];
        assert.match(script, /AWS_REGION=us-west-2 python3 \/opt\/fortress\/jobs\/lib\/s3\.py publish-object-age pat-fortress-prod-tier2-us-west-2 tier2\/database\/backup\/db\/ backup\.manifest Fortress\/Backups NewestBackupAgeSeconds DataClass=database Tier=tier2/);
        assert.match(script, /pat-fortress-prod-tier3-eu-west-1 tier3\/database\/backup\/db\/ .* Tier=tier3/);
        assert.doesNotMatch(script, /tier1/, "repo1 is a volume, not S3");
        for (const o of kubernetesObjects(rs)) validateCoreObject(o);
    });
});

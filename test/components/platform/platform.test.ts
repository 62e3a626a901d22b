import * as assert from "assert";
import * as aws from "@pulumi/aws";
import { ComponentBackupJobs, SealedSecrets, VaultDr, Velero, VeleroArgs, activeDeadlineSeconds, backupCronJobSpec } from "../../../components/platform";
import { maxIntervalSeconds } from "../../../components/core/cron";
import { configSchema } from "../../../config";
import { errorOf, ofType, one, policyOf, recordResources } from "../../helpers/pulumi";
import { kubernetesObjects, validateCoreObject, validateCustomResource } from "./kube-schema";
import { vendoredCrds } from "../../../crds";

const tiers = configSchema.shape.tiers.parse(undefined);
const platform = configSchema.shape.platform.parse(undefined);
const crds = vendoredCrds("velero-crds.yaml");
const target = (tier: string) => ({ bucketName: `acme-${tier}`, region: tier === "tier2" ? "us-west-2" : "us-east-2", writerRoleArn: `arn:aws:iam::123456789012:role/${tier}-writer` });
const location = (tier: string) => ({ ...target(tier), bucketArn: `arn:aws:s3:::acme-${tier}`, kmsKeyArn: `arn:aws:kms:us-west-2:123456789012:key/mrk-${tier}` });

const veleroArgs = (over: Partial<VeleroArgs> = {}): VeleroArgs => ({
    chartVersion: platform.velero.chartVersion,
    image: platform.velero.image,
    awsPluginImage: platform.velero.awsPluginImage,
    oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
    accountId: "123456789012",
    locations: { tier2: location("tier2"), tier3: location("tier3") },
    schedules: { tier2: tiers.configuration.tier2, tier3: tiers.configuration.tier3 },
    ageReporting: {
        namespace: "fortress",
        jobImage: "ghcr.io/pat-fortress/fortress-backup-job:0.1.0",
        serviceAccountName: "fortress-backup",
        metricsRegion: "us-west-2",
        roleArns: { tier2: "arn:aws:iam::123456789012:role/tier2-writer", tier3: "arn:aws:iam::123456789012:role/tier3-writer" },
    },
    ...over,
});

function validateAll(rs: Parameters<typeof kubernetesObjects>[0]): number {
    let n = 0;
    for (const o of kubernetesObjects(rs)) {
        if (o.type.startsWith("kubernetes:velero.io/")) validateCustomResource(o, crds);
        else validateCoreObject(o);
        n++;
    }
    return n;
}

describe("platform/backupCronJobSpec", () => {
    it("bounds a run by the schedule's interval and refuses a prefix of another tier", () => {
        assert.strictEqual(activeDeadlineSeconds("*/5 * * * *"), 270);
        assert.strictEqual(activeDeadlineSeconds("15 3 * * *"), 3600);
        assert.throws(
            () => backupCronJobSpec({ name: "x", namespace: "n", tier: "tier2", schedule: "0 * * * *", image: "i:1", script: "s.sh", target: target("tier2"), prefix: "tier1/redis/", serviceAccountName: "sa", metricsRegion: "us-west-2", dataClass: "redis" }),
            /prefix "tier1\/redis\/" must start with "tier2\/"/,
        );
    });
});

describe("platform/Velero", () => {
    it("installs the pinned chart with the AWS plugin and IRSA, no static credentials", async () => {
        const rs = await recordResources(() => void new Velero("velero", veleroArgs()));
        const release = one(rs, "kubernetes:helm.sh/v3:Release", "velero").inputs;
        assert.strictEqual(release.chart, "velero");
        assert.strictEqual(release.version, "12.0.3");
        assert.strictEqual(release.repositoryOpts.repo, "https://vmware-tanzu.github.io/helm-charts");
        assert.deepStrictEqual(release.values.image, { repository: "velero/velero", tag: "v1.18.1" });
        assert.strictEqual(release.values.initContainers[0].image, "velero/velero-plugin-for-aws:v1.14.0");
        assert.strictEqual(release.values.credentials.useSecret, false);
        const policy = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "velero-policy"));
        const sids = policy.Statement.map((s) => s.Sid);
        assert.ok(sids.includes("WriteBackupsTier2") && sids.includes("WriteBackupsTier3"), sids.join(","));
        assert.ok(policy.Statement.some((s) => s.Effect === "Deny" && s.Action.includes("s3:DeleteObjectVersion")), "Velero must not be able to destroy a version");
        const trust = JSON.parse(one(rs, "aws:iam/role:Role", "velero-role").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], ["system:serviceaccount:velero:velero-server"]);
    });

    it("declares a storage location per tier and the schedules from tiers.configuration, valid against the Velero CRDs", async () => {
        const rs = await recordResources(() => void new Velero("velero", veleroArgs()));
        const bsl = ofType(rs, "kubernetes:velero.io/v1:BackupStorageLocation");
        assert.deepStrictEqual(bsl.map((b) => [b.inputs.metadata.name, b.inputs.spec.objectStorage.bucket, b.inputs.spec.objectStorage.prefix, b.inputs.spec.default]).sort(), [
            ["tier2", "acme-tier2", "tier2/configuration/velero", true],
            ["tier3", "acme-tier3", "tier3/configuration/velero", false],
        ]);
        const schedules = Object.fromEntries(ofType(rs, "kubernetes:velero.io/v1:Schedule").map((s) => [s.inputs.metadata.name, s.inputs.spec]));
        assert.strictEqual(schedules["configuration-daily"].schedule, tiers.configuration.tier2.snapshot);
        assert.strictEqual(maxIntervalSeconds(schedules["configuration-daily"].schedule), 86_400);
        assert.strictEqual(schedules["configuration-daily"].template.ttl, "720h0m0s", "a 30-day TTL");
        assert.strictEqual(schedules["configuration-daily"].template.storageLocation, "tier2");
        assert.strictEqual(schedules["comprehensive-weekly"].schedule, tiers.configuration.tier3.snapshot);
        assert.strictEqual(maxIntervalSeconds(schedules["comprehensive-weekly"].schedule), 7 * 86_400);
        assert.strictEqual(schedules["comprehensive-weekly"].template.storageLocation, "tier3");
        assert.strictEqual(schedules["comprehensive-weekly"].template.defaultVolumesToFsBackup, true);
        assert.ok(validateAll(rs) >= 7);
    });

    it("the CRD check rejects a misspelt field and a wrong type (it can fail)", async () => {
        const rs = await recordResources(() => void new Velero("velero", veleroArgs()));
        const schedule = one(rs, "kubernetes:velero.io/v1:Schedule", "velero-configuration-daily");
        const misspelt = { ...schedule, inputs: { ...schedule.inputs, spec: { ...schedule.inputs.spec, template: { ...schedule.inputs.spec.template, storageLocaton: "tier2" } } } };
        assert.throws(() => validateCustomResource(misspelt, crds), /must NOT have additional properties/);
        const wrongType = { ...schedule, inputs: { ...schedule.inputs, spec: { ...schedule.inputs.spec, paused: "no" } } };
        assert.throws(() => validateCustomResource(wrongType, crds), /paused must be boolean/);
    });

    it("reports each tier's newest backup age for the configuration alarms", async () => {
        const rs = await recordResources(() => void new Velero("velero", veleroArgs()));
        const jobs = ofType(rs, "kubernetes:batch/v1:CronJob");
        assert.deepStrictEqual(jobs.map((j) => j.inputs.spec.jobTemplate.spec.template.spec.containers[0].command[1]).sort(), [
            "/opt/fortress/jobs/velero-backup-age.sh",
            "/opt/fortress/jobs/velero-backup-age.sh",
        ]);
    });

    it("refuses an unpinned image and a TTL shorter than the interval", async () => {
        assert.match((await errorOf(() => recordResources(() => void new Velero("velero", veleroArgs({ image: "velero/velero" }))))).message, /image "velero\/velero" has no tag/);
        const short = { tier2: tiers.configuration.tier2, tier3: { snapshot: "0 4 * * 0", retentionDays: 3 } };
        assert.match((await errorOf(() => recordResources(() => void new Velero("velero", veleroArgs({ schedules: short }))))).message, /schedules.tier3 keeps 3 day\(s\)/);
    });

    it("read-only (the DR restore side): ReadOnly locations valid against the CRD, a reader role, no schedules; refuses schedules with it and none without it", async () => {
        const rs = await recordResources(() => void new Velero("velero", veleroArgs({ readOnly: true, schedules: undefined, ageReporting: undefined })));
        const bsl = ofType(rs, "kubernetes:velero.io/v1:BackupStorageLocation");
        assert.deepStrictEqual(bsl.map((b) => b.inputs.spec.accessMode), ["ReadOnly", "ReadOnly"]);
        assert.strictEqual(ofType(rs, "kubernetes:velero.io/v1:Schedule").length, 0);
        const allowed = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "velero-policy")).Statement.filter((x: any) => x.Effect === "Allow").flatMap((x: any) => [x.Action].flat());
        assert.ok(allowed.includes("s3:GetObject") && !allowed.some((a: string) => a.startsWith("s3:Put")), allowed.join(", "));
        validateAll(rs);
        assert.match((await errorOf(() => recordResources(() => void new Velero("velero", veleroArgs({ readOnly: true, ageReporting: undefined }))))).message, /readOnly with schedules/);
        assert.match((await errorOf(() => recordResources(() => void new Velero("velero", veleroArgs({ schedules: undefined }))))).message, /schedules is missing/);
    });
});

/** The secrets data class's backup jobs (tier 2 and tier 3), as SealedSecrets and VaultDr take them. */
const secretsBackupJobs = (): ComponentBackupJobs => ({
    jobNamespace: "fortress",
    jobServiceAccount: "fortress-backup",
    jobImage: "ghcr.io/pat-fortress/fortress-backup-job:0.1.0",
    schedules: { tier2: tiers.secrets.tier2.snapshot, tier3: tiers.secrets.tier3.snapshot },
    targets: { tier2: target("tier2"), tier3: target("tier3") },
    metricsRegion: "us-west-2",
});

describe("platform/SealedSecrets", () => {
    const args = { chartVersion: platform.sealedSecrets.chartVersion, ...secretsBackupJobs() };

    it("installs the pinned controller and backs its sealing key up to tiers 2 and 3 on the secrets schedule", async () => {
        const rs = await recordResources(() => void new SealedSecrets("sealed-secrets", args));
        const release = one(rs, "kubernetes:helm.sh/v3:Release", "sealed-secrets").inputs;
        assert.strictEqual(release.version, "2.17.3");
        assert.strictEqual(release.namespace, "kube-system");
        assert.strictEqual(release.values.fullnameOverride, "sealed-secrets-controller");
        const jobs = ofType(rs, "kubernetes:batch/v1:CronJob");
        assert.deepStrictEqual(jobs.map((j) => [j.inputs.metadata.labels["fortress/tier"], j.inputs.spec.schedule]).sort(), [
            ["tier2", tiers.secrets.tier2.snapshot],
            ["tier3", tiers.secrets.tier3.snapshot],
        ]);
        for (const j of jobs) {
            const c = j.inputs.spec.jobTemplate.spec.template.spec.containers[0];
            assert.deepStrictEqual(c.command, ["/opt/fortress/jobs/lib/slo-run.sh", "/opt/fortress/jobs/sealed-secrets-key-backup.sh"]);
            const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
            assert.strictEqual(env.SEALED_SECRETS_NAMESPACE, "kube-system");
            assert.match(env.BACKUP_PREFIX, /^tier[23]\/secrets\/sealed-secrets$/);
            assert.ok(env.BACKUP_KEY_FILE, "the key backup is encrypted");
        }
        const binding = one(rs, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs;
        assert.deepStrictEqual(binding.subjects, [{ kind: "ServiceAccount", name: "fortress-backup", namespace: "fortress" }]);
        assert.strictEqual(binding.metadata.namespace, "kube-system");
        assert.ok(validateAll(rs) >= 5);
    });

    it("restoreKeys: a Job creates the backed-up keys before the chart; without schedules no backup job and no read grant", async () => {
        const restoreKeys = { bucketName: "acme-tier2", region: "us-west-2", prefixes: ["tier2/secrets/sealed-secrets"], readerRoleArn: "arn:aws:iam::123456789012:role/dr-reader", passphrase: "p" };
        const rs = await recordResources(() => void new SealedSecrets("sealed-secrets", { ...args, schedules: {}, targets: {}, restoreKeys }));
        const job = one(rs, "kubernetes:batch/v1:Job").inputs;
        const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.deepStrictEqual([env.BACKUP_PREFIX, env.AWS_ROLE_ARN, env.SEALED_SECRETS_NAMESPACE], ["tier2/secrets/sealed-secrets", restoreKeys.readerRoleArn, "kube-system"]);
        const jobUrn = ofType(rs, "kubernetes:batch/v1:Job")[0].urn;
        assert.ok(one(rs, "kubernetes:helm.sh/v3:Release", "sealed-secrets").dependsOn?.includes(jobUrn));
        assert.strictEqual(ofType(rs, "kubernetes:batch/v1:CronJob").length, 0);
        assert.deepStrictEqual(ofType(rs, "kubernetes:rbac.authorization.k8s.io/v1:Role").map((r) => r.inputs.rules[0].verbs), [["create", "get"]]);
        validateAll(rs);
        assert.match((await errorOf(() => recordResources(() => void new SealedSecrets("s", { ...args, schedules: {}, targets: {} })))).message, /schedules is empty and there are no keys to restore/);
        assert.match((await errorOf(() => recordResources(() => void new SealedSecrets("s", { ...args, restoreKeys: { ...restoreKeys, prefixes: [] } })))).message, /restoreKeys.prefixes is empty/);
    });

    it("refuses tier 1 for the sealing keys", async () => {
        const e = await errorOf(() => recordResources(() => void new SealedSecrets("s", { ...args, schedules: { tier1: "*/5 * * * *" }, targets: { tier1: target("tier1") } })));
        assert.match(e.message, /schedules.tier1 is not a place for sealing keys/);
    });
});

describe("platform/VaultDr", () => {
    const build = (replicas?: Record<string, aws.Provider>) => () => {
        const dr = new aws.Provider("aws-us-west-2", { region: "us-west-2" });
        new VaultDr("vault", {
            accountId: "123456789012",
            adminRoleArns: ["arn:aws:iam::123456789012:role/deployer"],
            replicas: replicas ?? { "us-west-2": dr },
            primaryRegion: "us-east-1",
            oidcIssuer: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
            vaultNamespace: platform.vault.namespace,
            vaultServiceAccount: platform.vault.serviceAccount,
            vaultAddress: platform.vault.address,
            snapshotRole: platform.vault.snapshotRole,
            ...secretsBackupJobs(),
        });
    };

    it("declares a multi-Region unseal key with a replica in the DR region and an IRSA role that can use both", async () => {
        const rs = await recordResources(build());
        const key = one(rs, "aws:kms/key:Key", "vault-unseal").inputs;
        assert.strictEqual(key.multiRegion, true);
        assert.strictEqual(key.enableKeyRotation, true);
        const replica = one(rs, "aws:kms/replicaKey:ReplicaKey", "vault-unseal-us-west-2");
        assert.strictEqual(replica.region, "us-west-2");
        const use = policyOf(one(rs, "aws:iam/rolePolicy:RolePolicy", "vault-unseal")).Statement[0];
        assert.deepStrictEqual(use.Action, ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]);
        assert.strictEqual(use.Resource.length, 2, "the primary key and its DR replica");
        const trust = JSON.parse(one(rs, "aws:iam/role:Role", "vault-unseal").inputs.assumeRolePolicy);
        assert.deepStrictEqual(trust.Statement[0].Condition.StringEquals["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"], ["system:serviceaccount:vault:vault"]);
    });

    it("takes raft snapshots to tiers 2 and 3 on the secrets schedule", async () => {
        const rs = await recordResources(build());
        const jobs = ofType(rs, "kubernetes:batch/v1:CronJob");
        assert.strictEqual(jobs.length, 2);
        for (const j of jobs) {
            const c = j.inputs.spec.jobTemplate.spec.template.spec.containers[0];
            assert.deepStrictEqual(c.command, ["/opt/fortress/jobs/lib/slo-run.sh", "/opt/fortress/jobs/vault-raft-snapshot.sh"]);
            const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
            assert.strictEqual(env.VAULT_ADDR, "https://vault-active.vault.svc:8200");
            assert.match(env.BACKUP_PREFIX, /^tier[23]\/secrets\/vault$/);
        }
        assert.ok(validateAll(rs) >= 3);
    });

    it("refuses to go without a DR replica", async () => {
        assert.match((await errorOf(() => recordResources(build({})))).message, /replicas is empty; the unseal key needs a replica in the DR region/);
    });
});

/**
 * The DR stack's operators and redis steps (stacks/steps/backup-identity.ts, configuration.ts, secrets.ts, cache.ts) in every mode, on a
 * created EKS cluster and on an existing one: Velero read-only until promoted, Sealed
 * Secrets started on the primary's keys, Redis restored from the newest snapshot through a
 * DR-side reader role, the promoted region's snapshot jobs, secrets kept secret, and every
 * Kubernetes object against its schema or CRD.
 */
import * as assert from "assert";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { modeVariants } from "../../stacks/steps/dr-mode";
import { planDocument } from "../../tools/plan";
import { validateK8sObject } from "../components/workloads/k8s-schema";
import { unwrapSecrets, validateCustomResource } from "../components/platform/kube-schema";
import { vendoredCrds } from "../../crds";
import type { RecordedResource } from "../../components/core/recorded-resource";

const veleroCrds = vendoredCrds("velero-crds.yaml");
const perconaCrds = vendoredCrds("percona-pg-crd.yaml");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const of = (r: PlanResult, type: string) => r.resources.filter((x) => x.type === type);
const named = (r: PlanResult, type: string, name: string) => {
    const found = of(r, type).find((x) => x.name === name);
    assert.ok(found, `no ${type} ${name} in ${r.stack}`);
    return found!;
};
const env = (c: any) => Object.fromEntries((c.env as { name: string; value: unknown }[]).map((e) => [e.name, e.value]));
const isSecret = (v: unknown) => typeof v === "object" && v !== null && (v as any)[SECRET_SIG] !== undefined;
const policyOf = (r: PlanResult, name: string) => JSON.parse(named(r, "aws:iam/rolePolicy:RolePolicy", name).inputs.policy);
const actions = (policy: any) => policy.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => [s.Action].flat());

type Case = { label: string; mode: "pilot-light" | "rebuild" | "promote"; tier: "tier2" | "tier3"; dr: Record<string, unknown>; existing: boolean };

describe("DR stack: operators and Redis in every mode", function () {
    this.timeout(600_000);
    const cases: Case[] = [];
    const results = new Map<string, PlanResult>();
    let primary: PlanResult;
    // The existing cluster with its OIDC issuer, so IRSA works there too.
    const existingCluster = { "fortress-dr:kubernetes": JSON.stringify({ cluster: "existing", context: "pat-fortress-prod-usw2", namespace: "fortress", oidcProvider: "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLEDR0000000000000000000000" }) };

    before(async () => {
        primary = await evaluateStack("prod");
        const base = await evaluateStack("prod-dr");
        const v = Object.fromEntries(modeVariants(base.config).map((x) => [x.name, x.dr]));
        const variants: Omit<Case, "existing">[] = [
            { label: "pilot-light", mode: "pilot-light", tier: "tier2", dr: v["pilot-light"] },
            { label: "rebuild tier2", mode: "rebuild", tier: "tier2", dr: { ...v.rebuild, restoreFrom: "tier2" } },
            { label: "rebuild tier3", mode: "rebuild", tier: "tier3", dr: { ...v.rebuild, restoreFrom: "tier3" } },
            { label: "promote", mode: "promote", tier: "tier2", dr: { ...v.promote, mode: "rebuild", restoreFrom: "tier2" } },
        ];
        for (const c of variants) {
            for (const existing of [false, true]) {
                const k: Case = { ...c, existing };
                cases.push(k);
                results.set(key(k), await evaluateStack("prod-dr", { configOverrides: { "fortress-dr:dr": JSON.stringify(c.dr), ...(existing ? existingCluster : {}) } }));
            }
        }
    });
    const key = (c: Case) => `${c.label}/${c.existing ? "existing" : "eks"}`;
    const each = (f: (r: PlanResult, c: Case) => void | Promise<void>) => async () => {
        assert.strictEqual(cases.length, 8);
        for (const c of cases) {
            try {
                await f(results.get(key(c))!, c);
            } catch (e) {
                (e as Error).message = `[${key(c)}] ${(e as Error).message}`;
                throw e;
            }
        }
    };

    it("declares the operators and redis steps in every mode (nothing pending)", each((r, c) => {
        assert.strictEqual(r.outputs.mode, c.mode);
        const steps = r.outputs.steps as Record<string, { status: string; detail: string }>;
        assert.strictEqual(steps.operators.status, "declared", steps.operators.detail);
        assert.strictEqual(steps.redis.status, "declared", steps.redis.detail);
        assert.deepStrictEqual(Object.entries(steps).filter(([, s]) => s.status !== "declared").map(([n]) => n), []);
    }));

    it("reads through a DR-side reader role: trusts the DR cluster's issuer only, reads the restore tier and decrypts with its key, writes nothing", each((r, c) => {
        const role = named(r, "aws:iam/role:Role", "dr-backup-reader");
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        const issuer = c.existing ? "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLEDR0000000000000000000000" : (r.outputs.cluster as any).oidcIssuer.replace(/^https:\/\//, "");
        const principals = trust.Statement.map((s: any) => s.Principal.Federated);
        assert.ok(principals.length > 0 && principals.every((p: string) => p.endsWith(`:oidc-provider/${issuer}`)), JSON.stringify(principals));
        assert.ok(!JSON.stringify(trust).includes(primary.config.kubernetes.oidcProvider!), "the primary cluster's issuer must not be trusted");
        assert.match(JSON.stringify(trust), /system:serviceaccount:fortress:fortress-backup/);
        const policy = policyOf(r, "dr-backup-reader");
        const tiers = primary.outputs.tiers as Record<string, { bucketName: string; kmsKeyArn: string }>;
        const resources = policy.Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) => [s.Resource].flat());
        assert.deepStrictEqual(new Set(resources), new Set([`arn:aws:s3:::${tiers[c.tier].bucketName}`, `arn:aws:s3:::${tiers[c.tier].bucketName}/*`, tiers[c.tier].kmsKeyArn]));
        if (c.tier === "tier2") assert.match(tiers.tier2.kmsKeyArn, new RegExp(`^arn:aws:kms:${r.config.regions.dr}:`), "tier 2 is read with the DR-region key replica");
        assert.ok(!actions(policy).some((a: string) => /^s3:Put|^kms:(Encrypt|GenerateDataKey)/.test(a)), actions(policy).join(", "));
    }));

    it("restores Redis from the newest snapshot: tier 1's replicated copies and tier 2's (or tier 3's) through the reader role", each((r, c) => {
        const sts = of(r, "kubernetes:apps/v1:StatefulSet").find((s) => s.inputs.metadata.name === "fortress-redis")!;
        assert.ok(sts, "no Redis StatefulSet");
        const pod = sts.inputs.spec.template.spec;
        assert.strictEqual(pod.serviceAccountName, "fortress-backup");
        const init = pod.initContainers.find((x: any) => x.name === "restore");
        const e = env(init);
        const tiers = primary.outputs.tiers as Record<string, { bucketName: string }>;
        assert.strictEqual(e.BACKUP_BUCKET, tiers[c.tier].bucketName);
        assert.strictEqual(e.BACKUP_PREFIX, c.tier === "tier2" ? "tier1/redis tier2/redis" : "tier3/redis");
        assert.strictEqual(e.AWS_REGION, c.tier === "tier2" ? r.config.regions.dr : r.config.regions.tier3);
        assert.match(String(e.AWS_ROLE_ARN), /dr-backup-reader/);
    }));

    it("keeps the primary's passphrases secret from the StackReference to the Kubernetes Secret", each((r) => {
        const passphrases = primary.referenceOutputs.outputs.backupPassphrases as Record<string, string>;
        assert.ok(primary.referenceOutputs.secretOutputNames.includes("backupPassphrases"), "the StackReference marks the passphrases secret");
        assert.ok(Object.values(primary.outputs.backupPassphrases as Record<string, string>).every((v) => v === "[secret]"), "the plan prints them masked");
        for (const [secretName, which] of [["fortress-redis-restore-key", "redis"], ["sealed-secrets-restore-key", "sealedSecrets"]] as const) {
            const s = of(r, "kubernetes:core/v1:Secret").find((x) => x.inputs.metadata.name === secretName)!;
            assert.ok(s, `no Secret ${secretName}`);
            assert.ok(isSecret(s.inputs.stringData), `${secretName}: the passphrase is not a secret Output`);
            assert.strictEqual(unwrapSecrets(s.inputs.stringData).passphrase, passphrases[which]);
        }
        // Neither the stack's outputs nor the plan's --json document carries a passphrase.
        const doc = JSON.stringify(planDocument(r));
        for (const p of Object.values(passphrases)) if (p) assert.ok(!JSON.stringify(r.outputs).includes(p) && !doc.includes(p), "a passphrase is printed");
        const shown = (planDocument(r).resources as { name: string; inputs: any }[]).find((x) => x.name === "fortress-redis-restore-key")!;
        assert.strictEqual(shown.inputs.stringData, "[secret]");
    }));

    it("Velero: read-only storage locations and no schedules until promoted; then read-write with the tier schedules", each((r, c) => {
        const bsl = of(r, "kubernetes:velero.io/v1:BackupStorageLocation");
        const schedules = of(r, "kubernetes:velero.io/v1:Schedule");
        assert.deepStrictEqual(bsl.map((b) => b.inputs.metadata.name).sort(), ["tier2", "tier3"]);
        const promoted = c.mode === "promote";
        assert.ok(bsl.every((b) => b.inputs.spec.accessMode === (promoted ? "ReadWrite" : "ReadOnly")));
        assert.strictEqual(schedules.length, promoted ? 2 : 0);
        const write = actions(policyOf(r, "velero-policy")).some((a: string) => a.startsWith("s3:Put"));
        assert.strictEqual(write, promoted);
        const veleroTrust = named(r, "aws:iam/role:Role", "velero-role").inputs.assumeRolePolicy;
        assert.ok(!veleroTrust.includes(primary.config.kubernetes.oidcProvider!));
    }));

    it("Sealed Secrets: the chart waits for a Job that restores the primary's keys with sealed-secrets-key-restore.sh", each((r, c) => {
        const job = named(r, "kubernetes:batch/v1:Job", "sealed-secrets-key-restore");
        const container = job.inputs.spec.template.spec.containers[0];
        assert.deepStrictEqual(container.command, ["/opt/fortress/jobs/sealed-secrets-key-restore.sh"]);
        const e = env(container);
        assert.strictEqual(e.BACKUP_PREFIX, `${c.tier}/secrets/sealed-secrets`);
        assert.strictEqual(e.SEALED_SECRETS_NAMESPACE, r.config.platform.sealedSecrets.namespace);
        assert.match(String(e.AWS_ROLE_ARN), /dr-backup-reader/);
        assert.strictEqual(job.inputs.spec.template.spec.serviceAccountName, "fortress-backup");
        const release = of(r, "kubernetes:helm.sh/v3:Release").find((x) => x.inputs.chart === "sealed-secrets")!;
        assert.ok((release.dependsOn ?? []).includes(job.urn), "the controller must start after the keys are restored");
        const restorer = named(r, "kubernetes:rbac.authorization.k8s.io/v1:Role", "sealed-secrets-key-restorer");
        assert.deepStrictEqual(restorer.inputs.rules, [{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "get"] }]);
        // Reading every secret of the namespace is for the key backups, which run only once promoted.
        assert.strictEqual(of(r, "kubernetes:rbac.authorization.k8s.io/v1:Role").some((x) => x.name === "sealed-secrets-key-reader"), c.mode === "promote");
    }));

    it("once promoted: Redis snapshots to tier 2 on tier 1's schedule and to tier 3, key backups to tiers 2 and 3, all with the primary's passphrases", each((r, c) => {
        const cron = of(r, "kubernetes:batch/v1:CronJob");
        if (c.mode !== "promote") {
            assert.deepStrictEqual(cron.map((x) => x.name), []);
            assert.strictEqual(of(r, "aws:iam/role:Role").filter((x) => x.name.startsWith("dr-backup-writer")).length, 0);
            return;
        }
        const redis = Object.fromEntries(cron.filter((x) => x.inputs.metadata.labels["fortress/data-class"] === "redis").map((x) => [x.inputs.metadata.labels["fortress/tier"], x]));
        assert.deepStrictEqual(Object.keys(redis).sort(), ["tier2", "tier3"]);
        assert.strictEqual(redis.tier2.inputs.spec.schedule, r.config.tiers.redis.tier1.snapshot);
        assert.strictEqual(redis.tier3.inputs.spec.schedule, r.config.tiers.redis.tier3.snapshot);
        const tiers = primary.outputs.tiers as Record<string, { bucketName: string }>;
        for (const t of ["tier2", "tier3"]) {
            const e = env(redis[t].inputs.spec.jobTemplate.spec.template.spec.containers[0]);
            assert.strictEqual(e.BACKUP_BUCKET, tiers[t].bucketName);
            assert.strictEqual(e.BACKUP_PREFIX, `${t}/redis`);
            assert.match(String(e.AWS_ROLE_ARN), new RegExp(`dr-backup-writer-${t}`));
            const writer = JSON.parse(named(r, "aws:iam/role:Role", `dr-backup-writer-${t}`).inputs.assumeRolePolicy);
            assert.ok(!JSON.stringify(writer).includes(primary.config.kubernetes.oidcProvider!));
        }
        const secrets = cron.filter((x) => x.inputs.metadata.labels["fortress/data-class"] === "secrets").map((x) => x.inputs.metadata.labels["fortress/tier"]);
        assert.deepStrictEqual(secrets.sort(), ["tier2", "tier3"]);
        const passphrases = primary.referenceOutputs.outputs.backupPassphrases as Record<string, string>;
        assert.ok(primary.referenceOutputs.secretOutputNames.includes("backupPassphrases"), "the StackReference marks the passphrases secret");
        assert.ok(Object.values(primary.outputs.backupPassphrases as Record<string, string>).every((v) => v === "[secret]"), "the plan prints them masked");
        const key = of(r, "kubernetes:core/v1:Secret").find((x) => x.inputs.metadata.name === "fortress-redis-snapshot-key")!;
        assert.ok(isSecret(key.inputs.stringData));
        assert.strictEqual(unwrapSecrets(key.inputs.stringData).passphrase, passphrases.redis, "snapshots written after the promotion open with the same key");
    }));

    it("every Kubernetes object validates against the Kubernetes schemas or its CRD (Velero, Percona)", each(async (r) => {
        const objects = r.resources.filter((x: RecordedResource) => x.custom && x.type.startsWith("kubernetes:") && !x.type.startsWith("kubernetes:helm.sh/"));
        assert.ok(objects.some((o) => o.type === "kubernetes:batch/v1:Job"));
        for (const o of objects) {
            if (o.type.startsWith("kubernetes:velero.io/")) validateCustomResource(o, veleroCrds);
            else if (o.type.startsWith("kubernetes:pgv2.percona.com/")) validateCustomResource(o, perconaCrds);
            else await validateK8sObject(unwrapSecrets(o.inputs));
        }
    }));

    it("an existing cluster without its OIDC issuer: both steps wait for kubernetes.oidcProvider and declare nothing", async () => {
        const r = await evaluateStack("prod-dr", { configOverrides: { "fortress-dr:kubernetes": JSON.stringify({ cluster: "existing", context: "pat-fortress-prod-usw2", namespace: "fortress" }) } });
        const steps = r.outputs.steps as Record<string, { status: string; detail: string }>;
        for (const s of ["operators", "redis"]) {
            assert.strictEqual(steps[s].status, "pending");
            assert.match(steps[s].detail, /waits for kubernetes\.oidcProvider/);
        }
        assert.strictEqual(of(r, "kubernetes:apps/v1:StatefulSet").filter((x) => x.inputs.metadata.name === "fortress-redis").length, 0);
        assert.strictEqual(of(r, "kubernetes:velero.io/v1:BackupStorageLocation").length, 0);
    });
});

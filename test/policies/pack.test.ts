/**
 * The pack's shape: every rule a plain object with a severity and the frameworks it serves,
 * one per file, all of them served; the PolicyPack built in one place only; the files Pulumi
 * needs to run the pack from the repository root; and every type token a rule matches on is
 * the provider SDK's own (or the CRD's group/version/kind).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { allVendoredCrds } from "../../crds";
import { FRAMEWORKS } from "../../policies/lib/compliance";
import { RESOURCE_TYPES } from "../../policies/lib/stack-view";
import { RULES } from "../../policies/rules";

const ROOT = path.resolve(__dirname, "..", "..");
const POLICIES = path.join(ROOT, "policies");

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

describe("policy pack", () => {
    it("serves every rule once, each with a unique name, a description, a severity and at least one framework control", () => {
        const names = RULES.map((r) => r.name);
        assert.strictEqual(new Set(names).size, names.length, `duplicate names in ${names.join(", ")}`);
        for (const r of RULES) {
            assert.match(r.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, r.name);
            assert.ok(r.description.length > 20, `${r.name}: description`);
            assert.ok(["low", "medium", "high", "critical"].includes(r.severity), `${r.name}: severity ${r.severity}`);
            assert.ok(["advisory", "mandatory"].includes(r.enforcementLevel), `${r.name}: enforcement ${r.enforcementLevel}`);
            assert.ok(r.compliance.length > 0, `${r.name}: no compliance framework`);
            for (const c of r.compliance) assert.ok((FRAMEWORKS as readonly string[]).includes(c.framework), `${r.name}: ${c.framework}`);
            assert.ok(r.remediationSteps.length > 10, `${r.name}: remediation`);
        }
        for (const f of FRAMEWORKS) assert.ok(RULES.some((r) => r.compliance.some((c) => c.framework === f)), `no rule serves ${f}`);
    });

    it("has one rule per file in policies/rules, and the pack serves every one of them", () => {
        const files = fs.readdirSync(path.join(POLICIES, "rules")).filter((f) => f.endsWith(".ts") && f !== "index.ts");
        assert.strictEqual(files.length, RULES.length, `${files.length} rule files, ${RULES.length} rules served`);
        for (const file of files) {
            const mod = require(path.join(POLICIES, "rules", file));
            const rules = Object.values(mod).filter((v: any) => v && typeof v === "object" && typeof v.name === "string" && ("validateStack" in v || "validateResource" in v));
            assert.strictEqual(rules.length, 1, `${file} exports ${rules.length} rules`);
            const rule = rules[0] as (typeof RULES)[number];
            assert.strictEqual(file, `${rule.name}.ts`, "the file is named after its rule");
            assert.ok(RULES.includes(rule), `${rule.name} is not served by the pack`);
        }
    });

    it("constructs the PolicyPack in policies/index.ts only (constructing one starts a server)", () => {
        const files = [...tsFiles(POLICIES), ...tsFiles(path.join(ROOT, "tools")), ...tsFiles(path.join(ROOT, "test"))];
        const constructing = files.filter((f) => /new\s+PolicyPack\s*\(/.test(fs.readFileSync(f, "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")));
        assert.deepStrictEqual(constructing.map((f) => path.relative(ROOT, f)), ["policies/index.ts"]);
    });

    it("has what `pulumi preview --policy-pack policies` needs: PulumiPolicy.yaml (nodejs), a package.json with a version, a tsconfig", () => {
        const yaml = parseAllDocuments(fs.readFileSync(path.join(POLICIES, "PulumiPolicy.yaml"), "utf8"))[0].toJSON();
        assert.strictEqual(yaml.runtime, "nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICIES, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+/, "@pulumi/policy reads the pack version from the pack directory's package.json");
        assert.strictEqual(pkg.main, "index.ts");
        assert.strictEqual(pkg.dependencies, undefined, "dependencies resolve from the repository root's node_modules");
        const tsconfig = JSON.parse(fs.readFileSync(path.join(POLICIES, "tsconfig.json"), "utf8"));
        assert.strictEqual(tsconfig.extends, "../tsconfig.json");
        assert.strictEqual(tsconfig.compilerOptions.module, "commonjs", "run-policy-pack would otherwise default to nodenext");
        // run-policy-pack resolves @pulumi/pulumi/cmd/run-policy-pack from the pack's directory.
        assert.ok(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICIES] }));
        assert.ok(require.resolve("@pulumi/policy", { paths: [POLICIES] }));
    });
});

describe("type tokens", () => {
    it("match the provider SDK classes", async () => {
        const [aws, gcp, k8s] = await Promise.all([import("@pulumi/aws"), import("@pulumi/gcp"), import("@pulumi/kubernetes")]);
        const classes: Record<string, { __pulumiType: string }> = {
            bucket: aws.s3.Bucket as any,
            bucketObject: aws.s3.BucketObjectv2 as any,
            replication: aws.s3.BucketReplicationConfig as any,
            healthCheck: aws.route53.HealthCheck as any,
            record: aws.route53.Record as any,
            metricAlarm: aws.cloudwatch.MetricAlarm as any,
            eksCluster: aws.eks.Cluster as any,
            guardDuty: aws.guardduty.Detector as any,
            eventRule: aws.cloudwatch.EventRule as any,
            eventTarget: aws.cloudwatch.EventTarget as any,
            trail: aws.cloudtrail.Trail as any,
            sse: aws.s3.BucketServerSideEncryptionConfiguration as any,
            versioning: aws.s3.BucketVersioning as any,
            publicAccessBlock: aws.s3.BucketPublicAccessBlock as any,
            bucketPolicy: aws.s3.BucketPolicy as any,
            lifecycle: aws.s3.BucketLifecycleConfiguration as any,
            objectLock: aws.s3.BucketObjectLockConfiguration as any,
            logging: aws.s3.BucketLogging as any,
            kmsKey: aws.kms.Key as any,
            kmsReplicaKey: aws.kms.ReplicaKey as any,
            iamRole: aws.iam.Role as any,
            iamRolePolicy: aws.iam.RolePolicy as any,
            iamPolicy: aws.iam.Policy as any,
            iamRolePolicyAttachment: aws.iam.RolePolicyAttachment as any,
            gcsBucket: gcp.storage.Bucket as any,
            gcpCryptoKey: gcp.kms.CryptoKey as any,
            gcpKeyRing: gcp.kms.KeyRing as any,
            deployment: k8s.apps.v1.Deployment as any,
            statefulSet: k8s.apps.v1.StatefulSet as any,
            pdb: k8s.policy.v1.PodDisruptionBudget as any,
            cronJob: k8s.batch.v1.CronJob as any,
            configMap: k8s.core.v1.ConfigMap as any,
            pvc: k8s.core.v1.PersistentVolumeClaim as any,
            helmRelease: k8s.helm.v3.Release as any,
        };
        for (const [key, token] of Object.entries(RESOURCE_TYPES)) {
            if (key === "pgCluster" || key === "veleroSchedule") continue;
            assert.ok(classes[key], `no SDK class listed for T.${key} (${token})`);
            assert.strictEqual(token, classes[key].__pulumiType, `T.${key}`);
        }
    });

    it("match the custom resources' CRDs (kubernetes:<group>/<version>:<kind>)", () => {
        const tokens = new Set(allVendoredCrds().map((c) => `kubernetes:${c.group}/${c.version}:${c.kind}`));
        assert.ok(tokens.has(RESOURCE_TYPES.pgCluster), RESOURCE_TYPES.pgCluster);
        assert.ok(tokens.has(RESOURCE_TYPES.veleroSchedule), RESOURCE_TYPES.veleroSchedule);
    });
});

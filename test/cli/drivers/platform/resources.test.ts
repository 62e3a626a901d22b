import * as assert from "assert";
import { validateCustomResource } from "../../../../crds";
import { OPERATOR_OWNED_OPTIONS, assertOperatorAcceptsOptions, jobFromCronJob, perconaBackup, perconaRestore, restoreOptions, scratchCluster, scratchNamespace, secretNamesOf, sourceView, veleroBackup } from "../../../../cli/drivers/platform/resources";
import { backupsFromObjects } from "../../../../cli/drivers/platform/index";
import { temporaryStackSettings } from "../../../../cli/drivers/platform/pulumi";

describe("cli/drivers/platform/resources: every object the platform driver creates is valid against the vendored CRDs", () => {
    it("PerconaPGBackup per tier and type", () => {
        for (const tier of ["tier1", "tier2", "tier3"] as const) {
            for (const type of ["full", "diff", "incr"] as const) {
                const o = perconaBackup({ name: `b-${tier}-${type}`, namespace: "fortress", cluster: "fortress-pg", tier, type, reason: "INC-1" });
                assert.deepStrictEqual(validateCustomResource(o), []);
                assert.strictEqual(o.spec.repoName, { tier1: "repo1", tier2: "repo2", tier3: "repo3" }[tier]);
                assert.deepStrictEqual(o.spec.options, [`--type=${type}`]);
            }
        }
    });

    it("PerconaPGRestore for each target: never --target-action (the operator refuses it with InvalidDataSource and forces promote itself)", () => {
        const targets = [
            { kind: "time", time: new Date("2026-12-03T05:59:00.250Z") },
            { kind: "lsn", lsn: "16/B374D848" },
            { kind: "set", label: "20261203-010000F" },
            { kind: "latest" },
        ] as const;
        for (const target of targets) {
            const o = perconaRestore({ name: `r-${target.kind}`, namespace: "fortress", cluster: "fortress-pg", tier: "tier2", target, set: target.kind === "time" ? "20261203-010000F" : undefined });
            assert.deepStrictEqual(validateCustomResource(o), [], target.kind);
            const opts = o.spec.options as string[];
            assert.ok(!opts.some((x) => OPERATOR_OWNED_OPTIONS.some((b) => x.includes(b))), opts.join(" "));
        }
        assert.deepStrictEqual(restoreOptions({ kind: "time", time: new Date("2026-12-03T05:59:00.250Z") }), ["--type=time", "--target=2026-12-03 05:59:00.250000+00"]);
        assert.deepStrictEqual(restoreOptions({ kind: "set", label: "20261203-010000F" }), ["--set=20261203-010000F", "--type=immediate"]);
        assert.throws(() => assertOperatorAcceptsOptions(["--type=time", "--target-action=pause"], "x"), /--target-action=pause.*InvalidDataSource/);
        assert.throws(() => assertOperatorAcceptsOptions(["--repo=2"], "x"), /--repo=2/);
    });

    const sourceCluster = {
        metadata: { name: "fortress-pg" },
        spec: {
            crVersion: "3.0.0",
            image: "percona/percona-distribution-postgresql:17",
            postgresVersion: 17,
            instances: [{ name: "instance1", replicas: 3, dataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } } }],
            backups: {
                pgbackrest: {
                    configuration: [{ secret: { name: "fortress-pg-pgbackrest-s3" } }],
                    global: { "repo2-path": "/pgbackrest/fortress/repo2", "repo2-s3-uri-style": "path", "repo3-path": "/other" },
                    repos: [
                        { name: "repo1", volume: { volumeClaimSpec: {} } },
                        { name: "repo2", s3: { bucket: "b-tier2", endpoint: "s3.us-west-2.amazonaws.com", region: "us-west-2" }, schedules: { full: "0 1 * * *" } },
                    ],
                },
            },
        },
    };

    it("the scratch PerconaPGCluster: dataSource.pgbackrest from the source's repo, backups disabled, valid against the CRD", () => {
        const src = sourceView(sourceCluster, "tier2");
        for (const target of [{ kind: "time", time: new Date("2026-12-03T05:59:00Z") }, { kind: "lsn", lsn: "0/3000000" }, { kind: "set", label: "20261203-010000F" }, { kind: "latest" }] as const) {
            const o = scratchCluster({ name: "fortress-restore", namespace: scratchNamespace("fortress-restore"), source: src, target, set: target.kind === "set" ? undefined : "20261203-010000F" });
            assert.deepStrictEqual(validateCustomResource(o), [], target.kind);
            const spec = o.spec as any;
            assert.strictEqual(spec.backups.enabled, false, "the CRD's CEL rule allows no repos only with backups.enabled=false");
            assert.deepStrictEqual(spec.dataSource.pgbackrest.repo, { name: "repo2", s3: { bucket: "b-tier2", endpoint: "s3.us-west-2.amazonaws.com", region: "us-west-2" } }, "schedules are not copied");
            assert.deepStrictEqual(spec.dataSource.pgbackrest.global, { "repo2-path": "/pgbackrest/fortress/repo2", "repo2-s3-uri-style": "path" });
            assert.strictEqual(spec.dataSource.pgbackrest.stanza, "db");
            assert.ok(!spec.dataSource.pgbackrest.options.some((x: string) => x.includes("--target-action")));
            assert.strictEqual(spec.instances[0].replicas, 1);
        }
        assert.strictEqual(scratchNamespace("fortress-restore"), "fortress-scratch-fortress-restore");
        assert.deepStrictEqual(secretNamesOf(src.configuration), ["fortress-pg-pgbackrest-s3"]);
        assert.throws(() => sourceView(sourceCluster, "tier1"), /repo1 is a volume repo/);
        assert.throws(() => sourceView(sourceCluster, "tier3"), /declares no pgBackRest repo repo3/);
    });

    it("a Velero Backup is validated against v1.18.1's BackupSpec (from the vendored Schedule's template); a misspelt field is caught", () => {
        const o = veleroBackup({ name: "fortress-tier2-x", namespace: "velero", storageLocation: "tier2", ttlHours: 720, includeVolumes: false });
        assert.deepStrictEqual(validateCustomResource(o), []);
        const bad = { ...o, spec: { ...o.spec, storageLocaton: "tier2" } };
        assert.ok(validateCustomResource(bad).some((p) => p.path === "spec.storageLocaton"), JSON.stringify(validateCustomResource(bad)));
        assert.ok(validateCustomResource({ ...o, spec: { ...o.spec, ttl: 5 } }).some((p) => p.path === "spec.ttl"));
    });

    it("a Job from a CronJob keeps its template, is marked manual and owned by the CronJob", () => {
        const cron = { metadata: { name: "fortress-redis-snapshots-tier2", namespace: "fortress", uid: "u-1" }, spec: { jobTemplate: { metadata: { labels: { "fortress/tier": "tier2" } }, spec: { backoffLimit: 0, template: { spec: { containers: [{ name: "backup" }] } } } } } };
        const j = jobFromCronJob(cron, "j1");
        assert.strictEqual(j.metadata.annotations["cronjob.kubernetes.io/instantiate"], "manual");
        assert.deepStrictEqual(j.metadata.ownerReferences, [{ apiVersion: "batch/v1", kind: "CronJob", name: "fortress-redis-snapshots-tier2", uid: "u-1", controller: true }]);
        assert.deepStrictEqual(j.spec, cron.spec.jobTemplate.spec);
        assert.strictEqual((j.metadata.labels as Record<string, string>)["fortress/tier"], "tier2");
        assert.throws(() => jobFromCronJob({ metadata: { name: "x" }, spec: {} }, "j"), /no spec.jobTemplate.spec/);
    });

    it("a misspelt field is caught before sending (the API server would prune it silently)", () => {
        const o = perconaBackup({ name: "b", namespace: "fortress", cluster: "fortress-pg", tier: "tier1", type: "full" });
        const bad = { ...o, spec: { ...o.spec, repoNmae: "repo2" } };
        const problems = validateCustomResource(bad);
        assert.ok(problems.length > 0 && problems.some((p) => JSON.stringify(p).includes("repoNmae")), JSON.stringify(problems));
    });

    it("reads PerconaPGBackup objects into the tier's backups: only Succeeded with a completion time is complete", () => {
        const items = [
            { metadata: { name: "a", creationTimestamp: "2026-12-03T01:00:00Z" }, spec: { pgCluster: "fortress-pg", repoName: "repo2" }, status: { state: "Succeeded", completed: "2026-12-03T01:05:00Z", backupName: "20261203-010000F", backupType: "full" } },
            { metadata: { name: "b", creationTimestamp: "2026-12-03T02:00:00Z" }, spec: { pgCluster: "fortress-pg", repoName: "repo2" }, status: { state: "Running", backupName: "20261203-020000F" } },
            { metadata: { name: "c", creationTimestamp: "2026-12-03T03:00:00Z" }, spec: { pgCluster: "fortress-pg", repoName: "repo2" }, status: { state: "Failed", backupName: "20261203-030000F", error: "job failed" } },
            { metadata: { name: "d" }, spec: { pgCluster: "fortress-pg", repoName: "repo1" }, status: { state: "Succeeded", completed: "2026-12-03T04:00:00Z", backupName: "20261203-040000F" } },
            { metadata: { name: "e" }, spec: { pgCluster: "other", repoName: "repo2" }, status: { state: "Succeeded", completed: "2026-12-03T04:00:00Z", backupName: "x" } },
        ];
        const b = backupsFromObjects(items, "fortress-pg", "tier2");
        assert.deepStrictEqual(b.map((x) => [x.label, x.complete, x.error]), [["20261203-010000F", true, false], ["20261203-020000F", false, false], ["20261203-030000F", false, true]]);
        assert.strictEqual(b[0].stoppedAt.toISOString(), "2026-12-03T01:05:00.000Z");
    });

    it("the DR stack change is made in a temporary config: the committed YAML text is only read", () => {
        const committed = "config:\n  fortress-dr:role: dr\n  fortress-dr:endpoints:\n    hostedZoneId: Z1\n    activeRegion: primary\n  fortress-dr:dr:\n    primaryStack: o/p/s\n";
        const t = temporaryStackSettings(committed, { "endpoints.activeRegion": "dr", "dr.promote": true });
        assert.deepStrictEqual(t.config["fortress-dr:endpoints"], { hostedZoneId: "Z1", activeRegion: "dr" });
        assert.deepStrictEqual(t.config["fortress-dr:dr"], { primaryStack: "o/p/s", promote: true });
        assert.strictEqual(t.config["fortress-dr:role"], "dr");
    });
});

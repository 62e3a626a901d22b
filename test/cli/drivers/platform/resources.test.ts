import * as assert from "assert";
import { validateCustomResource } from "../../../../crds";
import { perconaBackup, perconaRestore, restoreOptions } from "../../../../cli/drivers/platform/resources";
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

    it("PerconaPGRestore for each target holds the copy at the target (target-action=pause), never promotes by default", () => {
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
            if (target.kind !== "latest") assert.ok(opts.includes("--target-action=pause"), opts.join(" "));
            assert.ok(!opts.includes("--target-action=promote"));
        }
        assert.deepStrictEqual(restoreOptions({ kind: "time", time: new Date("2026-12-03T05:59:00.250Z") }), ["--type=time", "--target=2026-12-03 05:59:00.250000+00", "--target-action=pause"]);
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

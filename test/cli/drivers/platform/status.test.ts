import * as assert from "assert";
import { StepFailed, WaitTimeout } from "../../../../cli/errors";
import { judgePercona, judgeVelero, watchResource } from "../../../../cli/drivers/platform/status";

/** Status objects shaped by the CRDs' status schemas (PerconaPGBackup/Restore status.state, Velero Backup status.phase). */
const percona = (state?: string, extra: Record<string, unknown> = {}) => ({ metadata: { name: "x" }, status: state === undefined ? undefined : { state, ...extra } });
const velero = (phase?: string, extra: Record<string, unknown> = {}) => ({ metadata: { name: "v" }, status: phase === undefined ? undefined : { phase, ...extra } });

describe("cli/drivers/platform/status: reading custom resources' status", () => {
    it("Percona: Succeeded is done, Failed is a failure with the operator's error, the rest pending", () => {
        assert.strictEqual(judgePercona(percona("Succeeded", { completed: "2026-12-03T01:05:00Z", backupName: "20261203-010000F" })).kind, "succeeded");
        const f = judgePercona(percona("Failed", { error: "pgbackrest exited 82" }));
        assert.strictEqual(f.kind, "failed");
        assert.match(f.detail, /pgbackrest exited 82/);
        assert.strictEqual(judgePercona(percona("Running")).kind, "pending");
        assert.strictEqual(judgePercona(percona("Starting")).kind, "pending");
        assert.strictEqual(judgePercona(percona()).kind, "pending");
    });

    it("Velero: only Completed without errors is done; PartiallyFailed and its Finalizing/WaitingForPluginOperations forms fail", () => {
        assert.strictEqual(judgeVelero(velero("Completed")).kind, "succeeded");
        for (const p of ["PartiallyFailed", "Failed", "FailedValidation", "FinalizingPartiallyFailed", "WaitingForPluginOperationsPartiallyFailed"]) assert.strictEqual(judgeVelero(velero(p, { errors: 2 })).kind, "failed", p);
        assert.strictEqual(judgeVelero(velero("Completed", { errors: 1 })).kind, "failed");
        for (const p of ["New", "InProgress", "WaitingForPluginOperations", "Finalizing"]) assert.strictEqual(judgeVelero(velero(p)).kind, "pending", p);
    });

    /** A fake clock: each sleep advances it; reads return the scripted states in turn (the last repeats). */
    function scripted(states: (string | undefined)[], o: { stuckAfterSeconds?: number; deadlineMs?: number } = {}) {
        let t = 0;
        let i = 0;
        const progress: string[] = [];
        const p = watchResource({
            what: "PerconaPGBackup b1",
            read: async () => percona(states[Math.min(i++, states.length - 1)]),
            judge: judgePercona,
            wait: { deadline: o.deadlineMs ?? 10_000_000, progress: (l) => progress.push(l) },
            stuckAfterSeconds: o.stuckAfterSeconds ?? 600,
            intervalMs: 2000,
            now: () => t,
            sleep: async (ms) => void (t += ms),
        });
        return { p, progress };
    }

    it("follows Starting → Running → Succeeded and reports each state once", async () => {
        const { p, progress } = scripted(["Starting", "Running", "Running", "Succeeded"]);
        assert.match(await p, /Succeeded/);
        assert.deepStrictEqual(progress, ["PerconaPGBackup b1: Starting", "PerconaPGBackup b1: Running"]);
    });

    it("a Failed resource is a failure naming the resource", async () => {
        const { p } = scripted(["Starting", "Failed"]);
        await assert.rejects(p, (e: Error) => e instanceof StepFailed && /PerconaPGBackup b1: Failed/.test(e.message));
    });

    it("a resource that stays in one state past stuckAfterSeconds is reported stuck with its last status", async () => {
        const { p } = scripted(["Starting", "Running"], { stuckAfterSeconds: 60 });
        await assert.rejects(p, (e: Error) => e instanceof StepFailed && !(e instanceof WaitTimeout) && /stuck in "Running"/.test(e.message));
    });

    it("a resource still moving at the deadline is a WaitTimeout", async () => {
        const states = Array.from({ length: 1000 }, (_, k) => (k % 2 ? "Starting" : "Running"));
        const { p } = scripted(states, { deadlineMs: 30_000, stuckAfterSeconds: 600 });
        await assert.rejects(p, (e: Error) => e instanceof WaitTimeout && /not finished at the deadline/.test(e.message));
    });

    it("a resource with no status at all is stuck too (the operator never picked it up)", async () => {
        const { p } = scripted([undefined], { stuckAfterSeconds: 30 });
        await assert.rejects(p, /stuck/);
    });
});

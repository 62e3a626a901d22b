/**
 * How the platform driver reads custom resources' status. A resource is done only in its
 * success state; any failure state is a failure with the operator's own words; a resource whose
 * state has not changed for `stuckAfterSeconds` is STUCK (reported with its last status), and
 * the wait's deadline is a WaitTimeout — never an endless "Running".
 *
 * States (vendored CRDs, operator sources): PerconaPGBackup / PerconaPGRestore `status.state`
 * Starting → Running → Succeeded | Failed; Velero Backup `status.phase` New → InProgress →
 * (WaitingForPluginOperations[PartiallyFailed] → Finalizing[PartiallyFailed]) → Completed |
 * PartiallyFailed | Failed | FailedValidation. PartiallyFailed is a failure: a backup missing
 * items is not a backup (Velero `--wait` exits 0 on it).
 */
import { StepFailed, WaitTimeout } from "../../errors";
import type { Wait } from "../types";

export type Verdict = { readonly kind: "succeeded"; readonly detail: string } | { readonly kind: "failed"; readonly detail: string } | { readonly kind: "pending"; readonly state: string; readonly detail: string };

interface Obj {
    readonly metadata?: { readonly name?: string };
    readonly status?: Record<string, unknown>;
}

export function judgePercona(obj: Obj): Verdict {
    const st = (obj.status ?? {}) as { state?: string; error?: string; completed?: string; backupName?: string };
    const state = st.state ?? "";
    if (state === "Succeeded") return { kind: "succeeded", detail: `Succeeded${st.completed ? ` at ${st.completed}` : ""}${st.backupName ? ` (${st.backupName})` : ""}` };
    if (state === "Failed") return { kind: "failed", detail: `Failed${st.error ? `: ${st.error}` : ""}` };
    return { kind: "pending", state: state || "(no status yet)", detail: state || "no status yet" };
}

const VELERO_FAILED = new Set(["Failed", "PartiallyFailed", "FailedValidation"]);

export function judgeVelero(obj: Obj): Verdict {
    const st = (obj.status ?? {}) as { phase?: string; errors?: number; warnings?: number; failureReason?: string; validationErrors?: string[] };
    const phase = st.phase ?? "";
    if (phase === "Completed" && !st.errors) return { kind: "succeeded", detail: `Completed${st.warnings ? ` with ${st.warnings} warning(s)` : ""}` };
    if (phase === "Completed") return { kind: "failed", detail: `Completed with ${st.errors} error(s)` };
    if (VELERO_FAILED.has(phase)) return { kind: "failed", detail: `${phase}${st.failureReason ? `: ${st.failureReason}` : ""}${st.validationErrors?.length ? `: ${st.validationErrors.join("; ")}` : ""}${st.errors ? ` (${st.errors} error(s))` : ""}` };
    // FinalizingPartiallyFailed / WaitingForPluginOperationsPartiallyFailed will end PartiallyFailed: fail now.
    if (/PartiallyFailed$/.test(phase)) return { kind: "failed", detail: `${phase}: will end PartiallyFailed` };
    return { kind: "pending", state: phase || "(no status yet)", detail: phase || "no status yet" };
}

export interface WatchOptions {
    readonly what: string;
    /** Reads the object now (a GET). */
    readonly read: () => Promise<Obj>;
    readonly judge: (o: Obj) => Verdict;
    readonly wait: Wait;
    /** A state unchanged this long is stuck (default 600 s). */
    readonly stuckAfterSeconds?: number;
    readonly intervalMs?: number;
    /** Clock and sleep, replaceable in tests. */
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

/** Polls a custom resource until it succeeds; throws StepFailed on failure or when stuck, WaitTimeout at the deadline. */
export async function watchResource(o: WatchOptions): Promise<string> {
    const now = o.now ?? Date.now;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const stuckMs = (o.stuckAfterSeconds ?? 600) * 1000;
    let lastState: string | undefined;
    let since = now();
    let lastDetail = "not read yet";
    for (;;) {
        let v: Verdict | undefined;
        try {
            v = o.judge(await o.read());
        } catch (e) {
            lastDetail = `read failed: ${(e as Error).message}`;
        }
        if (v?.kind === "succeeded") return v.detail;
        if (v?.kind === "failed") throw new StepFailed(`${o.what}: ${v.detail}`);
        if (v?.kind === "pending") {
            lastDetail = v.detail;
            if (v.state !== lastState) {
                lastState = v.state;
                since = now();
                o.wait.progress?.(`${o.what}: ${v.state}`);
            } else if (now() - since > stuckMs) {
                throw new StepFailed(`${o.what}: stuck in "${v.state}" for ${Math.round((now() - since) / 1000)} s (last status: ${v.detail}); see the operator's logs and the job's pod`);
            }
        }
        if (now() > o.wait.deadline) throw new WaitTimeout(`${o.what}: not finished at the deadline (last status: ${lastDetail}); rerun to resume, or raise --timeout`);
        await sleep(o.intervalMs ?? 2000);
    }
}

/** A batch/v1 Job: Complete (or succeeded ≥ 1) is done, a Failed condition is a failure with its reason; the pod counts are the progress. */
export function judgeJob(obj: Obj): Verdict {
    const st = (obj.status ?? {}) as { succeeded?: number; failed?: number; active?: number; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
    const cond = (t: string) => st.conditions?.find((c) => c.type === t && c.status === "True");
    const failed = cond("Failed");
    if (failed) return { kind: "failed", detail: `Failed: ${failed.reason ?? ""}${failed.message ? ` (${failed.message})` : ""}${st.failed ? `, ${st.failed} failed pod(s)` : ""}` };
    if (cond("Complete") || (st.succeeded ?? 0) >= 1) return { kind: "succeeded", detail: `Complete (${st.succeeded ?? 1} pod(s) succeeded)` };
    const state = `active ${st.active ?? 0}, failed ${st.failed ?? 0}`;
    return { kind: "pending", state, detail: state };
}

/**
 * A PerconaPGCluster restored from a data source, judged together with the operator's restore
 * Job (`<cluster>-pgbackrest-restore`): the Job failing is the restore failing; the cluster is
 * done when its state is "ready" with an instance ready after the Job completed.
 */
export function judgeRestoredCluster(cluster: Obj, job: Obj | undefined): Verdict {
    const c = (cluster.status ?? {}) as { state?: string; postgres?: { ready?: number; size?: number } };
    if (job) {
        const j = judgeJob(job);
        if (j.kind === "failed") return { kind: "failed", detail: `restore Job ${job.metadata?.name ?? ""} ${j.detail}` };
        if (j.kind === "pending") return { kind: "pending", state: `restoring (${j.state})`, detail: `restore Job ${j.detail}; cluster ${c.state ?? "no status"}` };
    }
    const ready = c.postgres?.ready ?? 0;
    if (job && c.state === "ready" && ready >= 1) return { kind: "succeeded", detail: `ready, ${ready}/${c.postgres?.size ?? ready} instance(s)` };
    const state = `${c.state ?? "no status"}${job ? ", restore Job complete" : ", no restore Job yet"}, ${ready} ready`;
    return { kind: "pending", state, detail: state };
}

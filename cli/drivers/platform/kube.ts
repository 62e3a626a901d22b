/**
 * The platform driver's narrow view of the Kubernetes API: the calls it makes, each bounded by
 * the wait's deadline, over @kubernetes/client-node. Two seams, both real client-node code in
 * production and in the tests (test/cli/drivers/platform/apiserver.ts plays the API server on
 * 127.0.0.1, WebSocket exec included):
 * - `KubeClient`: custom objects, namespaces, secrets, pods, logs, jobs, cron jobs, nodes, PVs;
 * - `PodExec`: a command in a pod's container (client-node `Exec`, the WebSocket channel
 *   protocol), returning stdout, stderr and the exit code from the API server's status frame.
 */
import { BatchV1Api, CoreV1Api, CustomObjectsApi, Exec, KubeConfig, V1Status } from "@kubernetes/client-node";
import { Writable } from "stream";
import { WaitTimeout } from "../../errors";
import type { Wait } from "../types";

/** The driver's own waits on custom resources and Jobs: their poll interval and stuck threshold (tests shorten both). */
export abstract class PollingWaits {
    /** Poll interval (ms). */
    intervalMs = 2000;
    /** A resource whose state does not change this long is stuck (s). */
    stuckAfterSeconds = 600;
}

export interface ExecResult {
    readonly stdout: string;
    readonly stderr: string;
    /** The command's exit code from the API server's status frame (0 on "Success"). */
    readonly code: number;
}

export interface PodExec {
    exec(namespace: string, pod: string, container: string, command: readonly string[], wait: Wait): Promise<ExecResult>;
}

/** Exit code from a Kubernetes exec status frame: Success → 0, Failure with an ExitCode cause → that code, other failure → -1. */
export function exitCodeOf(status: V1Status | undefined): number {
    if (!status) return -1;
    if (status.status === "Success") return 0;
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const n = Number(cause?.message);
    return Number.isInteger(n) ? n : -1;
}

function collector(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    return {
        stream: new Writable({
            write(chunk, _enc, cb) {
                chunks.push(Buffer.from(chunk));
                cb();
            },
        }),
        text: () => Buffer.concat(chunks).toString("utf8"),
    };
}

export class ClientNodeExec implements PodExec {
    private readonly ex: Exec;
    constructor(kc: KubeConfig) {
        this.ex = new Exec(kc);
    }

    exec(namespace: string, pod: string, container: string, command: readonly string[], wait: Wait): Promise<ExecResult> {
        const out = collector();
        const err = collector();
        const what = `exec in ${namespace}/${pod} (${container}): ${command.slice(0, 3).join(" ")}`;
        return new Promise<ExecResult>((resolve, reject) => {
            let status: V1Status | undefined;
            let settled = false;
            const ms = Math.max(1, wait.deadline - Date.now());
            let socket: { close(): void } | undefined;
            const timer = setTimeout(() => {
                if (settled) return;
                settled = true;
                socket?.close();
                reject(new WaitTimeout(`${what}: no answer within ${Math.round(ms / 1000)} s; raise --timeout or check the pod`));
            }, ms);
            this.ex
                .exec(namespace, pod, container, [...command], out.stream, err.stream, null, false, (s) => {
                    status = s;
                })
                .then((ws) => {
                    socket = ws;
                    ws.on("close", () => {
                        if (settled) return;
                        settled = true;
                        clearTimeout(timer);
                        resolve({ stdout: out.text(), stderr: err.text(), code: exitCodeOf(status) });
                    });
                })
                .catch((e: Error) => {
                    if (settled) return;
                    settled = true;
                    clearTimeout(timer);
                    reject(new Error(`${what}: ${e.message}`));
                });
        });
    }
}

/** The API groups and clients the driver uses, built from one kubeconfig. */
export class KubeClient {
    readonly custom: CustomObjectsApi;
    readonly core: CoreV1Api;
    readonly batch: BatchV1Api;
    readonly exec: PodExec;
    constructor(readonly kc: KubeConfig, exec?: PodExec) {
        this.custom = kc.makeApiClient(CustomObjectsApi);
        this.core = kc.makeApiClient(CoreV1Api);
        this.batch = kc.makeApiClient(BatchV1Api);
        this.exec = exec ?? new ClientNodeExec(kc);
    }
}

/** HTTP status of a client-node ApiException (404 for "not found"), or undefined for other errors. */
export function httpStatusOf(e: unknown): number | undefined {
    const c = (e as { code?: unknown })?.code;
    return typeof c === "number" ? c : undefined;
}

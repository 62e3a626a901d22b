/**
 * Process plumbing for the Redis drill: free loopback ports, servers that are always stopped,
 * scripts run asynchronously (so the writer keeps writing while a job runs), bounded waits.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";

export { freePort } from "../../cli/drivers/lab/exec";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown from a `waitFor` check to stop waiting at once (e.g. the server already exited). */
export class GiveUp extends Error {}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await check()) return;
        } catch (e) {
            if (e instanceof GiveUp) throw e;
            /* not ready yet */
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(50);
    }
}

export interface Managed {
    readonly name: string;
    readonly child: ChildProcess;
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Long-running servers; `stopAll` in a finally block ends whatever is still running. */
export class ProcessGroup {
    private readonly running: Managed[] = [];

    start(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Managed {
        const out = fs.openSync(logFile, "a");
        const child = spawn(command, args, { stdio: ["ignore", out, out], env: env ?? process.env });
        fs.closeSync(out);
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
            child.once("exit", (code, signal) => resolve({ code, signal }));
            child.once("error", () => resolve({ code: -1, signal: null }));
        });
        const m = { name, child, exited };
        this.running.push(m);
        return m;
    }

    async stopAll(): Promise<void> {
        for (const m of this.running.splice(0)) {
            if (m.child.exitCode !== null || m.child.signalCode !== null) continue;
            m.child.kill("SIGTERM");
            const done = await Promise.race([m.exited.then(() => true), sleep(5000).then(() => false)]);
            if (!done) {
                m.child.kill("SIGKILL");
                await m.exited;
            }
        }
    }
}

export interface ScriptResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
}

/** Runs a script to completion without blocking the event loop; bounded by `timeoutMs`. */
export function runScript(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ScriptResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => {
            stderr += `\n[drill] killed after ${timeoutMs} ms`;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: Date.now() - started });
        });
        child.once("error", (e) => {
            clearTimeout(timer);
            resolve({ code: -1, stdout, stderr: stderr + String(e), ms: Date.now() - started });
        });
    });
}

/** The `step=<name> ms=<n>` lines the job scripts log, as a map. */
export function stepTimings(stderr: string): Record<string, number> {
    const steps: Record<string, number> = {};
    for (const m of stderr.matchAll(/ step=(\w+) ms=(\d+)/g)) steps[m[1]] = Number(m[2]);
    return steps;
}

/** Runs a command synchronously for a version string; "not found" when it is missing. */
export function versionOf(command: string, args: string[]): string {
    const r = spawnSync(command, args, { encoding: "utf8" });
    if (r.error || r.status !== 0) return "not found";
    return (r.stdout || r.stderr).split("\n")[0].trim();
}

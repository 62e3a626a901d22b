/**
 * What the PostgreSQL drill adds to the shared process plumbing (drills/redis/procs.ts): the
 * switch to the `postgres` user, commands whose failure throws with their own words, and
 * waits that return what they found.
 */
import { runScript, ScriptResult, sleep } from "../redis/procs";

export { freePort, ProcessGroup, runScript, sleep, versionOf } from "../redis/procs";
export type { Managed, ScriptResult } from "../redis/procs";

/** PostgreSQL refuses to run as root: when the drill runs as root, commands switch to `postgres`. */
export function asPostgres(cmd: string, args: readonly string[]): [string, string[]] {
    return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, [...args]];
}

/** Runs a command as the `postgres` user, bounded by `timeoutMs`; never throws on a non-zero exit. */
export function runPg(cmd: string, args: readonly string[], timeoutMs = 300_000, env: NodeJS.ProcessEnv = process.env): Promise<ScriptResult> {
    const [file, argv] = asPostgres(cmd, args);
    return runScript(file, argv, env, timeoutMs);
}

/** Like `runPg`, but a non-zero exit throws with the command's own output. */
export async function runPgOk(cmd: string, args: readonly string[], timeoutMs = 300_000): Promise<ScriptResult> {
    const r = await runPg(cmd, args, timeoutMs);
    if (r.code !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${(r.stderr + r.stdout).trim().slice(-3000)}`);
    }
    return r;
}

/** Polls `probe` until it returns a value; throws naming `what` (and the last error) after `timeoutMs`. */
export async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (e) {
            lastError = e;
        }
        if (Date.now() > deadline) {
            const why = lastError instanceof Error ? `: ${lastError.message}` : "";
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
        }
        await sleep(intervalMs);
    }
}

/**
 * Running the lab's tools: bounded (a deadline kills the process group), as the `postgres` user
 * when the CLI runs as root (PostgreSQL and pgBackRest refuse root), with output captured so a
 * failure carries the tool's own words.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import { WaitTimeout } from "../../errors";

export interface ExecResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
}

let pgIds: { uid: number; gid: number } | undefined | null;

/** The postgres user's uid/gid (null when there is none). */
export function postgresIds(): { uid: number; gid: number } | null {
    if (pgIds !== undefined) return pgIds;
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("postgres:"));
    pgIds = line ? { uid: Number(line.split(":")[2]), gid: Number(line.split(":")[3]) } : null;
    return pgIds;
}

export const isRoot = () => process.getuid?.() === 0;

/** Makes a directory (and parents) owned by postgres when running as root. */
export function mkdirForPostgres(dir: string, mode = 0o700): void {
    fs.mkdirSync(dir, { recursive: true });
    const ids = postgresIds();
    if (isRoot() && ids) fs.chownSync(dir, ids.uid, ids.gid);
    fs.chmodSync(dir, mode);
}

export interface ExecOptions {
    /** Epoch ms deadline; past it the process group is killed and WaitTimeout thrown. */
    readonly deadline: number;
    /** Written with the child's pid once it started (a rerun after a kill finds and stops it). */
    readonly pidFile?: string;
    readonly what?: string;
    /** The child's environment (default: this process's). */
    readonly env?: NodeJS.ProcessEnv;
}

/** Runs `cmd args` as postgres (when root); never throws on a non-zero exit, throws WaitTimeout at the deadline. */
export function execAsPostgres(cmd: string, args: readonly string[], o: ExecOptions): Promise<ExecResult> {
    const [file, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, [...args]];
    return execBounded(file, argv, o);
}

export function execBounded(file: string, argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: o.env ?? process.env });
        if (o.pidFile && child.pid) fs.writeFileSync(o.pidFile, String(child.pid));
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
        const ms = Math.max(1, o.deadline - Date.now());
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                /* already gone */
            }
        }, ms);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`${o.what ?? file}: cannot start: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (o.pidFile) fs.rmSync(o.pidFile, { force: true });
            if (timedOut) return reject(new WaitTimeout(`${o.what ?? [file, ...argv].join(" ")}: still running at the deadline (${Math.round(ms / 1000)} s); stopped`));
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - t0 });
        });
    });
}

/** Kills a process group recorded in a pid file by an earlier, killed attempt (if it still runs). */
export function killRecorded(pidFile: string): boolean {
    let pid: number;
    try {
        pid = Number(fs.readFileSync(pidFile, "utf8"));
    } catch {
        return false;
    }
    fs.rmSync(pidFile, { force: true });
    if (!pid) return false;
    try {
        process.kill(-pid, "SIGKILL");
        return true;
    } catch {
        try {
            process.kill(pid, "SIGKILL");
            return true;
        } catch {
            return false;
        }
    }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `probe` returns a value; WaitTimeout naming `what` at the deadline. */
export async function pollUntil<T>(what: string, deadline: number, probe: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
    let last: unknown;
    for (;;) {
        try {
            const v = await probe();
            if (v !== undefined) return v;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw new WaitTimeout(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
        await sleep(intervalMs);
    }
}

/** A port the kernel just handed out on 127.0.0.1; chosen at run time so drills and lab restores never collide. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

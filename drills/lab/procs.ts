/**
 * Servers of the two-region lab, each in its own process group: Patroni forks PostgreSQL,
 * runuser forks Patroni, and a member "dies" only when the whole group does. Killing and
 * freezing act on the group (SIGKILL, SIGSTOP/SIGCONT), and teardown kills every group still
 * alive — also when the drill throws, and as a last resort when the Node process exits.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import { sleep } from "../redis/procs";

export interface GroupProcess {
    readonly name: string;
    readonly child: ChildProcess;
    /** Process group id (= the leader's pid, since it is spawned detached). */
    readonly pgid: number;
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<number>();
/** Directories unique to a lab run: any process whose command line names one is the lab's. */
const markers = new Set<string>();

/** Registers a run's unique directory so the last-resort exit hook also ends what detached itself. */
export function registerMarker(dir: string): void {
    markers.add(dir);
}

interface ProcInfo {
    readonly pid: number;
    readonly ppid: number;
    readonly cmdline: string;
    /** Paths of its open files (its log is one: every lab server writes its log into the run's directory). */
    readonly files: readonly string[];
}

function openFiles(pid: number): string[] {
    try {
        return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
            try {
                return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
            } catch {
                return "";
            }
        });
    } catch {
        return [];
    }
}

function processTable(): ProcInfo[] {
    const out: ProcInfo[] = [];
    for (const name of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(name)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
            // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
            out.push({ pid: Number(name), ppid, cmdline, files: openFiles(Number(name)) });
        } catch {
            /* gone meanwhile */
        }
    }
    return out;
}

/**
 * Every process whose command line names `marker` (a directory unique to this run) or that
 * holds a file open under it, and all their descendants. Needed because the lab's servers leave their process group on purpose:
 * Patroni starts the postmaster in a new session (so a Patroni restart does not stop
 * PostgreSQL), every PostgreSQL child calls setsid(), and pgBackRest's async archiver
 * daemonizes.
 */
export function pidsNaming(marker: string): number[] {
    const table = processTable();
    const found = new Set(table.filter((p) => p.pid !== process.pid && (p.cmdline.includes(marker) || p.files.some((f) => f.startsWith(marker)))).map((p) => p.pid));
    let grew = true;
    while (grew) {
        grew = false;
        for (const p of table) {
            if (!found.has(p.pid) && found.has(p.ppid)) {
                found.add(p.pid);
                grew = true;
            }
        }
    }
    return [...found];
}

/** Sends `sig` to every process of `pidsNaming(marker)`; returns how many it reached. */
export function signalNaming(marker: string, sig: NodeJS.Signals): number {
    let n = 0;
    for (const pid of pidsNaming(marker)) {
        try {
            process.kill(pid, sig);
            n++;
        } catch {
            /* gone */
        }
    }
    return n;
}
let exitHookInstalled = false;

function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    // A drill stopped with Ctrl-C or a CI timeout still ends its servers ('exit' runs then).
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
    // Last resort: nothing the lab started may outlive the drill process.
    process.on("exit", () => {
        for (const m of markers) {
            signalNaming(m, "SIGCONT");
            signalNaming(m, "SIGKILL");
        }
        for (const pgid of live) {
            try {
                process.kill(-pgid, "SIGCONT");
                process.kill(-pgid, "SIGKILL");
            } catch {
                /* already gone */
            }
        }
    });
}

export class LabProcesses {
    private readonly procs: GroupProcess[] = [];

    /**
     * `user`: run as this uid/gid directly (no runuser or su: they open a new session, and the
     * process group would no longer hold the server).
     */
    start(name: string, command: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv, cwd?: string, user?: { uid: number; gid: number }): GroupProcess {
        installExitHook();
        const out = fs.openSync(logFile, "a");
        const child = spawn(command, [...args], { stdio: ["ignore", out, out], env: env ?? process.env, detached: true, cwd, ...(user ?? {}) });
        fs.closeSync(out);
        if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
        const pgid = child.pid;
        live.add(pgid);
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
            child.once("exit", (code, signal) => resolve({ code, signal }));
            child.once("error", () => resolve({ code: -1, signal: null }));
        });
        const p = { name, child, pgid, exited };
        this.procs.push(p);
        return p;
    }

    /** Signals the whole group; false when it is gone already. */
    signal(p: GroupProcess, sig: NodeJS.Signals | 0): boolean {
        try {
            process.kill(-p.pgid, sig);
            return true;
        } catch {
            return false;
        }
    }

    /** SIGKILL to the whole group, then waits (bounded) until no process of the group is left. */
    async kill(p: GroupProcess): Promise<void> {
        this.signal(p, "SIGCONT");
        this.signal(p, "SIGKILL");
        await Promise.race([p.exited, sleep(10_000)]);
        for (let i = 0; i < 100 && this.signal(p, 0); i++) await sleep(100);
        live.delete(p.pgid);
    }

    /** SIGTERM to the group, SIGKILL after `graceMs`. */
    async stop(p: GroupProcess, graceMs = 10_000): Promise<void> {
        this.signal(p, "SIGCONT");
        if (this.signal(p, "SIGTERM")) {
            const deadline = Date.now() + graceMs;
            while (Date.now() < deadline && this.signal(p, 0)) await sleep(100);
        }
        await this.kill(p);
    }

    async stopAll(): Promise<void> {
        for (const p of this.procs.splice(0).reverse()) {
            const t = Date.now();
            await this.stop(p, 5_000);
            if (process.env.LAB_DEBUG) console.error(`[lab] stopped ${p.name} (group ${p.pgid}) in ${Date.now() - t} ms; group alive: ${this.signal(p, 0)}`);
        }
    }
}

/** PostgreSQL on a lab host: pg_ctl through the description's bindir, and one-shot queries. */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Client } from "pg";
import { execAsPostgres } from "./exec";

export interface PgTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
}

export async function query<T extends Record<string, unknown>>(t: PgTarget, sql: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T[]> {
    const c = new Client({ host: t.host, port: t.port, user: t.user, database: "postgres", connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
    c.on("error", () => undefined);
    await c.connect();
    try {
        return (await c.query(sql, params)).rows as T[];
    } finally {
        await c.end().catch(() => undefined);
    }
}

/**
 * One query on a fresh connection to 127.0.0.1:`port` as postgres, connect and query each bounded
 * by `timeoutMs`, that never hangs on a frozen or partitioned server: the connection is not
 * waited for at the end (a frozen server never sends its goodbye). The failover primitives and
 * the two-region lab (drills/lab) use it.
 */
export async function boundedQuery<T extends Record<string, unknown>>(port: number, sql: string, params: unknown[] = [], timeoutMs = 5000, applicationName?: string): Promise<T[]> {
    const c = new Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, ...(applicationName ? { application_name: applicationName } : {}) });
    c.on("error", () => undefined);
    await c.connect();
    try {
        return (await c.query(sql, params)).rows as T[];
    } finally {
        void c.end().catch(() => undefined);
    }
}

/** True when something accepts TCP connections on host:port. */
export function listening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host, port });
        const done = (v: boolean) => {
            s.destroy();
            resolve(v);
        };
        s.setTimeout(timeoutMs, () => done(false));
        s.once("connect", () => done(true));
        s.once("error", () => done(false));
    });
}

/** The postmaster pid of a data directory if that process is alive. */
export function postmasterPid(dataDir: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        if (!pid) return undefined;
        process.kill(pid, 0);
        return pid;
    } catch {
        return undefined;
    }
}

export function pgCtl(bindir: string, args: readonly string[], deadline: number) {
    return execAsPostgres(path.join(bindir, "pg_ctl"), args, { deadline, what: `pg_ctl ${args.join(" ")}` });
}

/** Processes whose command line mentions `needle` (the teardown proof: nothing runs on the scratch dir). */
export function processesMentioning(needle: string): number[] {
    const out: number[] = [];
    for (const d of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ");
            if (cmd.includes(needle) && Number(d) !== process.pid) out.push(Number(d));
        } catch {
            /* gone */
        }
    }
    return out;
}

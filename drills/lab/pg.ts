/**
 * Small PostgreSQL and Patroni-REST helpers for the two-region lab: bounded queries that never
 * hang on a frozen or partitioned server, and the REST calls Patroni answers.
 */
import * as fs from "fs";
import * as http from "http";
import { Client } from "pg";

/** One query on a fresh connection; connect and query each bounded by `timeoutMs`. */
export async function pgQuery<T extends Record<string, unknown>>(port: number, sql: string, params: unknown[] = [], timeoutMs = 5000): Promise<T[]> {
    const c = new Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    c.on("error", () => undefined);
    await c.connect();
    try {
        return (await c.query(sql, params)).rows as T[];
    } finally {
        // end() waits for the server's goodbye; a frozen server never sends it.
        void c.end().catch(() => undefined);
    }
}

export interface RestResponse {
    readonly status: number;
    readonly body: string;
}

/** One Patroni REST call; status 0 when there was no answer within `timeoutMs`. */
export function rest(port: number, method: string, p: string, body?: unknown, timeoutMs = 3000): Promise<RestResponse> {
    return new Promise((resolve) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request(
            { host: "127.0.0.1", port, method, path: p, headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {} },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (text += d));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                res.on("error", () => resolve({ status: 0, body: text }));
            },
        );
        const timer = setTimeout(() => {
            req.destroy();
            resolve({ status: 0, body: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        req.on("error", (e) => {
            clearTimeout(timer);
            resolve({ status: 0, body: e.message });
        });
        req.on("close", () => clearTimeout(timer));
        req.end(data);
    });
}

/** Parses an LSN "16/B374D848" into bytes. */
export function lsnBytes(lsn: string): number {
    const [hi, lo] = lsn.split("/");
    return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

/** uid/gid of the postgres user (PostgreSQL refuses to run as root). */
export function postgresIds(): { uid: number; gid: number } {
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("no postgres user: install PostgreSQL (apt-get install postgresql), which creates it");
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
}

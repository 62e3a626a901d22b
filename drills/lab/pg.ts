/**
 * Small PostgreSQL and Patroni-REST helpers for the two-region lab: bounded queries that never
 * hang on a frozen or partitioned server, and the REST calls Patroni answers. One implementation
 * with the lab driver's failover primitives (cli/drivers/lab): cli/ may not import drills/, so
 * they live there and are re-exported here under the lab's names.
 */
import * as fs from "fs";
import { boundedQuery } from "../../cli/drivers/lab/pg";
import { lsnToBytes } from "../../cli/parse";

export { rest } from "../../cli/drivers/lab/http";
export type { RestResponse } from "../../cli/drivers/lab/http";

/** One query on a fresh connection to 127.0.0.1:`port`; connect and query each bounded by `timeoutMs`. */
export const pgQuery = <T extends Record<string, unknown>>(port: number, sql: string, params: unknown[] = [], timeoutMs = 5000): Promise<T[]> => boundedQuery<T>(port, sql, params, timeoutMs);

/** Parses an LSN "16/B374D848" into bytes. */
export const lsnBytes = lsnToBytes;

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

/**
 * The acknowledged-writes ledger: an independent writer that commits one row per transaction,
 * paced, to wherever `route()` says the primary is right now (it re-resolves after every
 * failure, as an application behind a service name does), and records every commit whose
 * COMMIT reply arrived — and only those. A write whose outcome is unknown (timeout, broken
 * connection) is not in the ledger and its id is never reused.
 */
import * as fs from "fs";
import { Client } from "pg";
import { sleep } from "../redis/procs";

export interface LedgerAck {
    readonly id: number;
    /** Epoch ms when the COMMIT reply arrived. */
    readonly at: number;
    /** Which endpoint acknowledged it (a label from `route`). */
    readonly via: string;
}

export interface Route {
    readonly port: number;
    /** What the writer reached ("A leader a1", "client-b"). */
    readonly label: string;
}

export const LEDGER_TABLE = "drill_ledger";

export class LedgerWriter {
    readonly acks: LedgerAck[] = [];
    /** Failed attempts: time and message (the first failure marks the outage as the client saw it). */
    readonly failures: { at: number; message: string }[] = [];
    private nextId: number;
    private stopRequested = false;
    private loop: Promise<void> | undefined;
    private readonly log: fs.WriteStream;

    constructor(
        private readonly name: string,
        private readonly route: () => Promise<Route | undefined>,
        private readonly perSecond: number,
        logFile: string,
        /** Ids start here, so several writers never collide. */
        firstId: number,
        private readonly timeoutMs = 3000,
    ) {
        this.nextId = firstId;
        this.log = fs.createWriteStream(logFile, { flags: "a" });
    }

    start(): void {
        this.stopRequested = false;
        this.loop = this.run();
    }

    private async connect(): Promise<{ c: Client; label: string } | undefined> {
        const r = await this.route().catch(() => undefined);
        if (!r) return undefined;
        const c = new Client({ host: "127.0.0.1", port: r.port, user: "postgres", database: "postgres", connectionTimeoutMillis: this.timeoutMs, query_timeout: this.timeoutMs, application_name: this.name });
        c.on("error", () => undefined);
        try {
            await c.connect();
            return { c, label: r.label };
        } catch (e) {
            void c.end().catch(() => undefined);
            throw e;
        }
    }

    private async run(): Promise<void> {
        const interval = 1000 / this.perSecond;
        let due = Date.now();
        let conn: { c: Client; label: string } | undefined;
        while (!this.stopRequested) {
            const id = this.nextId++;
            try {
                conn ??= await this.connect();
                if (!conn) throw new Error("no route to a primary");
                await conn.c.query(`insert into ${LEDGER_TABLE} (id, writer) values ($1, $2)`, [id, this.name]);
                const at = Date.now();
                this.acks.push({ id, at, via: conn.label });
                this.log.write(`${id} ${new Date(at).toISOString()} ${conn.label}\n`);
            } catch (e) {
                this.failures.push({ at: Date.now(), message: e instanceof Error ? e.message : String(e) });
                // The connection may hang on a frozen server: drop it without waiting for a goodbye.
                const dead = conn;
                conn = undefined;
                void dead?.c.end().catch(() => undefined);
                await sleep(200);
                due = Date.now();
                continue;
            }
            due += interval;
            const wait = due - Date.now();
            if (wait > 0) await sleep(wait);
            else due = Date.now();
        }
        void conn?.c.end().catch(() => undefined);
    }

    async stop(): Promise<void> {
        this.stopRequested = true;
        await this.loop;
    }

    async close(): Promise<void> {
        await this.stop();
        await new Promise<void>((r) => this.log.end(r));
    }

    /** First acknowledged write after `t` (epoch ms). */
    firstAckAfter(t: number): LedgerAck | undefined {
        return this.acks.find((a) => a.at > t);
    }
}

/** Acknowledged writes missing from the ids a server holds; with the window they span. */
export function lostWrites(acks: readonly LedgerAck[], present: ReadonlySet<number>): { lost: LedgerAck[]; firstLostAt?: number; lastLostAt?: number } {
    const lost = acks.filter((a) => !present.has(a.id));
    return { lost, firstLostAt: lost[0]?.at, lastLostAt: lost.at(-1)?.at };
}

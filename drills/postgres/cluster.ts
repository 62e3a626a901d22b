/**
 * A real PostgreSQL server the drill owns (the installed major, found by drills/lib/prereqs), the pgBackRest command line bound to the
 * drill's configuration, and the writer that commits continuously and logs every
 * acknowledged commit.
 */
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { requirePrereqs } from "../lib/prereqs";
import { ScriptResult, poll, runPg, runPgOk, sleep } from "./processes";

/**
 * Path of one of the PostgreSQL server's binaries (initdb, pg_ctl, pgbench, ...): the highest
 * installed major (15 on Debian 12, 17 on Debian 13) or $FORTRESS_PG_BINDIR. Throws
 * PrereqMissing, one line naming the package, when there is no server.
 */
export function pgBin(name: string): string {
    return requirePrereqs(["postgres"]).postgres.bin(name);
}
/** The server's bin directory (what a script's PG_BIN receives). */
export function pgBinDir(): string {
    return requirePrereqs(["postgres"]).postgres.binDir;
}
/** 16 MiB: initdb's default, which the drill keeps. */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Makes `dir` owned by postgres (when running as root) with `mode`. */
export function ownByPostgres(dir: string, mode = 0o700): void {
    fs.mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) {
        const { uid, gid } = postgresIds();
        fs.chownSync(dir, uid, gid);
    }
    fs.chmodSync(dir, mode);
}

let ids: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
    if (ids) return ids;
    const line = fs
        .readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("no postgres user: apt-get install postgresql, which creates it");
    const [, , uid, gid] = line.split(":");
    ids = { uid: Number(uid), gid: Number(gid) };
    return ids;
}

/** Writes a file readable only by postgres (secrets, configs the server reads). */
export function writePostgresFile(file: string, text: string, mode = 0o600): void {
    fs.writeFileSync(file, text, { mode });
    if (process.getuid?.() === 0) {
        const { uid, gid } = postgresIds();
        fs.chownSync(file, uid, gid);
    }
    fs.chmodSync(file, mode);
}

export class PgServer {
    constructor(
        readonly name: string,
        readonly dataDir: string,
        readonly port: number,
        readonly socketDir: string,
        readonly logFile: string,
    ) {}

    async initdb(): Promise<void> {
        ownByPostgres(this.dataDir);
        await runPgOk(pgBin("initdb"), ["-D", this.dataDir, "-A", "trust", "-U", "postgres", "--no-instructions"], 120_000);
    }

    /** Appends settings to postgresql.auto.conf, which overrides postgresql.conf (and what a restore copied). */
    appendSettings(settings: Readonly<Record<string, string>>): void {
        const file = path.join(this.dataDir, "postgresql.auto.conf");
        const lines = Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`);
        fs.appendFileSync(file, `\n# drill\n${lines.join("\n")}\n`);
    }

    async start(timeoutMs = 600_000): Promise<void> {
        await runPgOk(pgBin("pg_ctl"), ["-D", this.dataDir, "-l", this.logFile, "-w", "-t", String(Math.ceil(timeoutMs / 1000)), "start"], timeoutMs + 10_000);
    }

    /** `immediate` is a crash: no checkpoint, no final WAL switch, nothing archived on the way out. */
    async stop(mode: "fast" | "immediate" = "fast"): Promise<ScriptResult> {
        return runPg(pgBin("pg_ctl"), ["-D", this.dataDir, "-m", mode, "-w", "-t", "60", "stop"], 90_000);
    }

    get running(): boolean {
        return fs.existsSync(path.join(this.dataDir, "postmaster.pid"));
    }

    async query<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
        const c = new Client({ host: "127.0.0.1", port: this.port, user: "postgres", database: "postgres", connectionTimeoutMillis: 10_000 });
        await c.connect();
        try {
            return (await c.query(sql, params)).rows as T[];
        } finally {
            await c.end();
        }
    }

    /** Waits until the server accepts connections and has left recovery (a restore promotes at its end). */
    async waitPrimary(timeoutMs: number): Promise<void> {
        await poll(`${this.name} to accept connections and leave recovery`, timeoutMs, async () => {
            const [r] = await this.query<{ r: boolean }>("select pg_is_in_recovery() as r");
            return r.r ? undefined : true;
        }, 200);
    }
}

/** The pgBackRest command line with the drill's config and its secrets' include directory. */
export class PgBackRest {
    constructor(
        readonly configFile: string,
        readonly includeDir: string,
        readonly stanza: string,
    ) {}

    get archiveCommand(): string {
        return `pgbackrest --config=${this.configFile} --config-include-path=${this.includeDir} --stanza=${this.stanza} archive-push %p`;
    }

    private argv(args: readonly string[]): string[] {
        return [`--config=${this.configFile}`, `--config-include-path=${this.includeDir}`, `--stanza=${this.stanza}`, ...args];
    }

    run(args: readonly string[], timeoutMs = 600_000): Promise<ScriptResult> {
        return runPg("pgbackrest", this.argv(args), timeoutMs);
    }

    /** Like `run`, but a non-zero exit throws with pgBackRest's own message. */
    ok(args: readonly string[], timeoutMs = 600_000): Promise<ScriptResult> {
        return runPgOk("pgbackrest", this.argv(args), timeoutMs);
    }

    /**
     * `pgbackrest info` exits 0 even when the stanza or a repo is in error: the status is only
     * in the output. This reads it and throws unless the repo reports "ok".
     */
    async repoInfo(repo: number): Promise<RepoInfo> {
        const r = await this.ok(["info", `--repo=${repo}`, "--output=json"], 120_000);
        const [stanza] = JSON.parse(r.stdout) as InfoJson[];
        const repoStatus = stanza?.repo?.find((x) => x.key === repo)?.status;
        if (!stanza || stanza.status.code !== 0 || !repoStatus || repoStatus.code !== 0) {
            throw new Error(`pgbackrest info --repo=${repo}: status ${stanza?.status.code} "${stanza?.status.message}", repo status ${repoStatus?.code} "${repoStatus?.message}"`);
        }
        return { backups: stanza.backup.filter((b) => b.database["repo-key"] === repo).map((b) => ({ label: b.label, type: b.type, stop: b.timestamp.stop, error: b.error })) };
    }
}

interface InfoJson {
    status: { code: number; message: string };
    repo?: { key: number; status: { code: number; message: string } }[];
    backup: { label: string; type: string; timestamp: { start: number; stop: number }; database: { "repo-key": number }; error?: boolean }[];
}

export interface RepoInfo {
    readonly backups: readonly { label: string; type: string; stop: number; error?: boolean }[];
}

/** Segment number of a WAL file name (timeline ignored): 256 segments of 16 MiB per "log". */
export function segmentNumber(walFile: string): number {
    return parseInt(walFile.slice(8, 16), 16) * 256 + parseInt(walFile.slice(16, 24), 16);
}

/** Parses an LSN "16/B374D848" into bytes. */
export function lsnBytes(lsn: string): number {
    const [hi, lo] = lsn.split("/");
    return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

export interface Ack {
    readonly id: number;
    /** Epoch ms when the server's reply to COMMIT arrived. */
    readonly at: number;
}

/**
 * Commits one row per transaction, paced at `perSecond`, on its own connection; every
 * acknowledged commit goes to `acks` and to the log file. Stops at the first error (the crash).
 */
export class Writer {
    readonly acks: Ack[] = [];
    stoppedBy: string | undefined;
    private stopRequested = false;
    private loop: Promise<void> | undefined;
    private readonly log: fs.WriteStream;

    constructor(
        private readonly port: number,
        private readonly perSecond: number,
        logFile: string,
    ) {
        this.log = fs.createWriteStream(logFile, { flags: "a" });
    }

    async start(): Promise<void> {
        const c = new Client({ host: "127.0.0.1", port: this.port, user: "postgres", database: "postgres" });
        await c.connect();
        await c.query("create table if not exists drill_commits (id bigint primary key, payload text not null)");
        c.on("error", () => undefined);
        const next = Math.max(0, ...this.acks.map((a) => a.id)) + 1;
        this.loop = this.run(c, next);
    }

    private async run(c: Client, first: number): Promise<void> {
        const interval = 1000 / this.perSecond;
        let id = first;
        let due = Date.now();
        try {
            while (!this.stopRequested) {
                await c.query("insert into drill_commits (id, payload) values ($1, $2)", [id, `commit ${id}`]);
                const at = Date.now();
                this.acks.push({ id, at });
                this.log.write(`${id} ${new Date(at).toISOString()}\n`);
                id++;
                due += interval;
                const wait = due - Date.now();
                if (wait > 0) await sleep(wait);
                else due = Date.now();
            }
            this.stoppedBy = "stop requested";
        } catch (e) {
            this.stoppedBy = e instanceof Error ? e.message : String(e);
        } finally {
            await c.end().catch(() => undefined);
        }
    }

    async stop(): Promise<void> {
        this.stopRequested = true;
        await this.loop;
        await new Promise<void>((r) => this.log.end(r));
    }

    /** Waits for the loop to end by itself (the server went away). */
    async ended(): Promise<void> {
        await this.loop;
    }
}

/**
 * The lab's database primitives: pgBackRest and PostgreSQL on the host. Restores go into
 * `<workDir>/restores/<name>` with their own port, socket, spool and lock directories, so a
 * scratch copy never shares anything with the primary; a restore is idempotent (a rerun after a
 * kill stops what the killed attempt left running, wipes the destination and starts over).
 */
import * as fs from "fs";
import * as path from "path";
import type { DatabaseBackup, DatabaseInfo, DatabasePositions, DatabasePrimitives, FenceProof, Finding, ProbeResult, RestoreDestination, RestoreRequest, RestoredState, SqlProbe, Tier, Wait } from "../types";
import { GuardRefusal, StepFailed } from "../../errors";
import { lsnToBytes, pgTimestamp } from "../../parse";

const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;
import type { LabDescription } from "./description";
import { freePort, killRecorded, mkdirForPostgres, pollUntil } from "./exec";
import { listening, pgCtl, postmasterPid, processesMentioning, query } from "./pg";
import { parseInfo, parseVerify, pgbackrest, pgbackrestArgs, repoOf, segmentNumber, walGaps } from "./pgbackrest";
import type { LabStorage } from "./storage";

interface Dest {
    readonly root: string;
    readonly data: string;
    readonly run: string;
    readonly log: string;
    readonly portFile: string;
    readonly pidFile: string;
}

export class LabDatabase implements DatabasePrimitives {
    constructor(
        private readonly desc: LabDescription,
        private readonly storage: LabStorage,
    ) {}

    private get primary() {
        return { host: this.desc.postgres.host, port: this.desc.postgres.port, user: this.desc.postgres.user };
    }

    private dest(d: RestoreDestination): Dest {
        if (d.kind === "in-place") {
            const data = this.desc.postgres.datadir;
            const root = path.join(this.desc.workDir, "restores", `in-place-${path.basename(data)}`);
            return { root, data, run: path.join(root, "run"), log: path.join(root, "postgres.log"), portFile: path.join(root, "port"), pidFile: path.join(root, "pgbackrest.pid") };
        }
        const root = path.join(this.desc.workDir, "restores", d.name);
        return { root, data: path.join(root, "data"), run: path.join(root, "run"), log: path.join(root, "postgres.log"), portFile: path.join(root, "port"), pidFile: path.join(root, "pgbackrest.pid") };
    }

    private port(dest: Dest, d: RestoreDestination): number {
        if (d.kind === "in-place") return this.desc.postgres.port;
        const p = Number(fs.existsSync(dest.portFile) ? fs.readFileSync(dest.portFile, "utf8") : NaN);
        if (!p) throw new StepFailed(`restore destination "${d.name}" does not exist (no ${dest.portFile})`);
        return p;
    }

    async info(tier: Tier, wait: Wait): Promise<DatabaseInfo> {
        const repo = repoOf(this.desc, tier);
        const r = await pgbackrest(this.desc, ["info", `--repo=${repo}`, "--output=json"], wait);
        if (r.code !== 0) throw new StepFailed(`pgbackrest info --repo=${repo} exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
        return parseInfo(r.stdout, repo, tier, this.desc.pgbackrest.stanza);
    }

    async backup(tier: Tier, type: "full" | "diff" | "incr", wait: Wait): Promise<DatabaseBackup> {
        const repo = repoOf(this.desc, tier);
        const before = new Set((await this.info(tier, wait)).backups.map((b) => b.label));
        const r = await pgbackrest(this.desc, ["backup", `--repo=${repo}`, `--type=${type}`], wait);
        if (r.code !== 0) throw new StepFailed(`pgbackrest backup --repo=${repo} exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`);
        // Success is the new backup LISTED in the repo and complete, not the exit code.
        const after = (await this.info(tier, wait)).backups.filter((b) => !before.has(b.label));
        const made = after.sort((a, b) => b.stoppedAt.getTime() - a.stoppedAt.getTime())[0];
        if (!made) throw new StepFailed(`pgbackrest backup --repo=${repo} exited 0 but no new backup is listed in ${tier}`);
        if (!made.complete || made.error) throw new StepFailed(`new backup ${made.label} in ${tier} is ${made.error ? "flagged with page checksum errors" : "incomplete"}`);
        return made;
    }

    async verify(tier: Tier, wait: Wait): Promise<readonly Finding[]> {
        const repo = repoOf(this.desc, tier);
        const r = await pgbackrest(this.desc, ["verify", `--repo=${repo}`, "--output=text", "--verbose", "--log-level-console=info"], wait);
        const repoName = this.desc.repos[tier]!.bucket ? `s3://${this.desc.repos[tier]!.bucket}${this.desc.repos[tier]!.path}` : this.desc.repos[tier]!.path;
        const findings = parseVerify(`${r.stdout}\n${r.stderr}`, tier, `${repoName}`.replace(/\/$/, ""), this.desc.pgbackrest.stanza);
        if (r.code !== 0) findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "pgbackrest-verify", message: `verify exited ${r.code}: ${r.stderr.trim().split("\n").pop()}` });
        // pgBackRest verify checks the WAL each backup needs to be consistent; a gap after that
        // (what point-in-time recovery replays) is only seen by listing the archive itself.
        findings.push(...(await this.walContinuity(tier, repoName, wait)));
        return findings;
    }

    private async walContinuity(tier: Tier, repoName: string, wait: Wait): Promise<Finding[]> {
        const info = (await this.info(tier, wait)) as DatabaseInfo & { archiveId?: string };
        const oldest = info.backups.filter((b) => b.complete).sort((a, b) => a.stoppedAt.getTime() - b.stoppedAt.getTime())[0];
        if (!oldest || !info.archiveId) return [];
        const files = await this.storage.listRepo(tier, `archive/${this.desc.pgbackrest.stanza}/${info.archiveId}`, wait);
        const names = files.map((f) => path.basename(f.key).slice(0, 24));
        const segs = names.filter((n) => /^[0-9A-F]{24}$/.test(n));
        if (segs.length === 0) return [{ severity: "error", dataClass: "database", tier, object: `${repoName}/archive/${this.desc.pgbackrest.stanza}/${info.archiveId}`, check: "wal-continuity", message: "no WAL segment in the archive" }];
        const newest = segs.reduce((a, b) => (segmentNumber(b) > segmentNumber(a) ? b : a));
        return walGaps(segs, oldest.walStart, newest).map((seg) => ({
            severity: "error" as const,
            dataClass: "database" as const,
            tier,
            object: `${repoName}/archive/${this.desc.pgbackrest.stanza}/${info.archiveId}/${seg.slice(0, 16)}/${seg}`,
            check: "wal-continuity",
            message: `WAL segment missing between the oldest backup's start ${oldest.walStart} and the newest archived ${newest}: point-in-time recovery past it is impossible`,
        }));
    }

    async restore(req: RestoreRequest, wait: Wait): Promise<RestoredState> {
        const dest = this.dest(req.destination);
        const repo = repoOf(this.desc, req.tier);
        // An earlier, killed attempt may have left pgBackRest or a server running on the destination.
        killRecorded(dest.pidFile);
        if (postmasterPid(dest.data) !== undefined) {
            if (req.destination.kind === "in-place") {
                throw new GuardRefusal(`in-place restore refused: a server is running on ${dest.data}`);
            }
            await pgCtl(this.desc.postgres.bindir, ["-D", dest.data, "-m", "immediate", "-w", "-t", "60", "stop"], wait.deadline);
        }
        if (req.destination.kind === "in-place") {
            fs.rmSync(dest.root, { recursive: true, force: true });
            fs.rmSync(dest.data, { recursive: true, force: true });
        } else {
            fs.rmSync(dest.root, { recursive: true, force: true });
        }
        mkdirForPostgres(path.join(this.desc.workDir, "restores"), 0o755);
        mkdirForPostgres(dest.root, 0o755);
        mkdirForPostgres(dest.data, 0o700);
        mkdirForPostgres(dest.run, 0o755);
        for (const x of ["spool", "lock"]) mkdirForPostgres(path.join(dest.root, x), 0o700);
        const port = req.destination.kind === "in-place" ? this.desc.postgres.port : await freePort();
        fs.writeFileSync(dest.portFile, String(port));
        const privateDirs = [`--spool-path=${path.join(dest.root, "spool")}`, `--lock-path=${path.join(dest.root, "lock")}`];
        // archive-get from the chosen tier only, with the destination's own lock directory (spool-path needs archive-async).
        const restoreCommand = ["pgbackrest", ...pgbackrestArgs(this.desc, [`--repo=${repo}`, `--pg1-path=${dest.data}`, `--lock-path=${path.join(dest.root, "lock")}`, "archive-get", "%f", '"%p"'])].join(" ");
        const args = ["restore", `--repo=${repo}`, `--pg1-path=${dest.data}`, ...privateDirs, `--recovery-option=restore_command=${restoreCommand}`];
        if (req.set) args.push(`--set=${req.set}`);
        if (req.archiving === "off") args.push("--archive-mode=off");
        const t = req.target;
        if (t.kind === "time") args.push("--type=time", `--target=${pgTimestamp(t.time)}`, "--target-action=pause");
        else if (t.kind === "lsn") args.push("--type=lsn", `--target=${t.lsn}`, "--target-action=pause");
        else if (t.kind === "set") args.push("--type=immediate", "--target-action=pause");
        // latest: a standby that replays the whole archive and is then paused (never promoted by itself)
        else args.push("--type=standby");
        wait.progress?.(`pgbackrest restore --repo=${repo} ${args.filter((a) => a.startsWith("--type") || a.startsWith("--target") || a.startsWith("--set")).join(" ")}`);
        const r = await pgbackrest(this.desc, args, wait, dest.pidFile);
        if (r.code !== 0) throw new StepFailed(`pgbackrest restore exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`);
        const settings = [
            `port = ${port}`,
            `listen_addresses = '127.0.0.1'`,
            `unix_socket_directories = '${dest.run}'`,
            `hot_standby = on`,
            ...(req.archiving === "off" ? [`archive_mode = 'off'`, `archive_command = ''`] : []),
        ];
        fs.appendFileSync(path.join(dest.data, "postgresql.auto.conf"), `\n# fortress restore\n${settings.join("\n")}\n`);
        const seconds = Math.max(5, Math.ceil((wait.deadline - Date.now()) / 1000));
        const start = await pgCtl(this.desc.postgres.bindir, ["-D", dest.data, "-l", dest.log, "-w", "-t", String(seconds), "start"], wait.deadline);
        if (start.code !== 0) throw new StepFailed(`the restored server did not start: ${this.logTail(dest)}`);
        const target = { host: "127.0.0.1", port, user: this.desc.postgres.user };
        if (t.kind === "latest") {
            // Caught up when replay has reached the newest archived segment and stopped moving.
            const info = await this.info(req.tier, wait);
            const last = info.archive.max;
            let prev = "";
            let still = 0;
            await pollUntil("the restored copy to replay the whole archive", wait.deadline, async () => {
                if (postmasterPid(dest.data) === undefined) throw new StepFailed(`the restored server stopped: ${this.logTail(dest)}`);
                const [row] = await query<{ lsn: string | null }>(target, "select pg_last_wal_replay_lsn()::text as lsn");
                // pg_walfile_name() is refused during recovery: the segment is the LSN over 16 MiB.
                const reached = !last || (row.lsn !== null && Math.floor(lsnToBytes(row.lsn) / WAL_SEGMENT_BYTES) >= segmentNumber(last));
                still = row.lsn === prev ? still + 1 : 0;
                prev = row.lsn ?? "";
                return reached && still >= 5 ? true : undefined;
            }, 400);
            await query(target, "select pg_wal_replay_pause()");
        }
        await pollUntil("the restored copy to stop at its target (recovery paused)", wait.deadline, async () => {
            if (postmasterPid(dest.data) === undefined) throw new GuardRefusal(`the restored server shut down before its target: ${this.logTail(dest)}`);
            const [row] = await query<{ r: boolean; p: boolean }>(target, "select pg_is_in_recovery() as r, pg_is_in_recovery() and pg_is_wal_replay_paused() as p");
            return row.r && row.p ? true : undefined;
        }, 300);
        return this.inspect(req.destination, wait);
    }

    private logTail(dest: Dest): string {
        try {
            return fs.readFileSync(dest.log, "utf8").trim().split("\n").filter((l) => /FATAL|PANIC|ERROR/.test(l)).slice(-2).join(" | ") || "(no error in the server log)";
        } catch {
            return "(no server log)";
        }
    }

    async inspect(d: RestoreDestination, wait: Wait): Promise<RestoredState> {
        const dest = this.dest(d);
        const port = this.port(dest, d);
        const running = postmasterPid(dest.data) !== undefined;
        if (!running) return { destination: d, endpoint: `127.0.0.1:${port}`, running: false, inRecovery: false, replayPaused: false, archiveMode: "unknown", archiveCommand: "" };
        const [row] = await query<{ r: boolean; p: boolean; lsn: string | null; ts: Date | null; am: string; ac: string; tli: number }>(
            { host: "127.0.0.1", port, user: this.desc.postgres.user },
            `select pg_is_in_recovery() as r,
                    case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end as p,
                    pg_last_wal_replay_lsn()::text as lsn,
                    pg_last_xact_replay_timestamp() as ts,
                    current_setting('archive_mode') as am,
                    current_setting('archive_command') as ac,
                    case when pg_is_in_recovery() then (select timeline_id from pg_control_checkpoint())
                         else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int end as tli`,
            [],
            Math.max(1000, Math.min(30_000, wait.deadline - Date.now())),
        );
        return {
            destination: d,
            endpoint: `127.0.0.1:${port}`,
            running,
            inRecovery: row.r,
            replayPaused: row.p,
            replayLsn: row.lsn ?? undefined,
            lastCommitAt: row.ts ?? undefined,
            timeline: row.tli,
            archiveMode: row.am,
            archiveCommand: row.ac,
        };
    }

    async promoteRestored(d: RestoreDestination, wait: Wait): Promise<RestoredState> {
        const dest = this.dest(d);
        const target = { host: "127.0.0.1", port: this.port(dest, d), user: this.desc.postgres.user };
        const [st] = await query<{ r: boolean }>(target, "select pg_is_in_recovery() as r");
        if (st.r) await query(target, "select pg_promote(true, 60)", [], 70_000);
        await pollUntil("the restored copy to leave recovery", wait.deadline, async () => ((await query<{ r: boolean }>(target, "select pg_is_in_recovery() as r"))[0].r ? undefined : true));
        return this.inspect(d, wait);
    }

    async probe(d: RestoreDestination, probes: readonly SqlProbe[], wait: Wait): Promise<readonly ProbeResult[]> {
        const dest = this.dest(d);
        const target = { host: "127.0.0.1", port: this.port(dest, d), user: this.desc.postgres.user };
        const ms = Math.max(1000, Math.min(300_000, wait.deadline - Date.now()));
        const out: ProbeResult[] = [];
        // Reading every user table in full makes PostgreSQL check every page's checksum (initdb -k).
        const tables = await query<{ t: string }>(target, "select format('%I.%I', schemaname, relname) as t from pg_stat_user_tables order by 1", [], ms);
        let rows = 0;
        for (const { t } of tables) rows += Number((await query<{ n: string }>(target, `select count(*) as n from ${t}`, [], ms))[0].n);
        out.push({ name: "read-every-table", ok: true, detail: `${tables.length} table(s), ${rows} row(s) read without error`, value: rows });
        const [cf] = await query<{ n: string | null }>(target, "select coalesce(sum(checksum_failures), 0)::text as n from pg_stat_database", [], ms);
        out.push({ name: "checksum-failures", ok: Number(cf.n) === 0, detail: `${cf.n} page checksum failure(s) reported`, value: Number(cf.n) });
        for (const t of this.desc.postgres.rowCountTables) {
            try {
                const [r] = await query<{ n: string }>(target, `select count(*) as n from ${t}`, [], ms);
                out.push({ name: `rows:${t}`, ok: Number(r.n) > 0, detail: `${r.n} row(s)`, value: Number(r.n) });
            } catch (e) {
                out.push({ name: `rows:${t}`, ok: false, detail: (e as Error).message });
            }
        }
        for (const p of probes) {
            try {
                const res = await query<Record<string, unknown>>(target, p.sql, [], ms);
                const v = res[0] ? Object.values(res[0])[0] : undefined;
                const n = Number(v);
                const ok = p.min === undefined ? true : Number.isFinite(n) && n >= p.min;
                out.push({ name: p.name, ok, detail: `= ${String(v)}${p.min !== undefined ? ` (needs >= ${p.min})` : ""}`, value: typeof v === "number" || typeof v === "string" ? v : String(v) });
            } catch (e) {
                out.push({ name: p.name, ok: false, detail: (e as Error).message });
            }
        }
        return out;
    }

    async teardown(d: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        if (d.kind === "in-place") throw new GuardRefusal("teardown of an in-place restore would remove the database itself: refused");
        const dest = this.dest(d);
        const port = fs.existsSync(dest.portFile) ? Number(fs.readFileSync(dest.portFile, "utf8")) : undefined;
        killRecorded(dest.pidFile);
        if (postmasterPid(dest.data) !== undefined) {
            const r = await pgCtl(this.desc.postgres.bindir, ["-D", dest.data, "-m", "fast", "-w", "-t", "60", "stop"], wait.deadline);
            if (r.code !== 0) await pgCtl(this.desc.postgres.bindir, ["-D", dest.data, "-m", "immediate", "-w", "-t", "60", "stop"], wait.deadline);
        }
        fs.rmSync(dest.root, { recursive: true, force: true });
        // The proof, read from outside: nothing on disk, nothing listening, no process on the directory.
        const procs = processesMentioning(dest.root);
        const listens = port ? await listening("127.0.0.1", port) : false;
        return [
            { name: "no-data", ok: !fs.existsSync(dest.root), detail: fs.existsSync(dest.root) ? `${dest.root} still exists` : `${dest.root} gone` },
            { name: "no-listener", ok: !listens, detail: port ? `127.0.0.1:${port} ${listens ? "still accepts connections" : "refuses connections"}` : "no port recorded" },
            { name: "no-process", ok: procs.length === 0, detail: procs.length ? `processes ${procs.join(", ")} still mention ${dest.root}` : "no process mentions the destination" },
        ];
    }

    async positions(wait: Wait): Promise<DatabasePositions> {
        let primaryWriteLsn: string | undefined;
        try {
            const [r] = await query<{ lsn: string }>(this.primary, "select pg_current_wal_lsn()::text as lsn", [], 5000);
            primaryWriteLsn = r.lsn;
        } catch {
            primaryWriteLsn = undefined; // the primary is down: the archive positions still answer
        }
        const archived: DatabasePositions["archived"] = {};
        for (const tier of Object.keys(this.desc.repos) as Tier[]) {
            try {
                const files = await this.storage.listRepo(tier, `archive/${this.desc.pgbackrest.stanza}`, wait);
                const segs = files.filter((f) => /^[0-9A-F]{24}/.test(path.basename(f.key)) && !f.key.endsWith(".backup") && !f.key.endsWith(".history"));
                const newest = segs.sort((a, b) => segmentNumber(path.basename(b.key)) - segmentNumber(path.basename(a.key)) || b.lastModified.getTime() - a.lastModified.getTime())[0];
                archived[tier] = newest ? { wal: path.basename(newest.key).slice(0, 24), at: newest.lastModified } : {};
            } catch {
                archived[tier] = {};
            }
        }
        return { primaryWriteLsn, archived };
    }

    async sourceFenced(): Promise<FenceProof & { fenced: boolean }> {
        const pid = postmasterPid(this.desc.postgres.datadir);
        const listens = await listening(this.desc.postgres.host, this.desc.postgres.port);
        const evidence = [pid ? `postmaster ${pid} runs on ${this.desc.postgres.datadir}` : `no postmaster on ${this.desc.postgres.datadir}`, `${this.desc.postgres.host}:${this.desc.postgres.port} ${listens ? "accepts connections" : "refuses connections"}`];
        const stopped = !pid && !listens;
        return { fenced: stopped, writesStopped: stopped, repoWritesStopped: stopped, evidence };
    }

    async archiveHistoryFiles(tier: Tier, wait: Wait): Promise<readonly string[]> {
        const files = await this.storage.listRepo(tier, `archive/${this.desc.pgbackrest.stanza}`, wait);
        return files.map((f) => path.basename(f.key)).filter((n) => /^[0-9A-F]{8}\.history/.test(n));
    }
}

/**
 * A real PostgreSQL primary archiving its WAL through pgBackRest, laid out under a drill's work
 * directory the way the lab driver (cli/drivers/lab/) expects it:
 *
 *   run/         the primary's unix socket
 *   repo1/       pgBackRest repo 1 (tier 1, a local directory)
 *   logs/        primary.log
 *   pgbackrest/  pgbackrest.conf, spool/, lock/, log/
 *   restores/    where `fortress restore --lab` puts scratch restores
 *   pgdata/      the primary's data directory
 *
 * Shared by the recovery and erasure drills' labs; each adds its own repos and settings.
 */
import * as fs from "fs";
import * as path from "path";
import { ExecResult, execAsPostgres, freePort, mkdirForPostgres } from "../../cli/drivers/lab/exec";
import { pgCtl, query } from "../../cli/drivers/lab/pg";

/** Renders INI sections (pgbackrest.conf). */
export const ini = (sections: Record<string, Record<string, string>>): string =>
    Object.entries(sections)
        .map(([s, kv]) => `[${s}]\n${Object.entries(kv).map(([k, v]) => `${k}=${v}`).join("\n")}\n`)
        .join("\n");

export interface ArchivingPrimaryOptions {
    readonly workDir: string;
    /** The directory of initdb and pg_ctl (drills/lib/prereqs finds it; never a hard-coded major). */
    readonly bindir: string;
    readonly stanza: string;
    /** `repo1-retention-full`. */
    readonly repo1RetentionFull: number;
    /** More repos (`repo2-*`, `repo3-*`), written after repo 1. */
    readonly moreRepos?: Record<string, string>;
    /** `process-max`, when set. */
    readonly processMax?: number;
    /** `log-level-file`. */
    readonly logLevelFile: "info" | "detail";
    /** postgresql.auto.conf lines after the archiving ones. */
    readonly moreSettings?: readonly string[];
    /** pgBackRest commands run once the primary is up (e.g. stanza-create, check). */
    readonly initialCommands: readonly (readonly string[])[];
}

export interface ArchivingPrimary {
    readonly port: number;
    readonly datadir: string;
    readonly bindir: string;
    /** pgbackrest.conf. */
    readonly conf: string;
    readonly repo1: string;
    /** host/port/user for cli/drivers/lab/pg `query`. */
    readonly target: { readonly host: string; readonly port: number; readonly user: string };
    /** Runs `pgbackrest --config --stanza <args>` as postgres; throws on a non-zero exit. */
    pgbackrest(args: readonly string[]): Promise<ExecResult>;
    startPrimary(): Promise<void>;
    stopPrimary(): Promise<void>;
}

/** How long one initdb / pg_ctl / pgbackrest call may take. */
const deadline = () => Date.now() + 180_000;

/** The directories of the layout above, owned by postgres when running as root. */
function makeLayout(workDir: string): { run: string; repo1: string; logs: string; pgbr: string } {
    fs.chmodSync(workDir, 0o755);
    const dir = (name: string, mode = 0o700) => {
        const p = path.join(workDir, name);
        mkdirForPostgres(p, mode);
        return p;
    };
    const run = dir("run", 0o755);
    const repo1 = dir("repo1");
    const logs = dir("logs", 0o777);
    const pgbr = dir("pgbackrest", 0o755);
    for (const x of ["spool", "lock", "log"]) dir(path.join("pgbackrest", x));
    dir("restores", 0o755);
    return { run, repo1, logs, pgbr };
}

function writePgbackrestConf(o: ArchivingPrimaryOptions, layout: ReturnType<typeof makeLayout>, datadir: string, port: number): string {
    const { pgbr, repo1, run } = layout;
    const conf = path.join(pgbr, "pgbackrest.conf");
    const global: Record<string, string> = {
        "repo1-path": repo1,
        "repo1-retention-full": String(o.repo1RetentionFull),
        ...o.moreRepos,
        "start-fast": "y",
        "compress-type": "lz4",
        ...(o.processMax !== undefined ? { "process-max": String(o.processMax) } : {}),
        "spool-path": path.join(pgbr, "spool"),
        "lock-path": path.join(pgbr, "lock"),
        "log-path": path.join(pgbr, "log"),
        "log-level-console": "warn",
        "log-level-file": o.logLevelFile,
    };
    const stanza = { "pg1-path": datadir, "pg1-port": String(port), "pg1-socket-path": run };
    fs.writeFileSync(conf, ini({ global, [o.stanza]: stanza }), { mode: 0o644 });
    return conf;
}

/** initdb, then the settings that make it listen on 127.0.0.1 and archive through pgBackRest. */
async function initArchivingCluster(o: ArchivingPrimaryOptions, datadir: string, port: number, run: string, conf: string): Promise<void> {
    mkdirForPostgres(datadir);
    const init = await execAsPostgres(path.join(o.bindir, "initdb"), ["-D", datadir, "-A", "trust", "-U", "postgres", "-k", "--no-instructions"], { deadline: deadline() });
    if (init.code !== 0) throw new Error(`initdb: ${init.stderr}`);
    const settings = [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${run}'`,
        `wal_level = replica`,
        `archive_mode = on`,
        `archive_command = 'pgbackrest --config=${conf} --stanza=${o.stanza} archive-push %p'`,
        ...(o.moreSettings ?? []),
    ];
    fs.appendFileSync(path.join(datadir, "postgresql.auto.conf"), settings.join("\n") + "\n");
}

/** Lays out the directories, writes pgbackrest.conf, initdb's and starts the primary, runs `initialCommands`. */
export async function startArchivingPrimary(o: ArchivingPrimaryOptions): Promise<ArchivingPrimary> {
    const layout = makeLayout(o.workDir);
    const port = await freePort();
    const datadir = path.join(o.workDir, "pgdata");
    const conf = writePgbackrestConf(o, layout, datadir, port);
    await initArchivingCluster(o, datadir, port, layout.run, conf);
    const logFile = path.join(layout.logs, "primary.log");
    const startPrimary = async () => {
        const r = await pgCtl(o.bindir, ["-D", datadir, "-l", logFile, "-w", "-t", "120", "start"], deadline());
        if (r.code !== 0) throw new Error(`pg_ctl start: ${r.stderr}${r.stdout}`);
    };
    const stopPrimary = async () => {
        const r = await pgCtl(o.bindir, ["-D", datadir, "-m", "fast", "-w", "-t", "120", "stop"], deadline());
        if (r.code !== 0) throw new Error(`pg_ctl stop: ${r.stderr}${r.stdout}`);
    };
    const pgbackrest = async (args: readonly string[]) => {
        const r = await execAsPostgres("pgbackrest", [`--config=${conf}`, `--stanza=${o.stanza}`, ...args], { deadline: deadline() });
        if (r.code !== 0) throw new Error(`pgbackrest ${args.join(" ")}: ${r.stderr}${r.stdout}`);
        return r;
    };
    await startPrimary();
    for (const args of o.initialCommands) await pgbackrest(args);
    const target = { host: "127.0.0.1", port, user: "postgres" };
    await query(target, "select 1");
    return { port, datadir, bindir: o.bindir, conf, repo1: layout.repo1, target, pgbackrest, startPrimary, stopPrimary };
}

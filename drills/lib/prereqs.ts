/**
 * What the drills and the server tests run on, found on this machine rather than assumed:
 * the build machines are Debian 12 (PostgreSQL 15, pgBackRest 2.45, Redis 7.0) or Debian 13
 * (PostgreSQL 17, a newer pgBackRest, Redis 8 or Valkey), so no major version or path holding
 * one is written anywhere else.
 *
 * `requirePrereqs([...])` returns what it found or throws one `PrereqMissing` whose message is
 * a single line naming the package that provides each missing piece; the drill runner prints
 * that line instead of a stack trace.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** Where Debian's postgresql-<major> packages put their server binaries. */
export const DEBIAN_PG_ROOT = "/usr/lib/postgresql";
/** Overrides the PostgreSQL server bin directory (a source build, or a test's fake tree). */
export const PG_BINDIR_ENV = "FORTRESS_PG_BINDIR";

export interface DetectOptions {
    /** Environment to read PATH and FORTRESS_PG_BINDIR from. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** Root of the per-major PostgreSQL trees. @default "/usr/lib/postgresql" */
    readonly pgRoot?: string;
}

/** A prerequisite that is not there: the message is one line and names what to install. */
export class PrereqMissing extends Error {
    constructor(
        message: string,
        /** Each missing piece with the command that installs it. */
        readonly missing: readonly { readonly what: string; readonly install: string }[],
    ) {
        super(message);
        this.name = "PrereqMissing";
    }
}

export interface Tool {
    /** Absolute path of the executable. */
    readonly command: string;
    /** Version as the tool prints it, reduced to the number ("2.45", "7.0.15"). */
    readonly version: string;
}

export interface Postgres extends Tool {
    readonly major: number;
    /** The server's bin directory (initdb, pg_ctl, postgres, pgbench, psql of that major). */
    readonly binDir: string;
    /** Path of one of the server's binaries. */
    bin(name: string): string;
}

export interface PgBackRestTool extends Tool {
    readonly major: number;
    readonly minor: number;
}

export interface RedisServerTool extends Tool {
    /** `redis` (redis-server) or `valkey` (valkey-server, the Redis fork Debian 13 also ships). */
    readonly flavour: "redis" | "valkey";
    /** The matching command-line client (redis-cli / valkey-cli), if installed. */
    readonly cli?: string;
    /** The matching RDB checker (redis-check-rdb / valkey-check-rdb), if installed. */
    readonly checkRdb?: string;
}

/** Every prerequisite a drill or server test can ask for, with how it is found and installed. */
export interface Found {
    postgres: Postgres;
    pgbackrest: PgBackRestTool;
    redis: RedisServerTool;
    /** moto_server (local S3/CloudWatch) — version from the python3 the drills run. */
    moto: Tool;
    /** boto3 in the python3 on PATH (the Redis drill's store.py). */
    boto3: Tool;
    stunnel4: Tool;
    lz4: Tool;
    zstd: Tool;
    jq: Tool;
    openssl: Tool;
    curl: Tool;
    patroni: Tool;
    etcd: Tool;
    etcdctl: Tool;
    chromium: Tool;
}
export type PrereqName = keyof Found;

/** How each prerequisite is installed (Debian package, or pip for the Python ones). */
export const INSTALL: Readonly<Record<PrereqName, string>> = {
    postgres: "apt-get install postgresql",
    pgbackrest: "apt-get install pgbackrest",
    redis: "apt-get install redis-server (or valkey-server)",
    moto: "pip install 'moto[server]' (moto 5.x, into the python3 on PATH)",
    boto3: "pip install boto3 (into the python3 on PATH; apt-get install python3-boto3 if that is /usr/bin/python3)",
    stunnel4: "apt-get install stunnel4",
    lz4: "apt-get install lz4",
    zstd: "apt-get install zstd",
    jq: "apt-get install jq",
    openssl: "apt-get install openssl",
    curl: "apt-get install curl",
    patroni: "apt-get install patroni",
    etcd: "apt-get install etcd-server",
    etcdctl: "apt-get install etcd-client",
    chromium: "apt-get install chromium",
};

class NotFound extends Error {}

/** The executable `name` on the PATH of `env`, or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (name.includes("/")) return isExecutable(name) ? name : undefined;
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const p = path.join(dir, name);
        if (isExecutable(p)) return p;
    }
    return undefined;
}

function isExecutable(p: string): boolean {
    try {
        const st = fs.statSync(p);
        if (!st.isFile()) return false;
        fs.accessSync(p, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** First line of stdout (or stderr) of a command that must exit 0. */
function firstLine(command: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
    const r = spawnSync(command, args, { encoding: "utf8", env, timeout: 30_000 });
    if (r.error) throw new NotFound(`${command} ${args.join(" ")}: ${r.error.message}`);
    const out = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
    const line = out.split("\n").map((l) => l.trim()).find((l) => /\d/.test(l) && !/^\/.*: \d+: /.test(l));
    if (r.status !== 0 || !line) throw new NotFound(`${command} ${args.join(" ")} exited ${r.status}: ${out.trim().split("\n")[0] ?? ""}`);
    return line;
}

function versionIn(line: string, pattern: RegExp, what: string): string {
    const m = pattern.exec(line);
    if (!m) throw new NotFound(`${what}: no version in "${line}"`);
    return m[1];
}

/** `postgres (PostgreSQL) 17.6 (Debian 17.6-1)` -> 17.6; `... 18beta1` -> 18beta1. */
export function parsePostgresVersion(line: string): { version: string; major: number } {
    const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?([a-z]+\d*)?/.exec(line);
    if (!m) throw new NotFound(`postgres --version printed "${line}", not "postgres (PostgreSQL) <major>.<minor>"`);
    return { version: `${m[1]}${m[2] !== undefined ? `.${m[2]}` : ""}${m[3] ?? ""}`, major: Number(m[1]) };
}

function postgresAt(binDir: string, env: NodeJS.ProcessEnv): Postgres {
    const command = path.join(binDir, "postgres");
    if (!isExecutable(command)) throw new NotFound(`no executable postgres in ${binDir}`);
    const { version, major } = parsePostgresVersion(firstLine(command, ["--version"], env));
    return { command, version, major, binDir, bin: (name: string) => path.join(binDir, name) };
}

/**
 * The PostgreSQL server to run: `$FORTRESS_PG_BINDIR` if set, else the highest major under
 * /usr/lib/postgresql/<major>/bin that has a `postgres` binary (a client-only major, which has
 * psql but no server, is skipped).
 */
export function findPostgres(o: DetectOptions = {}): Postgres {
    const env = o.env ?? process.env;
    const override = env[PG_BINDIR_ENV];
    if (override) {
        try {
            return postgresAt(override, env);
        } catch (e) {
            throw new PrereqMissing(`${PG_BINDIR_ENV}=${override}: ${(e as Error).message}; point it at a PostgreSQL server bin directory or unset it`, [
                { what: `PostgreSQL server in ${PG_BINDIR_ENV}`, install: `unset ${PG_BINDIR_ENV}` },
            ]);
        }
    }
    const root = o.pgRoot ?? DEBIAN_PG_ROOT;
    let majors: string[] = [];
    try {
        majors = fs.readdirSync(root).filter((d) => /^\d+(\.\d+)?$/.test(d));
    } catch {
        majors = [];
    }
    majors.sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
        const binDir = path.join(root, m, "bin");
        if (isExecutable(path.join(binDir, "postgres"))) return postgresAt(binDir, env);
    }
    const seen = majors.length ? ` (${root} has ${majors.join(", ")} without a server binary)` : "";
    throw new NotFound(`no PostgreSQL server under ${root}/<major>/bin${seen}`);
}

export function findPgBackRest(o: DetectOptions = {}): PgBackRestTool {
    const env = o.env ?? process.env;
    const command = which("pgbackrest", env);
    if (!command) throw new NotFound("pgbackrest is not on PATH");
    const version = versionIn(firstLine(command, ["version"], env), /pgBackRest\s+(\d+\.\d+(?:\.\d+)?\S*)/, "pgbackrest version");
    const [major, minor] = version.split(".").map((n) => parseInt(n, 10));
    return { command, version, major, minor };
}

export function findRedisServer(o: DetectOptions = {}): RedisServerTool {
    const env = o.env ?? process.env;
    for (const flavour of ["redis", "valkey"] as const) {
        const command = which(`${flavour}-server`, env);
        if (!command) continue;
        const version = versionIn(firstLine(command, ["--version"], env), /\bv=(\d+\.\d+\.\d+\S*)/, `${flavour}-server --version`);
        return { command, version, flavour, cli: which(`${flavour}-cli`, env), checkRdb: which(`${flavour}-check-rdb`, env) };
    }
    throw new NotFound("neither redis-server nor valkey-server is on PATH");
}

function pythonModule(module: string, command: string | undefined, env: NodeJS.ProcessEnv): Tool {
    const python = which("python3", env);
    if (!python) throw new NotFound("python3 is not on PATH");
    const line = firstLine(python, ["-c", `import ${module}; print("${module}", ${module}.__version__)`], env);
    return { command: command ?? python, version: versionIn(line, new RegExp(`^${module} (\\S+)`), `${module}.__version__`) };
}

export function findMoto(o: DetectOptions = {}): Tool {
    const env = o.env ?? process.env;
    const command = which("moto_server", env);
    if (!command) throw new NotFound("moto_server is not on PATH");
    return pythonModule("moto", command, env);
}

/** A command-line tool whose first line with a digit carries its version. */
function simpleTool(name: string, args: readonly string[], pattern: RegExp): (o?: DetectOptions) => Tool {
    return (o = {}) => {
        const env = o.env ?? process.env;
        const command = which(name, env);
        if (!command) throw new NotFound(`${name} is not on PATH`);
        return { command, version: versionIn(firstLine(command, args, env), pattern, `${name} ${args.join(" ")}`) };
    };
}

const FINDERS: { readonly [N in PrereqName]: (o?: DetectOptions) => Found[N] } = {
    postgres: findPostgres,
    pgbackrest: findPgBackRest,
    redis: findRedisServer,
    moto: findMoto,
    boto3: (o = {}) => pythonModule("boto3", undefined, o.env ?? process.env),
    stunnel4: simpleTool("stunnel4", ["-version"], /^stunnel (\d+\.\d+)/),
    lz4: simpleTool("lz4", ["--version"], /v(\d+\.\d+\.\d+)/),
    zstd: simpleTool("zstd", ["--version"], /v(\d+\.\d+\.\d+)/),
    jq: simpleTool("jq", ["--version"], /jq-(\d+\.\d+(?:\.\d+)?)/),
    openssl: simpleTool("openssl", ["version"], /OpenSSL (\d+\.\d+\.\d+\S*)/),
    curl: simpleTool("curl", ["--version"], /^curl (\d+\.\d+\.\d+)/),
    patroni: simpleTool("patroni", ["--version"], /patroni (\d+\.\d+\.\d+)/),
    etcd: simpleTool("etcd", ["--version"], /etcd Version: (\d+\.\d+\.\d+)/),
    etcdctl: simpleTool("etcdctl", ["version"], /etcdctl version: (\d+\.\d+\.\d+)/),
    chromium: simpleTool("chromium", ["--version"], /Chromium (\d+[\d.]*)/),
};

const cache = new Map<PrereqName, Found[PrereqName]>();

/**
 * Finds every named prerequisite, or throws one PrereqMissing naming all that are missing
 * and what installs each. Results are cached per process unless options are given (tests).
 */
export function requirePrereqs<N extends PrereqName>(names: readonly N[], o?: DetectOptions): Pick<Found, N> {
    const found: Partial<Found> = {};
    const missing: { what: string; install: string; why: string }[] = [];
    for (const name of names) {
        const hit = o ? undefined : cache.get(name);
        if (hit) {
            (found as Record<string, unknown>)[name] = hit;
            continue;
        }
        try {
            const f = FINDERS[name](o);
            (found as Record<string, unknown>)[name] = f;
            if (!o) cache.set(name, f);
        } catch (e) {
            if (e instanceof PrereqMissing) {
                missing.push(...e.missing.map((m) => ({ ...m, why: e.message })));
                continue;
            }
            if (!(e instanceof NotFound)) throw e;
            missing.push({ what: name, install: INSTALL[name], why: e.message });
        }
    }
    if (missing.length) {
        const line = `missing prerequisite${missing.length > 1 ? "s" : ""}: ${missing.map((m) => `${m.what} (${m.why}) — ${m.install}`).join("; ")}`;
        throw new PrereqMissing(line.replace(/\s*\n\s*/g, " "), missing.map(({ what, install }) => ({ what, install })));
    }
    return found as Pick<Found, N>;
}

/**
 * What a drill report records in `machine.versions`: each tool's version, and for PostgreSQL
 * also its major and bin directory (which tell a Debian 12 run from a Debian 13 one).
 */
export function prereqVersions(found: Partial<Found>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, tool] of Object.entries(found) as [PrereqName, Tool][]) {
        if (!tool) continue;
        if (name === "postgres") {
            const pg = tool as Postgres;
            out.postgres = pg.version;
            out["postgres.major"] = String(pg.major);
            out["postgres.bindir"] = pg.binDir;
        } else if (name === "redis") {
            const r = tool as RedisServerTool;
            out[r.flavour === "redis" ? "redis-server" : "valkey-server"] = r.version;
        } else out[name] = tool.version;
    }
    return out;
}

/**
 * `node -r ts-node/register/transpile-only drills/lib/prereqs.ts [name...]` (what .ci/run
 * runs): prints every prerequisite with its version and path; exit 1 with one line naming
 * the packages when one is missing. No names: all of them.
 */
function main(argv: readonly string[]): number {
    const all = Object.keys(FINDERS) as PrereqName[];
    const unknown = argv.filter((a) => !all.includes(a as PrereqName));
    if (unknown.length) {
        console.error(`unknown prerequisite ${unknown.join(", ")}; use any of ${all.join(", ")}`);
        return 2;
    }
    const names = argv.length ? (argv as PrereqName[]) : all;
    try {
        const found = requirePrereqs(names);
        for (const [name, version] of Object.entries(prereqVersions(found))) console.log(`  ${name.padEnd(16)} ${version}`);
        for (const name of names) if (name !== "postgres") console.log(`  ${`${name} at`.padEnd(16)} ${(found[name] as Tool).command}`);
        return 0;
    } catch (e) {
        if (!(e instanceof PrereqMissing)) throw e;
        console.error(e.message);
        return 1;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

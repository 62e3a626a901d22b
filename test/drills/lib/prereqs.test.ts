/**
 * Version detection against fake installations: directory trees shaped like Debian's
 * (/usr/lib/postgresql/<major>/bin) with executables that print what the real ones print.
 * This is how the Debian 13 layout (PostgreSQL 17, pgBackRest 2.5x, Redis 8 / Valkey) is
 * checked on a Debian 12 machine; the real tools of this machine are checked at the end.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PG_BINDIR_ENV, PrereqMissing, findPostgres, prereqVersions, requirePrereqs } from "../../../drills/lib/prereqs";

let root: string;

function script(file: string, body: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}
/** A fake server bin dir whose `postgres --version` prints the Debian string for `version`. */
function fakePg(pgRoot: string, dirName: string, version: string): string {
    const bin = path.join(pgRoot, dirName, "bin");
    script(path.join(bin, "postgres"), `echo "postgres (PostgreSQL) ${version} (Debian ${version}-1.pgdg+1)"`);
    return bin;
}
/** PATH holding only `bin`: the fake scripts use shell builtins, and the real tools stay out of sight. */
const envWith = (bin: string): NodeJS.ProcessEnv => ({ PATH: bin });

describe("drills/lib/prereqs: what the drills run on, found, not assumed", () => {
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "prereqs-"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("picks the highest major that has a server: 15 and 17 installed -> 17 (the Debian 13 case)", () => {
        const pgRoot = path.join(root, "usr/lib/postgresql");
        fakePg(pgRoot, "15", "15.18");
        const bin17 = fakePg(pgRoot, "17", "17.6");
        const pg = findPostgres({ pgRoot, env: { PATH: path.join(root, "no-bin") } });
        assert.strictEqual(pg.major, 17);
        assert.strictEqual(pg.version, "17.6");
        assert.strictEqual(pg.binDir, bin17);
        assert.strictEqual(pg.bin("initdb"), path.join(bin17, "initdb"));
    });

    it("a Debian 13 machine: only /usr/lib/postgresql/17 (no 15 anywhere) is found, its version and bin dir recorded", () => {
        const pgRoot = path.join(root, "usr/lib/postgresql");
        const bin17 = fakePg(pgRoot, "17", "17.6");
        fs.mkdirSync(path.join(pgRoot, "17", "lib"), { recursive: true }); // the package's other folders are not majors
        const found = requirePrereqs(["postgres"], { pgRoot, env: { PATH: path.join(root, "no-bin") } });
        assert.deepStrictEqual([found.postgres.major, found.postgres.version, found.postgres.command], [17, "17.6", path.join(bin17, "postgres")]);
        assert.deepStrictEqual(prereqVersions(found), { postgres: "17.6", "postgres.major": "17", "postgres.bindir": bin17 });
        // a pre-release server prints its suffix; the major is still read
        const beta = fakePg(root, "beta", "18beta1");
        const pre = findPostgres({ env: { PATH: path.join(root, "no-bin"), [PG_BINDIR_ENV]: beta } });
        assert.deepStrictEqual([pre.major, pre.version], [18, "18beta1"]);
    });

    it("orders majors numerically (9.6 < 10 < 15) and skips a client-only major without postgres", () => {
        const pgRoot = path.join(root, "pg");
        fakePg(pgRoot, "9.6", "9.6.24");
        fakePg(pgRoot, "10", "10.23");
        fakePg(pgRoot, "15", "15.18");
        script(path.join(pgRoot, "18", "bin", "psql"), "echo 'psql (PostgreSQL) 18.1'");
        fs.mkdirSync(path.join(pgRoot, "common"), { recursive: true });
        assert.strictEqual(findPostgres({ pgRoot, env: { PATH: path.join(root, "no-bin") } }).major, 15);
    });

    it("FORTRESS_PG_BINDIR overrides the search, and a wrong one is named", () => {
        const pgRoot = path.join(root, "pg");
        fakePg(pgRoot, "17", "17.6");
        const custom = fakePg(root, "custom", "16.4");
        assert.strictEqual(findPostgres({ pgRoot, env: { PATH: path.join(root, "no-bin"), [PG_BINDIR_ENV]: custom } }).version, "16.4");
        assert.throws(
            () => requirePrereqs(["postgres"], { pgRoot, env: { PATH: path.join(root, "no-bin"), [PG_BINDIR_ENV]: path.join(root, "nowhere") } }),
            (e: Error) => e instanceof PrereqMissing && /^missing prerequisite: PostgreSQL server in FORTRESS_PG_BINDIR \(FORTRESS_PG_BINDIR=.*nowhere: no executable postgres in .*; point it at a PostgreSQL server bin directory or unset it\) — unset FORTRESS_PG_BINDIR$/.test(e.message),
        );
    });

    it("stops with one line naming the Debian package when PostgreSQL is absent", () => {
        const pgRoot = path.join(root, "empty");
        fs.mkdirSync(pgRoot);
        assert.throws(
            () => requirePrereqs(["postgres"], { pgRoot, env: { PATH: path.join(root, "no-bin") } }),
            (e: Error) => {
                assert.ok(e instanceof PrereqMissing);
                assert.strictEqual(e.message.includes("\n"), false, "one line");
                assert.match(e.message, /^missing prerequisite: postgres \(no PostgreSQL server under .*empty\/<major>\/bin\) — apt-get install postgresql$/);
                return true;
            },
        );
    });

    it("names every missing piece in the same one line (pgbackrest, redis, moto, boto3)", () => {
        const bin = path.join(root, "bin");
        script(path.join(bin, "python3"), "exit 1"); // a python3 without moto or boto3
        assert.throws(
            () => requirePrereqs(["pgbackrest", "redis", "moto", "boto3"], { env: envWith(bin) }),
            (e: Error) => {
                assert.ok(e instanceof PrereqMissing);
                assert.strictEqual(e.message.includes("\n"), false);
                assert.deepStrictEqual(e.missing.map((m) => m.what), ["pgbackrest", "redis", "moto", "boto3"]);
                assert.match(e.message, /apt-get install pgbackrest/);
                assert.match(e.message, /apt-get install redis-server \(or valkey-server\)/);
                assert.match(e.message, /moto_server is not on PATH\) — pip install 'moto\[server\]'/);
                assert.match(e.message, /pip install boto3/);
                return true;
            },
        );
    });

    it("reads pgBackRest 2.5x, Valkey and moto versions as Debian 13 prints them", () => {
        const bin = path.join(root, "bin");
        script(path.join(bin, "pgbackrest"), 'test "$1" = version && echo "pgBackRest 2.54.2"');
        script(path.join(bin, "valkey-server"), 'echo "Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1"');
        script(path.join(bin, "valkey-cli"), "true");
        script(path.join(bin, "moto_server"), "true");
        script(path.join(bin, "python3"), 'case "$2" in *moto*) echo "moto 5.1.4";; *) exit 1;; esac');
        const found = requirePrereqs(["pgbackrest", "redis", "moto"], { env: envWith(bin) });
        assert.deepStrictEqual([found.pgbackrest.version, found.pgbackrest.major, found.pgbackrest.minor], ["2.54.2", 2, 54]);
        assert.deepStrictEqual([found.redis.flavour, found.redis.version, found.redis.cli], ["valkey", "8.1.1", path.join(bin, "valkey-cli")]);
        assert.strictEqual(found.moto.version, "5.1.4");
        assert.deepStrictEqual(prereqVersions(found), { pgbackrest: "2.54.2", "valkey-server": "8.1.1", moto: "5.1.4" });
    });

    it("prefers redis-server over valkey-server when both are installed", () => {
        const bin = path.join(root, "bin");
        script(path.join(bin, "redis-server"), 'echo "Redis server v=8.0.2 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1"');
        script(path.join(bin, "valkey-server"), 'echo "Valkey server v=8.1.1"');
        const found = requirePrereqs(["redis"], { env: envWith(bin) });
        assert.deepStrictEqual([found.redis.flavour, found.redis.version], ["redis", "8.0.2"]);
    });

    it("finds this machine's real tools and records their versions", function () {
        this.timeout(120_000);
        const found = requirePrereqs(["postgres", "pgbackrest", "redis"]);
        assert.ok(fs.existsSync(found.postgres.bin("initdb")), `initdb beside ${found.postgres.command}`);
        assert.match(found.postgres.version, /^\d+\.\d+$/);
        assert.match(found.pgbackrest.version, /^2\.\d+/);
        const v = prereqVersions(found);
        assert.strictEqual(v["postgres.major"], String(found.postgres.major));
        assert.ok(v["redis-server"] ?? v["valkey-server"]);
    });
});

describe("drills/index.ts: a missing prerequisite stops a drill with one line, not a stack trace", () => {
    it("npm run drill -- --only postgres without pgBackRest, moto or a PostgreSQL server", async function () {
        this.timeout(180_000);
        const { spawnSync } = await import("child_process");
        const repo = path.resolve(__dirname, "..", "..", "..");
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(repo, "drills", "index.ts"), "--only", "postgres", "--quick"], {
            cwd: repo,
            encoding: "utf8",
            timeout: 170_000,
            env: { ...process.env, PATH: path.join(os.tmpdir(), "no-such-bin"), [PG_BINDIR_ENV]: path.join(os.tmpdir(), "no-such-pg") },
        });
        assert.strictEqual(r.status, 1, r.stderr);
        const lines = r.stderr.trim().split("\n");
        assert.strictEqual(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
        assert.match(lines[0], /^drill postgres cannot run: missing prerequisites: PostgreSQL server in FORTRESS_PG_BINDIR .* — unset FORTRESS_PG_BINDIR; pgbackrest \(pgbackrest is not on PATH\) — apt-get install pgbackrest; .*moto .* — pip install 'moto\[server\]'/);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        assert.match(r.stdout, /0 passed, 1 failed\n$/);
    });
});

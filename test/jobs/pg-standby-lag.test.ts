/**
 * jobs/pg-standby-lag-publisher.sh — the script the DR stack's StandbyLagPublisher Deployment
 * runs, with the env that component renders — against a real PostgreSQL primary and a streaming
 * standby made with pg_basebackup (the installed major, found by drills/lib/prereqs), publishing
 * to moto's CloudWatch on 127.0.0.1, read back with GetMetricStatistics:
 * caught up → 0 s and 0 bytes; an idle primary → still 0 (not the growing age of the last
 * commit); replay paused behind new writes → the age of the newest replayed commit and the WAL
 * bytes not replayed; the primary gone (no WAL receiver) → the age as it is; run against a
 * server that is not in recovery → exit 1, nothing published. It connects as a role with LOGIN
 * and REPLICATION only, as the operator's replication user does in the cluster.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { PgServer, ownByPostgres, pgBin } from "../../drills/postgres/cluster";
import { ProcessGroup, ScriptResult, freePort, poll, runPgOk, runScript, sleep } from "../../drills/postgres/processes";
import { motoSettings, scriptEnv, startMoto, waitForCloudWatch } from "./moto";
import { STANDBY_LAG_BYTES_METRIC, STANDBY_LAG_METRIC } from "../../components/detection/metrics";
import { STANDBY_LAG_SCRIPT, standbyLagPublisherEnv } from "../../components/postgres/standby-lag";
import { PG_CLUSTER_NAME } from "../../components/core/names";

const SCRIPT = path.resolve(__dirname, "..", "..", "jobs", STANDBY_LAG_SCRIPT);
const REGION = "us-west-2";

describe("jobs: pg-standby-lag-publisher.sh on a real primary + streaming standby, publishing to moto CloudWatch", function () {
    this.timeout(300_000);
    const procs = new ProcessGroup();
    let tmp: string;
    let primary: PgServer;
    let standby: PgServer;
    let env: NodeJS.ProcessEnv;
    let cw: CloudWatchClient;
    const cluster = PG_CLUSTER_NAME;

    const publish = (extra: Record<string, string> = {}): Promise<ScriptResult> => runScript(SCRIPT, [], { ...env, ...extra }, 60_000);
    /** Every datapoint so far of a metric: count, minimum and maximum. */
    const stats = async (metricName: string) => {
        const r = await cw.send(
            new GetMetricStatisticsCommand({
                Namespace: STANDBY_LAG_METRIC.namespace,
                MetricName: metricName,
                Dimensions: [{ Name: "Cluster", Value: cluster }],
                StartTime: new Date(Date.now() - 3_600_000),
                EndTime: new Date(Date.now() + 300_000),
                Period: 7200,
                Statistics: ["SampleCount", "Minimum", "Maximum"],
            }),
        );
        const p = r.Datapoints ?? [];
        return { count: p.reduce((t, d) => t + (d.SampleCount ?? 0), 0), min: Math.min(...p.map((d) => d.Minimum!)), max: Math.max(...p.map((d) => d.Maximum!)) };
    };
    const published = (r: ScriptResult, metric: string): number => {
        const m = new RegExp(`${metric}\\{Cluster=${cluster}\\}=([0-9.]+)`).exec(r.stderr);
        assert.ok(m, `no ${metric} in:\n${r.stderr}`);
        return Number(m![1]);
    };
    const lsns = async () => (await standby.query<{ rcv: string; rpl: string }>("select pg_last_wal_receive_lsn()::text as rcv, pg_last_wal_replay_lsn()::text as rpl"))[0];

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-standby-lag-"));
        fs.chmodSync(tmp, 0o755);
        const sockets = path.join(tmp, "sock");
        ownByPostgres(sockets, 0o755);
        const [p1, p2, motoPort] = [await freePort(), await freePort(), await freePort()];
        primary = new PgServer("primary", path.join(tmp, "primary"), p1, sockets, path.join(tmp, "primary.log"));
        standby = new PgServer("standby", path.join(tmp, "standby"), p2, sockets, path.join(tmp, "standby.log"));
        for (const s of [primary, standby]) {
            fs.writeFileSync(s.logFile, "");
            fs.chmodSync(s.logFile, 0o666);
        }
        await primary.initdb();
        primary.appendSettings({ port: String(p1), listen_addresses: "127.0.0.1", unix_socket_directories: sockets, wal_level: "replica" });
        await primary.start();
        // The role the publisher uses: LOGIN and REPLICATION, no superuser, no pg_read_all_stats.
        await primary.query(`create role "_crunchyrepl" login replication`);
        await primary.query("create table t (id serial primary key, at timestamptz default now())");
        await primary.query("insert into t default values");
        ownByPostgres(standby.dataDir);
        await runPgOk(pgBin("pg_basebackup"), ["-D", standby.dataDir, "-h", "127.0.0.1", "-p", String(p1), "-U", "postgres", "-X", "stream", "-R", "-c", "fast"], 120_000);
        standby.appendSettings({ port: String(p2), listen_addresses: "127.0.0.1", unix_socket_directories: sockets, hot_standby: "on", wal_receiver_status_interval: "1s" });
        await standby.start();

        const endpoint = await startMoto(procs, path.join(tmp, "moto.log"), motoPort);
        cw = new CloudWatchClient({ region: REGION, endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        await waitForCloudWatch(cw);
        // The env the component renders, pointed at the local standby (no TLS here; the role and the queries are the cluster's).
        const rendered = Object.fromEntries(standbyLagPublisherEnv({ clusterName: cluster, namespace: "fortress", metricsRegion: REGION, certDir: "/nowhere" }).map((e) => [e.name, e.value]));
        env = scriptEnv({
            ...rendered,
            PGHOST: "127.0.0.1",
            PGPORT: String(p2),
            PGSSLMODE: "disable",
            PGSSLROOTCERT: "",
            PGSSLCERT: "",
            PGSSLKEY: "",
            HEARTBEAT_FILE: path.join(tmp, "heartbeat"),
            ONCE: "1",
            ...motoSettings(endpoint),
        }, ["PG"]);
        assert.strictEqual(rendered.PGUSER, "_crunchyrepl");
        assert.strictEqual(rendered.LAG_SECONDS_METRIC, STANDBY_LAG_METRIC.metricName);
    });
    after(async () => {
        cw?.destroy();
        await procs.stopAll();
        for (const s of [standby, primary]) if (s?.running) await s.stop("immediate");
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("caught up: 0 s and 0 bytes; with the primary idle for 3 s, still 0 (the last commit's age is not lag)", async () => {
        // A commit after the standby started: before it, nothing was replayed (no replay timestamp).
        await primary.query("insert into t default values");
        const [{ lsn }] = await primary.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
        await poll("the standby to replay the primary's WAL", 60_000, async () => {
            const [r] = await standby.query<{ ok: boolean }>("select pg_last_wal_replay_lsn() >= $1::pg_lsn and exists (select 1 from pg_stat_wal_receiver) as ok", [lsn]);
            return r.ok ? true : undefined;
        });
        const first = await publish();
        assert.strictEqual(first.code, 0, first.stderr);
        assert.strictEqual(published(first, STANDBY_LAG_METRIC.metricName), 0);
        assert.strictEqual(published(first, STANDBY_LAG_BYTES_METRIC.metricName), 0);
        assert.match(first.stderr, /caught up: streaming, received = replayed/);
        await sleep(3000);
        const idle = await publish();
        assert.strictEqual(idle.code, 0, idle.stderr);
        assert.strictEqual(published(idle, STANDBY_LAG_METRIC.metricName), 0, idle.stderr);
        const [{ age }] = await standby.query<{ age: number }>("select extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age");
        assert.ok(age >= 3, `the newest replayed commit is ${age} s old, yet the lag is 0`);
        const s = await stats(STANDBY_LAG_METRIC.metricName);
        assert.deepStrictEqual(s, { count: 2, min: 0, max: 0 });
        console.log(`      moto: ${STANDBY_LAG_METRIC.namespace}/${STANDBY_LAG_METRIC.metricName}{Cluster=${cluster}} ${JSON.stringify(s)}; newest replayed commit ${age.toFixed(1)} s old`);
    });

    it("replay paused behind new writes: the newest replayed commit's age in seconds and the unreplayed WAL in bytes", async () => {
        await standby.query("select pg_wal_replay_pause()");
        await sleep(2000);
        await primary.query("insert into t select from generate_series(1, 5000)");
        const [{ lsn }] = await primary.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
        await poll("the standby to receive the new WAL", 60_000, async () => {
            const [r] = await standby.query<{ ok: boolean }>("select pg_last_wal_receive_lsn() >= $1::pg_lsn as ok", [lsn]);
            return r.ok ? true : undefined;
        });
        const l = await lsns();
        const [{ diff }] = await standby.query<{ diff: string }>("select pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint::text as diff");
        const r = await publish();
        await standby.query("select pg_wal_replay_resume()");
        assert.strictEqual(r.code, 0, r.stderr);
        const seconds = published(r, STANDBY_LAG_METRIC.metricName);
        const bytes = published(r, STANDBY_LAG_BYTES_METRIC.metricName);
        assert.ok(seconds >= 5, `${r.stderr}\nlag ${seconds} s: the newest replayed commit is the one before the pause (at least 3 + 2 s ago)`);
        assert.ok(bytes > 0 && bytes >= Number(diff), `lag ${bytes} bytes; received ${l.rcv}, replayed ${l.rpl}, diff ${diff}`);
        const s = await stats(STANDBY_LAG_METRIC.metricName);
        const b = await stats(STANDBY_LAG_BYTES_METRIC.metricName);
        assert.deepStrictEqual([s.count, s.max], [3, seconds]);
        assert.deepStrictEqual([b.count, b.max], [3, bytes]);
        console.log(`      moto: ${STANDBY_LAG_METRIC.metricName} max ${s.max} s, ${STANDBY_LAG_BYTES_METRIC.metricName} max ${b.max} bytes (received ${l.rcv}, replayed ${l.rpl})`);
    });

    it("the primary gone (no WAL receiver): the age is reported as it is, not 0; a server not in recovery publishes nothing and exits 1", async () => {
        const [{ lsn }] = await primary.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
        await poll("the standby to catch up", 60_000, async () => {
            const [r] = await standby.query<{ ok: boolean }>("select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok", [lsn]);
            return r.ok ? true : undefined;
        });
        const onPrimary = await publish({ PGPORT: String(primary.port) });
        assert.strictEqual(onPrimary.code, 1, onPrimary.stderr);
        assert.match(onPrimary.stderr, /is not in recovery \(promoted, or not the standby\): no standby lag to publish/);
        assert.strictEqual((await stats(STANDBY_LAG_METRIC.metricName)).count, 3, "nothing published for the primary");

        await primary.stop("fast");
        await poll("the standby's WAL receiver to stop", 60_000, async () => {
            const [r] = await standby.query<{ n: number }>("select count(*)::int as n from pg_stat_wal_receiver");
            return r.n === 0 ? true : undefined;
        });
        const r = await publish();
        assert.strictEqual(r.code, 0, r.stderr);
        const seconds = published(r, STANDBY_LAG_METRIC.metricName);
        assert.ok(seconds > 0, `${seconds}: without a receiver nobody can tell the primary is idle`);
        assert.match(r.stderr, /streaming=f/);

        const bad = await publish({ LAG_SECONDS_METRIC: "" });
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /environment variable LAG_SECONDS_METRIC is not set/);
    });
});

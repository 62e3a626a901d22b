/**
 * jobs/pg-integrity-watch.sh against a real PostgreSQL (the installed major, found by
 * drills/lib/prereqs; initdb --data-checksums) whose table file is corrupted on disk while the server is stopped, and moto for SNS and
 * CloudWatch. The alert reaches an SQS queue subscribed to the topic, which is how the test
 * sees it. The time from the failing read to the alert is printed, not asserted (beyond a
 * sanity ceiling): it is a figure for docs/postgres.md, not a unit property.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PgServer, ownByPostgres, pgBin } from "../../drills/postgres/cluster";
import { ProcessGroup, ScriptResult, freePort, runPgOk, runScript } from "../../drills/postgres/processes";
import { waitFor } from "../../drills/redis/procs";
import { motoSettings, scriptEnv, startMoto } from "./moto";

const SCRIPT = path.resolve(__dirname, "..", "..", "jobs", "pg-integrity-watch.sh");
const STORE_PY = path.resolve(__dirname, "..", "..", "drills", "redis", "store.py");
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:fortress-alerts";

const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => scriptEnv(extra, ["PG"]);

const run = (env: NodeJS.ProcessEnv): Promise<ScriptResult> => runScript(SCRIPT, [], env, 60_000);

/** SNS topic -> SQS queue in moto, so the test can receive what the script published. */
const SNS_PY = `
import boto3, json, os, sys
kw = dict(region_name="eu-west-1", endpoint_url=os.environ["S3_ENDPOINT_URL"])
sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
if sys.argv[1] == "setup":
    topic = sns.create_topic(Name="fortress-alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    print(topic)
else:
    url = sqs.get_queue_url(QueueName="alerts")["QueueUrl"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=int(sys.argv[2])).get("Messages", [])
    for m in msgs:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    print(json.dumps([json.loads(m["Body"]) for m in msgs]))
`;

describe("jobs: pg-integrity-watch.sh argument checks name the missing or bad setting", () => {
    const base = { PGHOST: "127.0.0.1", PGUSER: "u", PGDATABASE: "d", CLUSTER_NAME: "c", ALERT_TOPIC_ARN: TOPIC, AWS_REGION: "eu-west-1" };
    const cases: [Record<string, string>, RegExp][] = [
        [{ ...base, PGHOST: "" }, /environment variable PGHOST is not set: the primary's host \(key 'host' of the <cluster>-pguser-<user> Secret\)/],
        [{ ...base, PGDATABASE: "" }, /environment variable PGDATABASE is not set/],
        [{ ...base, ALERT_TOPIC_ARN: "" }, /environment variable ALERT_TOPIC_ARN is not set/],
        [{ ...base, ALERT_TOPIC_ARN: "arn:aws:sqs:eu-west-1:1:q" }, /ALERT_TOPIC_ARN=arn:aws:sqs:eu-west-1:1:q: not an SNS topic ARN/],
        [{ ...base, WATCH_INTERVAL_SECONDS: "0" }, /WATCH_INTERVAL_SECONDS=0: use a whole number of seconds/],
        [{ ...base, PGPORT: "99999" }, /PGPORT=99999: not a TCP port/],
        [{ ...base, CLUSTER_NAME: "" }, /environment variable CLUSTER_NAME is not set/],
    ];
    for (const [env, message] of cases) {
        it(message.source.slice(0, 70), async () => {
            const r = await run(cleanEnv(env));
            assert.notStrictEqual(r.code, 0, `expected a failure, got exit 0:\n${r.stderr}`);
            assert.match(r.stderr, message);
        });
    }
});

describe("jobs: pg-integrity-watch.sh against the installed PostgreSQL with data checksums and a page corrupted on disk", function () {
    this.timeout(240_000);
    const procs = new ProcessGroup();
    let tmp: string;
    let pg: PgServer;
    let env: NodeJS.ProcessEnv;
    let topic: string;

    before(async () => {
        // Here, not at load time: a run that filters this suite out leaves no directory behind.
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-watch-"));
        // postgres must be able to reach its data directory under the test's temp dir.
        fs.chmodSync(tmp, 0o755);
        const port = await freePort();
        const sockets = path.join(tmp, "sock");
        ownByPostgres(sockets, 0o755);
        pg = new PgServer("watched", path.join(tmp, "data"), port, sockets, path.join(tmp, "pg.log"));
        ownByPostgres(pg.dataDir);
        fs.writeFileSync(pg.logFile, "");
        fs.chmodSync(pg.logFile, 0o666);
        await runPgOk(pgBin("initdb"), ["-D", pg.dataDir, "-A", "trust", "-U", "postgres", "--no-instructions", "--data-checksums"], 120_000);
        pg.appendSettings({ port: String(port), listen_addresses: "127.0.0.1", unix_socket_directories: sockets });

        const endpoint = await startMoto(procs, path.join(tmp, "moto.log"));
        env = cleanEnv({
            ...motoSettings(endpoint),
            AWS_REGION: "eu-west-1",
        });
        await waitFor("moto_server", 30_000, async () => (await runScript("python3", ["-c", SNS_PY, "setup"], env, 10_000)).code === 0);
        topic = (await runScript("python3", ["-c", SNS_PY, "setup"], env, 10_000)).stdout.trim();
        assert.strictEqual(topic, TOPIC);
    });
    after(async () => {
        await procs.stopAll();
        if (pg?.running) await pg.stop("immediate");
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const receive = async (waitSeconds: number): Promise<{ Subject?: string; Message: string }[]> => {
        const r = await runScript("python3", ["-c", SNS_PY, "receive", String(waitSeconds)], env, (waitSeconds + 20) * 1000);
        assert.strictEqual(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
    };

    it("stops, naming the setting, when the server runs without data checksums", async () => {
        // A second server, initialised without checksums, stopped again at once.
        const port = await freePort();
        const bare = new PgServer("bare", path.join(tmp, "bare"), port, path.join(tmp, "sock"), path.join(tmp, "bare.log"));
        ownByPostgres(bare.dataDir);
        fs.writeFileSync(bare.logFile, "");
        fs.chmodSync(bare.logFile, 0o666);
        await runPgOk(pgBin("initdb"), ["-D", bare.dataDir, "-A", "trust", "-U", "postgres", "--no-instructions"], 120_000);
        bare.appendSettings({ port: String(port), listen_addresses: "127.0.0.1", unix_socket_directories: path.join(tmp, "sock") });
        await bare.start(60_000);
        try {
            const r = await run({ ...env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: "postgres", PGDATABASE: "postgres", CLUSTER_NAME: "bare", ALERT_TOPIC_ARN: topic, ONCE: "1" });
            assert.notStrictEqual(r.code, 0);
            assert.match(r.stderr, /data_checksums is 'off' on 127\.0\.0\.1: corruption cannot be detected; the cluster must be initialised with --data-checksums/);
        } finally {
            await bare.stop("fast");
        }
    });

    it("publishes 0 while the data is sound, then alerts the topic within one interval of the first read of a corrupted page", async () => {
        await pg.start(60_000);
        await pg.query("create table victim as select g as id, repeat('x', 200) as pad from generate_series(1, 2000) g");
        const [{ file }] = await pg.query<{ file: string }>("select pg_relation_filepath('victim') as file");
        await pg.query("checkpoint");
        await pg.stop("fast");

        // Flip bytes in the middle of block 0 (tuple data, not the header): only the checksum can tell.
        const heap = path.join(pg.dataDir, file);
        const fd = fs.openSync(heap, "r+");
        try {
            fs.writeSync(fd, Buffer.from("CORRUPTED-BY-TEST"), 0, 17, 4096);
        } finally {
            fs.closeSync(fd);
        }
        await pg.start(60_000);

        const interval = 2;
        const heartbeat = path.join(tmp, "heartbeat");
        const watchEnv = {
            ...env,
            PGHOST: "127.0.0.1",
            PGPORT: String(pg.port),
            PGUSER: "postgres",
            PGDATABASE: "postgres",
            CLUSTER_NAME: "test-pg",
            ALERT_TOPIC_ARN: topic,
            WATCH_INTERVAL_SECONDS: String(interval),
            HEARTBEAT_FILE: heartbeat,
        };
        const log = path.join(tmp, "watch.log");
        procs.start("watch", SCRIPT, [], log, watchEnv);
        await waitFor("the watch's first round", 30_000, async () => /ChecksumFailures\{Cluster=test-pg\}=0$/m.test(fs.readFileSync(log, "utf8")));
        assert.ok(fs.existsSync(heartbeat), "the loop touches its heartbeat for the liveness probe");
        assert.deepStrictEqual(await receive(1), [], "no alert while no page has failed its checksum");

        const readAt = Date.now();
        await assert.rejects(pg.query("select count(*) from victim"), /invalid page in block 0 of relation/);
        let got: { Subject?: string; Message: string }[] = [];
        for (let i = 0; i < 10 && got.length === 0; i++) got = await receive(2);
        const detectedMs = Date.now() - readAt;
        assert.strictEqual(got.length, 1, `expected one alert, got ${JSON.stringify(got)}\n${fs.readFileSync(log, "utf8")}`);
        assert.match(got[0].Subject ?? "", /PostgreSQL test-pg: data checksum failures \(1\)/);
        assert.match(got[0].Message, /reports 1 data-checksum failure\(s\) \(was 0 when last read\)/);
        assert.match(got[0].Message, /Per database: postgres=1\./);

        const text = fs.readFileSync(log, "utf8");
        const queries = [...text.matchAll(/step=query ms=(\d+)/g)].map((m) => Number(m[1]));
        // Sanity ceiling only: the figure itself goes to docs/postgres.md.
        assert.ok(detectedMs < 60_000, `detection took ${detectedMs} ms`);
        console.log(
            `      [measured] read of the corrupted page -> alert received from the topic: ${detectedMs} ms (WATCH_INTERVAL_SECONDS=${interval}); ` +
                `pg_stat_database query: max ${Math.max(...queries)} ms over ${queries.length} rounds`,
        );

        // The next rounds publish the count but do not alert again.
        await new Promise((r) => setTimeout(r, (interval + 1) * 1000));
        assert.deepStrictEqual(await receive(1), [], "one alert per increase, not one per round");
        const metric = JSON.parse((await runScript("python3", [STORE_PY, "metric", "Fortress/Database", "ChecksumFailures", "Cluster=test-pg"], env, 30_000)).stdout);
        assert.strictEqual(metric.latest, 1);
    });
});

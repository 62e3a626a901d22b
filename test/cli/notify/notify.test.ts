/**
 * Incident notifications and stakeholder updates (cli/notify.ts): the cadence with a fake
 * clock (no waiting), the start notice's retries against its 2-minute deadline, and real
 * publishes through AWS SDK v3 to a local SNS (moto) with an SQS queue reading them back.
 */
import * as assert from "assert";
import * as path from "path";
import { Clock, IncidentNotifier, Publisher, SnsPublisher, notifyingReporter, notifyingRun, topicRegion } from "../../../cli/notify";
import type { Reporter } from "../../../cli/output";
import { ProcessGroup, freePort, runScript, waitFor } from "../../../drills/redis/procs";

/** A clock that moves only when told; intervals and sleeps fire in time order. */
class FakeClock implements Clock {
    t = Date.parse("2026-12-03T07:00:00Z");
    private timers: { at: number; every?: number; fn: () => void; id: number }[] = [];
    private seq = 0;
    now = () => this.t;
    setInterval(fn: () => void, ms: number) {
        const id = ++this.seq;
        this.timers.push({ at: this.t + ms, every: ms, fn, id });
        return id;
    }
    clearInterval(h: unknown) {
        this.timers = this.timers.filter((x) => x.id !== h);
    }
    sleep(ms: number) {
        return new Promise<void>((resolve) => this.timers.push({ at: this.t + ms, fn: resolve, id: ++this.seq }));
    }
    /** Moves time forward by ms, firing what falls due, letting promises settle between. */
    async advance(ms: number) {
        const end = this.t + ms;
        for (;;) {
            await new Promise((r) => setImmediate(r));
            const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
            if (!next) break;
            this.t = next.at;
            if (next.every) next.at += next.every;
            else this.timers = this.timers.filter((x) => x !== next);
            next.fn();
        }
        this.t = end;
        await new Promise((r) => setImmediate(r));
    }
}

class Recorder implements Publisher {
    sent: { at: number; topic: string; subject: string; message: string }[] = [];
    failures = 0;
    constructor(private readonly clock: FakeClock) {}
    async publish(topic: string, subject: string, message: string) {
        if (this.failures > 0) {
            this.failures--;
            throw new Error("Throttling: rate exceeded");
        }
        this.sent.push({ at: this.clock.now(), topic, subject, message });
    }
}

const TOPICS = ["arn:aws:sns:us-west-2:123456789012:fortress-prod-alerts", "arn:aws:sns:us-east-1:123456789012:fortress-prod-alerts"];

describe("notifications: cadence on a fake clock", () => {
    it("incident notice at once to every topic, an update every 15 minutes while running, a final one, then silence", async () => {
        const clock = new FakeClock();
        const pub = new Recorder(clock);
        const n = new IncidentNotifier({ command: "failover", stack: "prod", runId: "r1", topicArns: TOPICS, publisher: pub, clock });
        const t0 = clock.now();
        assert.strictEqual(await n.start("promote the DR region"), true);
        assert.deepStrictEqual(pub.sent.map((s) => [s.at - t0, s.topic]), TOPICS.map((t) => [0, t]));
        assert.match(pub.sent[0].subject, /^\[fortress prod\] failover started$/);
        n.stepStarted("promote", 3, 6);
        await clock.advance(14 * 60_000);
        assert.strictEqual(pub.sent.length, 2, "no update before 15 minutes");
        await clock.advance(60_000);
        assert.strictEqual(pub.sent.length, 4);
        assert.match(pub.sent[2].subject, /update 1: 15 min 0 s in/);
        assert.match(pub.sent[2].message, /now: promote/);
        await clock.advance(30 * 60_000);
        assert.deepStrictEqual(pub.sent.filter((s) => s.topic === TOPICS[0]).map((s) => (s.at - t0) / 60_000), [0, 15, 30, 45]);
        await clock.advance(5 * 60_000);
        assert.strictEqual(await n.end("done", "traffic on the DR region"), true);
        assert.match(pub.sent[pub.sent.length - 1].subject, /failover done after 50 min 0 s/);
        const count = pub.sent.length;
        await clock.advance(60 * 60_000);
        assert.strictEqual(pub.sent.length, count, "no update after the end");
    });

    it("the cadence is configurable; under a minute is refused naming the setting", async () => {
        const clock = new FakeClock();
        const pub = new Recorder(clock);
        const n = new IncidentNotifier({ command: "restore", stack: "prod", runId: "r2", topicArns: TOPICS.slice(0, 1), publisher: pub, clock, updateEverySeconds: 300 });
        await n.start("s");
        await clock.advance(20 * 60_000);
        assert.deepStrictEqual(pub.sent.map((s) => (s.at - clock.t + 20 * 60_000) / 60_000), [0, 5, 10, 15, 20]);
        await n.end("failed");
        assert.throws(() => new IncidentNotifier({ command: "restore", stack: "prod", runId: "r", topicArns: TOPICS, publisher: pub, clock, updateEverySeconds: 10 }), /notifications\.updateEverySeconds: 10; use at least 60/);
        assert.throws(() => new IncidentNotifier({ command: "restore", stack: "prod", runId: "r", topicArns: ["fortress-alerts"], publisher: pub, clock }), /"fortress-alerts" is not an SNS topic ARN/);
        assert.strictEqual(topicRegion(TOPICS[1]), "us-east-1");
    });

    it("the start notice is retried (5 s, 10 s, ...) and is out within its 2-minute deadline, or the operator is told it is not", async () => {
        const clock = new FakeClock();
        const pub = new Recorder(clock);
        pub.failures = 2;
        const notes: string[] = [];
        const n = new IncidentNotifier({ command: "failover", stack: "prod", runId: "r3", topicArns: TOPICS.slice(0, 1), publisher: pub, clock, note: (l) => notes.push(l) });
        const t0 = clock.now();
        const started = n.start("s");
        await clock.advance(30_000);
        assert.strictEqual(await started, true);
        assert.deepStrictEqual(pub.sent.map((s) => (s.at - t0) / 1000), [15]);
        assert.match(notes[0], /incident notification sent to 1 alert topic\(s\) after 15\.0 s/);
        await n.end("done");

        const clock2 = new FakeClock();
        const down = new Recorder(clock2);
        down.failures = 1000;
        const notes2: string[] = [];
        const n2 = new IncidentNotifier({ command: "failover", stack: "prod", runId: "r4", topicArns: TOPICS.slice(0, 1), publisher: down, clock: clock2, note: (l) => notes2.push(l) });
        const s2 = n2.start("s");
        await clock2.advance(5 * 60_000);
        assert.strictEqual(await s2, false);
        const failed = n2.deliveries.find((d) => d.kind === "incident")!;
        assert.ok(!failed.ok && failed.atMs <= 120_000, JSON.stringify(failed));
        assert.match(notes2[0], /incident notification NOT delivered within 120 s .*Throttling/);
        await n2.end("done");
    });

    it("as a reporter: the run's header starts the notices, its steps feed the updates, its finish sends the final one", async () => {
        const clock = new FakeClock();
        const pub = new Recorder(clock);
        const seen: string[] = [];
        const inner: Reporter = {
            mode: "plain",
            header: (t) => seen.push(`header ${t}`),
            stepStart: (s) => seen.push(`start ${s.id}`),
            progress: () => undefined,
            stepEnd: (s) => seen.push(`end ${s.id}`),
            note: (l) => seen.push(`note ${l}`),
            finish: (d) => seen.push(`finish ${d.outcome}`),
        };
        const n = new IncidentNotifier({ command: "restore", stack: "prod", runId: "r5", topicArns: TOPICS.slice(0, 1), publisher: pub, clock });
        const r = notifyingReporter(inner, n, "restore database from tier2");
        r.header("fortress restore — stack prod, run r5");
        const step = { id: "restore-database", phase: "act", title: "t", mutates: true, budgetSeconds: 60, budgetSource: "x", status: "running" } as const;
        r.stepStart({ ...step }, 1, 2);
        await clock.advance(15 * 60_000);
        r.stepEnd({ ...step, status: "verified" });
        r.finish({ outcome: "done", message: null } as never);
        await r.settled;
        assert.deepStrictEqual(seen, ["header fortress restore — stack prod, run r5", "start restore-database", "end restore-database", "finish done"]);
        assert.deepStrictEqual(pub.sent.map((s) => s.subject.replace(/ after .*| \d+ min.*/, "")), ["[fortress prod] restore started", "[fortress prod] restore update 1:", "[fortress prod] restore done"]);
        assert.match(pub.sent[0].message, /restore database from tier2/);
    });
});

describe("notifications: through AWS SDK v3 to SNS (moto), read back from a subscribed queue", function () {
    this.timeout(120_000);
    const procs = new ProcessGroup();
    let env: NodeJS.ProcessEnv;
    let endpoint: string;
    const SNS_PY = path.join(__dirname, "sns.py");

    before(async () => {
        const port = await freePort();
        procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(port)], "/dev/null");
        endpoint = `http://127.0.0.1:${port}`;
        env = { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", SNS_ENDPOINT_URL: endpoint, AWS_EC2_METADATA_DISABLED: "true" };
        await waitFor("moto_server", 30_000, async () => (await runScript("python3", [SNS_PY, "setup", "us-west-2", "fortress-prod-alerts"], env, 10_000)).code === 0);
    });
    after(() => procs.stopAll());

    it("finds the alert topic by name and delivers the incident notice, an update and the final notice", async () => {
        const pub = new SnsPublisher({ endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
        try {
            const [arn] = await pub.resolve([{ region: "us-west-2", name: "fortress-prod-alerts" }]);
            assert.match(arn, /^arn:aws:sns:us-west-2:\d{12}:fortress-prod-alerts$/);
            await assert.rejects(pub.resolve([{ region: "us-west-2", name: "no-such-topic" }]), /no SNS topic named no-such-topic in us-west-2/);
            const n = new IncidentNotifier({ command: "failover", stack: "prod", runId: "moto-1", topicArns: [arn], publisher: pub });
            assert.strictEqual(await n.start("promote"), true);
            assert.strictEqual(await n.update(), true);
            assert.strictEqual(await n.end("done"), true);
            const r = await runScript("python3", [SNS_PY, "drain", "us-west-2", "fortress-prod-alerts"], env, 30_000);
            assert.strictEqual(r.code, 0, r.stderr);
            const got = JSON.parse(r.stdout) as { subject: string; message: string }[];
            assert.deepStrictEqual(got.map((m) => m.subject.replace(/ after .*| \d+ s in$/, "")), ["[fortress prod] failover started", "[fortress prod] failover update 1:", "[fortress prod] failover done"]);
            assert.match(got[0].message, /run moto-1/);
        } finally {
            pub.destroy();
        }
    });

    it("a fortress failover run on the lab with FORTRESS_SNS_ENDPOINT notifies both regions' alert topics; a dry run or a status does not", async () => {
        for (const region of ["us-west-2", "us-east-1"]) {
            const r = await runScript("python3", [SNS_PY, "setup", region, "fp-test-alerts"], env, 30_000);
            assert.strictEqual(r.code, 0, r.stderr);
        }
        const notes: string[] = [];
        const reporter: Reporter = { mode: "plain", header: () => undefined, stepStart: () => undefined, progress: () => undefined, stepEnd: () => undefined, note: (l) => notes.push(l), finish: () => undefined };
        const config = { namePrefix: "fp", environment: "test", regions: { primary: "us-east-1", dr: "us-west-2" } };
        const runEnv = { FORTRESS_SNS_ENDPOINT: endpoint };
        assert.strictEqual(notifyingRun("failover", "prod", config, "lab", true, reporter, runEnv).reporter, reporter, "a dry run does not notify");
        assert.strictEqual(notifyingRun("status", "prod", config, "lab", false, reporter, runEnv).reporter, reporter, "status does not notify");
        assert.strictEqual(notifyingRun("failover", "prod", config, "lab", false, reporter, {}).reporter, reporter, "the lab without an SNS endpoint does not notify");
        const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
        process.env.AWS_ACCESS_KEY_ID = "test";
        process.env.AWS_SECRET_ACCESS_KEY = "test";
        try {
            const run = notifyingRun("failover", "prod", config, "lab", false, reporter, runEnv);
            assert.notStrictEqual(run.reporter, reporter);
            run.reporter.header("fortress failover — stack prod, run 20261203-x1");
            run.reporter.finish({ outcome: "done", message: null } as never);
            await run.settled();
        } finally {
            process.env.AWS_ACCESS_KEY_ID = saved.id;
            process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
            if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
            if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
        }
        assert.match(notes[0], /incident notification sent to 2 alert topic\(s\)/);
        for (const region of ["us-west-2", "us-east-1"]) {
            const r = await runScript("python3", [SNS_PY, "drain", region, "fp-test-alerts"], env, 30_000);
            const got = JSON.parse(r.stdout) as { subject: string; message: string }[];
            assert.deepStrictEqual(got.map((m) => m.subject.replace(/ after .*/, "")), ["[fortress prod] failover started", "[fortress prod] failover done"], region);
            assert.match(got[0].message, /run 20261203-x1/);
        }
    });
});

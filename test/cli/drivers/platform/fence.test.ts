/**
 * The platform's failover fence that needs no primary-region control plane (issue 11), on real
 * servers where there are any: the bucket-policy Deny through AWS SDK v3 against moto_server on
 * 127.0.0.1 (put, merge with the existing statements, read back, lift), the failover records
 * resolved with node's dns Resolver against a local UDP responder standing for the zone's
 * authoritative name servers, and `fortress failover` (the command's own plan through the
 * runner) on the platform driver with the DR cluster's API played by the in-process API server
 * and the PRIMARY region's API down (connection refused).
 *
 * Where the proof stops: moto 5.2.1 stores and returns bucket policies but does not evaluate
 * them (its S3 authorization reads identity policies only), so that S3 refuses the fenced
 * roles' writes is IAM's documented evaluation (an explicit Deny wins), not observed here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { ProcessGroup, freePort, waitFor } from "../../../../drills/redis/procs";
import { DnsFailoverCheck, FENCE_ACTIONS, FENCE_SID, RepoFence, checkFence, withFence, withoutFence } from "../../../../cli/drivers/platform/fence";
import { PlatformFailover, fencedPosition, segmentStartLsn } from "../../../../cli/drivers/platform/failover";
import { PlatformTraffic, dataPlaneFence } from "../../../../cli/drivers/platform/index";
import { PlatformDatabase, STATE_SQL } from "../../../../cli/drivers/platform/database";
import { KubeClient } from "../../../../cli/drivers/platform/kube";
import { KubeConfig } from "@kubernetes/client-node";
import { failover } from "../../../../cli/commands/failover";
import { runPlan } from "../../../../cli/runner";
import { loadStack } from "../../../../cli/stack";
import { S3AuditSink } from "../../../../cli/audit";
import type { Driver, Wait } from "../../../../cli/drivers/types";
import type { Reporter } from "../../../../cli/output";
import { FakeApi, startFakeApi } from "./apiserver";
import { DnsResponder, startDnsResponder } from "./dns-responder";

const wait = (ms = 20_000): Wait => ({ deadline: Date.now() + ms });
const CREDS = { accessKeyId: "test", secretAccessKey: "test" };
const ACCOUNT = "123456789012";
const PRINCIPALS = [`arn:aws:iam::${ACCOUNT}:role/pgbackrest-writer-7f3a`, `arn:aws:iam::${ACCOUNT}:role/backup-access-tier2-writer-1b2c`, `arn:aws:iam::${ACCOUNT}:role/tier1-replication-9d8e`];
const EXISTING = { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } };

describe("cli/drivers/platform/fence: the failover fence without the primary region's control plane", function () {
    this.timeout(180_000);
    const procs = new ProcessGroup();
    let endpoint: string;
    const clients = new Map<string, S3Client>();
    /** Every S3 request: the region of the client that sent it and the operation. */
    const s3Calls: { region: string; op: string }[] = [];
    const s3 = (region: string) => {
        if (!clients.has(region)) {
            const c = new S3Client({ endpoint, region, forcePathStyle: true, credentials: CREDS, maxAttempts: 1 });
            c.middlewareStack.add((next, context) => async (args) => {
                s3Calls.push({ region, op: String(context.commandName) });
                return next(args);
            }, { step: "initialize", name: "recordRegion" });
            clients.set(region, c);
        }
        return clients.get(region)!;
    };
    const bucket = (b: string, region: string) => s3(region).send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: region as "us-west-2" } }));
    const policyOf = async (b: string, region: string) => JSON.parse((await s3(region).send(new GetBucketPolicyCommand({ Bucket: b }))).Policy!) as { Statement: { Sid: string }[] };

    before(async () => {
        const port = await freePort();
        procs.start("moto", "moto_server", ["-H", "127.0.0.1", "-p", String(port)], "/dev/null");
        endpoint = `http://127.0.0.1:${port}`;
        await waitFor("moto_server", 30_000, async () => {
            try {
                await s3("us-west-2").send(new CreateBucketCommand({ Bucket: "probe", CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
                return true;
            } catch {
                return false;
            }
        });
    });
    after(() => {
        for (const c of clients.values()) c.destroy();
        return procs.stopAll();
    });

    describe("the bucket-policy Deny (moto S3)", () => {
        it("merges into the existing policy keeping every other statement, reads it back complete, and lifts it leaving them", async () => {
            await bucket("fence-t2", "us-west-2");
            await bucket("fence-t3", "us-east-2");
            const existing = { ...EXISTING, Resource: ["arn:aws:s3:::fence-t2", "arn:aws:s3:::fence-t2/*"] };
            await s3("us-west-2").send(new PutBucketPolicyCommand({ Bucket: "fence-t2", Policy: JSON.stringify({ Version: "2012-10-17", Statement: [existing] }) }));
            const f = new RepoFence({ buckets: [{ tier: "tier2", bucketName: "fence-t2", region: "us-west-2" }, { tier: "tier3", bucketName: "fence-t3", region: "us-east-2" }], principals: PRINCIPALS }, s3, "us-east-1");
            assert.deepStrictEqual((await f.prove(wait())).ok, false, "nothing proved before the fence");
            const sent = await f.apply(wait());
            assert.deepStrictEqual(sent, ["s3://fence-t2 (tier2, us-west-2): FortressFailoverFence put (1 other statement(s) kept)", "s3://fence-t3 (tier3, us-east-2): FortressFailoverFence put (0 other statement(s) kept)"]);
            const t2 = await policyOf("fence-t2", "us-west-2");
            assert.deepStrictEqual(t2.Statement.map((s) => s.Sid), ["DenyInsecureTransport", FENCE_SID]);
            assert.deepStrictEqual(t2.Statement[0], existing, "the existing statement is kept as it was");
            const fence = t2.Statement[1] as unknown as { Effect: string; Action: string[]; Condition: { ArnLike: Record<string, string[]> } };
            assert.deepStrictEqual([fence.Effect, fence.Action, fence.Condition.ArnLike["aws:PrincipalArn"]], ["Deny", [...FENCE_ACTIONS], PRINCIPALS]);
            // Applying twice (a resumed run) leaves one fence statement.
            await f.apply(wait());
            assert.deepStrictEqual((await policyOf("fence-t2", "us-west-2")).Statement.map((s) => s.Sid), ["DenyInsecureTransport", FENCE_SID]);
            const proved = await f.prove(wait());
            assert.strictEqual(proved.ok, true, proved.lines.join("\n"));
            assert.match(proved.lines[0], /^s3:\/\/fence-t2 \(us-west-2\) read back: FortressFailoverFence denies 9 write action\(s\) to 3 principal\(s\)$/);
            const lifted = await f.lift(wait());
            assert.strictEqual(lifted.ok, true, lifted.lines.join("\n"));
            assert.deepStrictEqual((await policyOf("fence-t2", "us-west-2")).Statement, [existing], "fail-back leaves the bucket's own statements");
            await assert.rejects(s3("us-east-2").send(new GetBucketPolicyCommand({ Bucket: "fence-t3" })), /NoSuchBucketPolicy|policy does not exist/i, "a bucket that had no policy has none again");
            assert.match(lifted.lines[1], /FortressFailoverFence removed, read back absent; 0 statement\(s\) left/);
            assert.strictEqual((await f.prove(wait())).ok, false);
        });

        it("a fence statement someone narrowed, or a bucket that cannot be read back, is not proved, naming what is wrong", async () => {
            await bucket("fence-narrow", "us-west-2");
            const f = new RepoFence({ buckets: [{ tier: "tier2", bucketName: "fence-narrow", region: "us-west-2" }, { tier: "tier3", bucketName: "fence-missing", region: "us-east-2" }], principals: PRINCIPALS }, s3, "us-east-1");
            const narrowed = JSON.parse(withFence(undefined, "fence-narrow", PRINCIPALS.slice(0, 1)));
            narrowed.Statement[0].Action = ["s3:PutObject"];
            await s3("us-west-2").send(new PutBucketPolicyCommand({ Bucket: "fence-narrow", Policy: JSON.stringify(narrowed) }));
            const r = await f.prove(wait());
            assert.strictEqual(r.ok, false);
            assert.match(r.lines[0], /actions not denied: s3:DeleteObject, .*; principals not named: arn:aws:iam::123456789012:role\/backup-access-tier2-writer-1b2c, arn:aws:iam::123456789012:role\/tier1-replication-9d8e/);
            assert.match(r.lines[1], /s3:\/\/fence-missing \(us-east-2\) read back: policy not read back: NoSuchBucket/);
        });

        it("refuses a target in the primary region or a principal that is not a role ARN (bad stack output), naming the output", () => {
            assert.throws(() => new RepoFence({ buckets: [{ tier: "tier1", bucketName: "x", region: "us-east-1" }], principals: ["pgbackrest-writer"] }, s3, "us-east-1"), /stack output failoverFence: principal "pgbackrest-writer" is not an IAM role ARN; bucket x is in the primary region us-east-1; rewrite FORTRESS_STACK_OUTPUTS/);
        });

        it("policy documents: withFence replaces an older fence, withoutFence drops only it, checkFence reads a single-statement policy", () => {
            const two = withFence(withFence(JSON.stringify({ Version: "2012-10-17", Statement: EXISTING }), "b", ["arn:aws:iam::1:role/a"]), "b", PRINCIPALS);
            assert.deepStrictEqual(JSON.parse(two).Statement.map((s: { Sid: string }) => s.Sid), ["DenyInsecureTransport", FENCE_SID]);
            assert.strictEqual(checkFence(two, "b", PRINCIPALS).ok, true);
            assert.deepStrictEqual(JSON.parse(withoutFence(two, "b")!).Statement, [EXISTING]);
            assert.strictEqual(withoutFence(withFence(undefined, "b", PRINCIPALS), "b"), undefined);
            assert.deepStrictEqual(checkFence(undefined, "b", PRINCIPALS), { ok: false, detail: "no bucket policy" });
        });
    });

    it("the fence's parts come from the DR stack's config (endpoints.nameServers, hosts, TTL) and outputs (failoverFence); a missing or bad output is named, FORTRESS_DNS_SERVERS overrides the name servers", () => {
        const stack = loadStack("prod-dr");
        const outputs = { failoverFence: { buckets: [{ tier: "tier2", bucketName: "pat-fortress-prod-tier2-us-west-2", region: "us-west-2" }], principals: PRINCIPALS } };
        const ok = dataPlaneFence(stack, outputs, s3, {});
        assert.ok(ok.repo instanceof RepoFence && ok.dns instanceof DnsFailoverCheck);
        assert.deepStrictEqual((ok.dns as DnsFailoverCheck).hosts.map((h) => h.hostname), ["app.patfortress.example", "api.patfortress.example"]);
        assert.strictEqual((ok.dns as DnsFailoverCheck).ttlSeconds, stack.config.endpoints.ttlSeconds);
        assert.match(String(dataPlaneFence(stack, {}, s3, {}).repo), /^no failoverFence in the stack outputs: set FORTRESS_STACK_OUTPUTS .* of the DR stack/);
        const bad = dataPlaneFence(stack, { failoverFence: { ...outputs.failoverFence, principals: ["writer"] } }, s3, {});
        assert.match(String(bad.repo), /stack output failoverFence: principal "writer" is not an IAM role ARN/);
        const noNs = dataPlaneFence({ ...stack, config: { ...stack.config, endpoints: { ...stack.config.endpoints, nameServers: undefined } } }, outputs, s3, {});
        assert.match(String(noNs.dns), /set the stack's endpoints\.nameServers .* or FORTRESS_DNS_SERVERS/);
        assert.ok(dataPlaneFence({ ...stack, config: { ...stack.config, endpoints: { ...stack.config.endpoints, nameServers: undefined } } }, outputs, s3, { FORTRESS_DNS_SERVERS: "127.0.0.1:5353, 127.0.0.2" }).dns instanceof DnsFailoverCheck);
    });

    describe("the failover records at the zone's name servers (node dns against a local responder)", () => {
        let dns: DnsResponder;
        beforeEach(async () => (dns = await startDnsResponder()));
        afterEach(() => dns.close());
        const hosts = [
            { hostname: "app.patfortress.example", primaryTarget: "fortress-prod-use1-ingress.elb.us-east-1.amazonaws.com", drTarget: "dr.app.patfortress.example" },
            { hostname: "api.patfortress.example", primaryTarget: "fortress-prod-use1-ingress.elb.us-east-1.amazonaws.com", drTarget: "dr.api.patfortress.example" },
        ];

        it("before the switch: the primary targets, not confirmed at the deadline; after: confirmed, and held for the TTL", async () => {
            for (const h of hosts) dns.records.set(h.hostname, h.primaryTarget);
            const c = new DnsFailoverCheck(hosts, [dns.address], 1, 500);
            c.intervalMs = 50;
            const before = await c.confirm("dr", wait(400));
            assert.strictEqual(before.ok, false);
            assert.match(before.detail, /at the deadline the authoritative name servers still answer: app\.patfortress\.example -> fortress-prod-use1-ingress\.elb\.us-east-1\.amazonaws\.com; api/);
            setTimeout(() => {
                for (const h of hosts) dns.records.set(h.hostname, h.drTarget);
            }, 300);
            const t0 = Date.now();
            const after = await c.confirm("dr", wait(10_000));
            assert.strictEqual(after.ok, true, after.detail);
            assert.ok(Date.now() - t0 >= 1300, "waited for the switch and then the 1 s TTL");
            assert.match(after.detail, /app\.patfortress\.example -> dr\.app\.patfortress\.example; api\.patfortress\.example -> dr\.api\.patfortress\.example; held for the records' TTL \(1 s\)/);
            assert.ok(dns.queries.every((q) => q.type === 5), "CNAME questions only");
        });

        it("a name server that does not answer, or a TTL that does not fit before the deadline, is not a confirmation", async () => {
            for (const h of hosts) dns.records.set(h.hostname, "silent");
            const c = new DnsFailoverCheck(hosts, [dns.address], 1, 200);
            c.intervalMs = 50;
            const silent = await c.confirm("dr", wait(700));
            assert.strictEqual(silent.ok, false);
            assert.match(silent.detail, /app\.patfortress\.example -> no answer \((ETIMEOUT|ECONNREFUSED)\)/);
            for (const h of hosts) dns.records.set(h.hostname, h.drTarget);
            const slow = new DnsFailoverCheck(hosts, [dns.address], 60, 500);
            const r = await slow.confirm("dr", wait(2000));
            assert.strictEqual(r.ok, false);
            assert.match(r.detail, /the records' TTL 60 s does not fit before the deadline/);
            assert.throws(() => new DnsFailoverCheck(hosts, [], 30), /set the stack.s endpoints\.nameServers .*FORTRESS_DNS_SERVERS/);
        });
    });

    describe("fortress failover on the platform driver with the primary region's API DOWN", () => {
        let drApi: FakeApi;
        let dns: DnsResponder;
        let primaryDown: KubeClient;
        let primaryPort: number;
        let tmp: string;
        let promoted: boolean;
        const stackChanges: Record<string, unknown>[] = [];
        const base = loadStack("prod-dr");
        const stack = { ...base, config: { ...base.config, erasure: undefined, endpoints: { ...base.config.endpoints, ttlSeconds: 1 } } };
        const T2 = "pat-fortress-prod-tier2-us-west-2";
        const T3 = "pat-fortress-prod-tier3-us-east-2";
        const AUDIT = "pat-fortress-prod-audit-us-east-2";

        before(async () => {
            await bucket(T2, "us-west-2");
            await bucket(T3, "us-east-2");
            await s3("us-east-2").send(new CreateBucketCommand({ Bucket: AUDIT, CreateBucketConfiguration: { LocationConstraint: "us-east-2" }, ObjectLockEnabledForBucket: true }));
        });
        beforeEach(async () => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-fence-"));
            s3Calls.length = 0;
            stackChanges.length = 0;
            promoted = false;
            drApi = await startFakeApi();
            dns = await startDnsResponder();
            // The primary region's API: a port nothing listens on any more (connection refused).
            const gone = net.createServer();
            await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
            primaryPort = (gone.address() as net.AddressInfo).port;
            await new Promise<void>((r) => gone.close(() => r()));
            const kc = new KubeConfig();
            kc.loadFromOptions({ clusters: [{ name: "p", server: `http://127.0.0.1:${primaryPort}`, skipTLSVerify: true }], users: [{ name: "u", token: "t" }], contexts: [{ name: "p", cluster: "p", user: "u" }], currentContext: "p" });
            primaryDown = new KubeClient(kc);
            drApi.handlers.push((r) => {
                if (r.path === "/api/v1/nodes") return { status: 200, body: { items: [{ metadata: { name: "n1" }, status: { conditions: [{ type: "Ready", status: "True" }] } }] } };
                if (r.path === "/apis/pgv2.percona.com/v2/namespaces/fortress/perconapgclusters/fortress-pg") {
                    if (r.method === "PATCH") {
                        promoted = true;
                        return { status: 200, body: {} };
                    }
                    return { status: 200, body: { metadata: { name: "fortress-pg" }, spec: { standby: { enabled: !promoted } }, status: { state: "ready", postgres: { ready: 1, size: 1 } } } };
                }
                if (r.path === "/api/v1/namespaces/fortress/pods") return { status: 200, body: { items: [{ metadata: { name: "fortress-pg-instance1-0" }, status: { phase: "Running" } }] } };
                return undefined;
            });
            drApi.exec = (e) =>
                e.command.includes(STATE_SQL)
                    ? { stdout: JSON.stringify({ r: !promoted, p: false, replay: "0/3000060", receive: promoted ? null : "0/3000060", current: promoted ? "0/3000100" : null, ts: "2026-12-03T06:00:00Z", lag: 0.4, am: "on", ac: "pgbackrest", tli: promoted ? 2 : 1 }), code: 0 }
                    : { stderr: "unexpected", code: 1 };
        });
        afterEach(async () => {
            await drApi.close();
            await dns.close();
            fs.rmSync(tmp, { recursive: true, force: true });
        });

        const driver = (names: string[]): Driver => {
            const db = new PlatformDatabase(new KubeClient(drApi.kc), "fortress", "fortress-pg");
            db.intervalMs = 20;
            const check = new DnsFailoverCheck(stack.config.endpoints.hosts, names, stack.config.endpoints.ttlSeconds, 500);
            check.intervalMs = 50;
            const change = async (c: Record<string, unknown>) => {
                stackChanges.push(c);
                return [`pulumi up prod-dr (${Object.keys(c).join(", ")}): succeeded (recorded)`];
            };
            const repo = new RepoFence({ buckets: [{ tier: "tier2", bucketName: T2, region: "us-west-2" }, { tier: "tier3", bucketName: T3, region: "us-east-2" }], principals: PRINCIPALS }, s3, stack.config.regions.primary);
            const f = new PlatformFailover(new KubeClient(drApi.kc), db, primaryDown, "fortress", "fortress-pg", change, { repo, dns: check });
            return { name: "platform", describe: "platform (test)", database: db, failover: f, traffic: new PlatformTraffic(change, check), audit: new S3AuditSink(s3("us-east-2"), AUDIT), close: async () => undefined };
        };
        const quiet: Reporter = { mode: "plain", header: () => undefined, stepStart: () => undefined, progress: () => undefined, stepEnd: () => undefined, note: () => undefined, finish: () => undefined };
        const run = (d: Driver, extra: Record<string, unknown> = {}) =>
            runPlan(failover.plan({ opts: { reason: "INC-77 us-east-1 down", ...extra }, stack, driver: { kind: "platform" }, dryRun: false } as never), {
                command: "failover",
                stack: stack.name,
                args: { driver: "platform", ...extra } as never,
                stateDir: tmp,
                dryRun: false,
                yes: true,
                reason: "INC-77 us-east-1 down",
                timeoutSeconds: 6,
                defaultTimeoutSeconds: 900,
                fresh: true,
                reporter: quiet,
                makeDriver: async () => d,
            });
        const answerDr = () => {
            for (const h of stack.config.endpoints.hosts) dns.records.set(h.hostname, h.drTarget);
        };

        it("proceeds and exits 0 with every step verified; every S3 call went to the DR or tier-3 region, no TCP connection to anything in the primary region but the refused best-effort pause", async () => {
            answerDr();
            const connects: string[] = [];
            const original = net.Socket.prototype.connect;
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            (net.Socket.prototype as any).connect = function (this: net.Socket, ...args: any[]) {
                // net.createConnection hands connect its normalised [options, callback] array.
                const o = Array.isArray(args[0]) ? args[0][0] : args[0];
                connects.push(typeof o === "object" && o !== null ? `${o.host ?? "localhost"}:${o.port ?? o.path}` : `localhost:${o}`);
                return (original as (...a: unknown[]) => net.Socket).apply(this, args);
            };
            let doc;
            try {
                doc = await run(driver([dns.address]));
            } finally {
                net.Socket.prototype.connect = original;
            }
            assert.strictEqual(doc.exitCode, 0, doc.message ?? "");
            assert.deepStrictEqual(doc.steps.map((s) => [s.id, s.status]), ["preflight", "loss-guard", "confirm", "fence", "fence-proved", "promote", "replay-erasures", "switch-traffic", "traffic-confirmed", "loss-window", "record"].map((id) => [id, "verified"]));
            const proof = doc.steps.find((s) => s.id === "fence-proved")!.detail!;
            assert.match(proof, /s3:\/\/pat-fortress-prod-tier2-us-west-2 \(us-west-2\) read back: FortressFailoverFence denies 9 write action\(s\) to 3 principal\(s\)/);
            assert.match(proof, /primary region API did not answer: .*ECONNREFUSED.*proved through the DNS data plane instead/);
            assert.match(proof, /clients' path: authoritative name servers answer app\.patfortress\.example -> dr\.app\.patfortress\.example; api\.patfortress\.example -> dr\.api\.patfortress\.example; held for the records' TTL \(1 s\)/);
            assert.match(proof, /fenced position 0\/3000060/);
            assert.match(doc.steps.find((s) => s.id === "fence")!.detail!, /primary PerconaPGCluster pause not sent \(best effort; the fence does not need it\)/);
            assert.match(doc.steps.find((s) => s.id === "loss-window")!.detail!, /^0 bytes of WAL not on the promoted side$/);
            assert.deepStrictEqual(stackChanges, [{ "dr.promote": true }, { "endpoints.activeRegion": "dr", "dr.promote": true }]);
            // Nothing on the path asked the primary region: S3 only in the DR and tier-3 regions …
            assert.deepStrictEqual([...new Set(s3Calls.map((c) => c.region))].sort(), ["us-east-2", "us-west-2"]);
            assert.ok(!s3Calls.some((c) => c.region === stack.config.regions.primary));
            // … and every TCP connection went to the DR cluster's API, moto (the DR/tier-3 S3 stand-in) or the refused primary API (best effort only).
            const drPort = new URL(drApi.kc.getCurrentCluster()!.server).port;
            const motoPort = new URL(endpoint).port;
            const ports = connects.map((c) => c.split(":").pop()!);
            assert.ok(ports.every((p) => [drPort, motoPort, String(primaryPort)].includes(p)), `unexpected connections: ${connects.join(", ")}`);
            assert.ok(ports.includes(String(primaryPort)), "the best-effort pause was attempted (and refused)");
            // The fence outlives the incident until fail-back: --unfence removes it, proved.
            const un = await run(driver([dns.address]), { unfence: true });
            assert.strictEqual(un.exitCode, 0, un.message ?? "");
            assert.match(un.steps.find((s) => s.id === "unfence")!.detail!, /s3:\/\/pat-fortress-prod-tier2-us-west-2 \(us-west-2\): FortressFailoverFence removed, read back absent/);
        });

        it("refuses (exit 3) and promotes nothing when DNS still answers the old region at the deadline", async () => {
            for (const h of stack.config.endpoints.hosts) dns.records.set(h.hostname, h.primaryTarget);
            const doc = await run(driver([dns.address]));
            assert.strictEqual(doc.exitCode, 3, doc.message ?? "");
            assert.match(doc.message ?? "", /fence not proved \(writes stopped: false, repo writes stopped: true\).*still answer: app\.patfortress\.example -> fortress-prod-use1-ingress.*no promotion/);
            assert.strictEqual(promoted, false);
            assert.deepStrictEqual(stackChanges, []);
            assert.ok(!drApi.requests.some((r) => r.method === "PATCH"), "the DR cluster was not touched");
        });

        it("refuses (exit 3) when the deny cannot be read back", async () => {
            answerDr();
            const c = s3("us-east-2");
            let put = false;
            const deny = (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
                if (context.commandName === "PutBucketPolicyCommand") put = true;
                if (context.commandName === "GetBucketPolicyCommand" && put) throw Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
                return next(args);
            };
            c.middlewareStack.add(deny as never, { step: "initialize", name: "denyReadBack" });
            try {
                const doc = await run(driver([dns.address]));
                assert.strictEqual(doc.exitCode, 3, doc.message ?? "");
                assert.match(doc.message ?? "", /repo writes stopped: false\).*s3:\/\/pat-fortress-prod-tier3-us-east-2 \(us-east-2\) read back: policy not read back: AccessDenied Access Denied/);
                assert.strictEqual(promoted, false);
            } finally {
                c.middlewareStack.remove("denyReadBack");
            }
        });

        it("with the primary's API answering, the pause is sent there too and a cluster read back paused with nothing ready proves the writes even while DNS still answers the old region", async () => {
            for (const h of stack.config.endpoints.hosts) dns.records.set(h.hostname, h.primaryTarget);
            const primaryApi = await startFakeApi();
            let paused = false;
            primaryApi.handlers.push((r) => {
                if (!r.path.endsWith("/perconapgclusters/fortress-pg")) return undefined;
                if (r.method === "PATCH") paused = true;
                return { status: 200, body: { metadata: { name: "fortress-pg" }, spec: { pause: paused }, status: { state: paused ? "paused" : "ready", postgres: { ready: paused ? 0 : 3, size: 3 } } } };
            });
            try {
                primaryDown = new KubeClient(primaryApi.kc);
                const f = driver([dns.address]).failover!;
                const sent = await f.fencePrimary(wait());
                assert.deepStrictEqual([sent.writesStopped, sent.repoWritesStopped], [false, false], "the fencing call's own answer proves nothing");
                assert.deepStrictEqual(primaryApi.requests.find((r) => r.method === "PATCH")!.body, [{ op: "add", path: "/spec/pause", value: true }]);
                const p = await f.proveFenced(wait());
                assert.deepStrictEqual([p.writesStopped, p.repoWritesStopped], [true, true], p.evidence.join("\n"));
                assert.match(p.evidence.join("; "), /spec\.pause=true, status\.postgres\.ready=0 \(no PostgreSQL runs: no writes, no archive-push\)/);
                assert.deepStrictEqual(dns.queries, [], "the DNS proof was not needed");
            } finally {
                await primaryApi.close();
            }
        });

        it("the fenced position is read in the DR region: the standby's received LSN or the newest DR tier-2 WAL segment's start, the higher", () => {
            assert.strictEqual(segmentStartLsn("000000010000000000000003"), "0/3000000");
            assert.strictEqual(segmentStartLsn("0000000200000001000000FF"), "1/FF000000");
            assert.strictEqual(segmentStartLsn("not-a-wal"), undefined);
            assert.deepStrictEqual(fencedPosition({ archived: { tier2: { wal: "000000010000000000000009" } }, standby: { flushLsn: "0/3000060" } }).lsn, "0/9000000");
            assert.deepStrictEqual(fencedPosition({ archived: {}, standby: { flushLsn: "0/3000060" } }).lsn, "0/3000060");
            assert.strictEqual(fencedPosition({ archived: {} }).lsn, undefined);
        });
    });
});

/**
 * The platform driver's primitives end to end through the real @kubernetes/client-node against
 * an in-process API server on 127.0.0.1 (apiserver.ts): REST calls and WebSocket exec. Status
 * fixtures are checked against the CRDs' status schemas; pgbackrest and redis-cli outputs are
 * real captures (fixtures/: pgBackRest 2.45 and Redis 7.0.15 on this Debian 12 host).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { StepFailed, WaitTimeout } from "../../../../cli/errors";
import { archivesNowhere } from "../../../../cli/commands/common";
import type { StoragePrimitives, StoredObject, Tier, Wait } from "../../../../cli/drivers/types";
import { PlatformDatabase, STATE_SQL, parseRecoveryEnd } from "../../../../cli/drivers/platform/database";
import { BackupJobRunner, PlatformCache, PlatformConfig, PlatformSecrets, parseReplication } from "../../../../cli/drivers/platform/assets";
import { createHash } from "crypto";
import * as os from "os";
import { gzipSync } from "zlib";
import { KubeClient } from "../../../../cli/drivers/platform/kube";
import { PlatformFailover } from "../../../../cli/drivers/platform/failover";
import { FakeApi, Recorded, assertStatusFixture, notFound, startFakeApi } from "./apiserver";

const FIX = path.join(__dirname, "fixtures");
const fixture = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const wait = (ms = 20_000): Wait => ({ deadline: Date.now() + ms });
const json = (body: unknown) => ({ status: 200, body });

const SOURCE = {
    apiVersion: "pgv2.percona.com/v2",
    kind: "PerconaPGCluster",
    metadata: { name: "fortress-pg", namespace: "fortress" },
    spec: {
        crVersion: "3.0.0",
        postgresVersion: 17,
        instances: [{ name: "instance1", replicas: 3, dataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } } }],
        backups: {
            pgbackrest: {
                configuration: [{ secret: { name: "fortress-pg-pgbackrest-s3" } }],
                global: { "repo2-path": "/pgbackrest/repo2" },
                repos: [
                    { name: "repo1", volume: { volumeClaimSpec: {} } },
                    { name: "repo2", s3: { bucket: "b-tier2", endpoint: "s3.us-west-2.amazonaws.com", region: "us-west-2" } },
                ],
            },
        },
    },
    status: { state: "ready", postgres: { ready: 3, size: 3 } },
};

const SCRATCH_NS = "fortress-scratch-fortress-restore";
const RESTORE_LOG = [
    "2026-12-03 06:00:01.001 UTC [41] LOG:  starting point-in-time recovery to 2026-12-03 05:59:00+00",
    "2026-12-03 06:00:03.510 UTC [41] LOG:  recovery stopping before commit of transaction 7781, time 2026-12-03 05:59:00.412311+00",
    "2026-12-03 06:00:03.510 UTC [41] LOG:  redo done at 0/5000100 system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 2.50 s",
    "2026-12-03 06:00:03.510 UTC [41] LOG:  last completed transaction was at log time 2026-12-03 05:58:59.123456+00",
    "2026-12-03 06:00:03.540 UTC [41] LOG:  selected new timeline ID: 2",
].join("\n");

/** What psql prints for STATE_SQL on the opened copy (the shape json_build_object gives). */
const OPENED_STATE = JSON.stringify({ r: false, p: false, replay: null, receive: null, current: "0/50001B8", ts: null, lag: null, am: "on", ac: "true", tli: 2 });

const percStatus = (kind: "PerconaPGCluster" | "PerconaPGBackup" | "PerconaPGRestore", status: Record<string, unknown>) => {
    assertStatusFixture("percona-pg-crd.yaml", kind, status);
    return status;
};

function memStorage(objects: Map<string, string | Buffer>): StoragePrimitives {
    const list = (tier: Tier, prefix: string): StoredObject[] => [...objects.keys()].filter((k) => k.startsWith(`${tier}:${prefix}`)).map((k) => ({ tier, bucket: `b-${tier}`, key: k.slice(k.indexOf(":") + 1), sizeBytes: Buffer.byteLength(objects.get(k)!), lastModified: new Date("2026-12-03T06:00:00Z") }));
    return {
        listObjects: async (tier, prefix) => list(tier, prefix),
        getObject: async (o) => Buffer.from(objects.get(`${o.tier}:${o.key}`) ?? ""),
        objectRetention: async () => ({}),
        bucketRetention: async () => ({}),
    };
}

/** The scratch restore's cluster-side story: namespace, secret copy, cluster, the operator's restore Job and its pod. */
function scratchWorld(api: FakeApi, o: { job: (Record<string, unknown> | null)[]; cluster: Record<string, unknown>[]; namespaceLingers?: boolean }) {
    let nsExists = false;
    let nsDeleted = false;
    let clusterAnn: Record<string, string> | undefined;
    let jobReads = 0;
    let clusterReads = 0;
    api.handlers.push((r: Recorded) => {
        const p = r.path;
        if (p === "/apis/pgv2.percona.com/v2/namespaces/fortress/perconapgclusters/fortress-pg" && r.method === "GET") return json(SOURCE);
        if (p === "/api/v1/namespaces" && r.method === "POST") {
            nsExists = true;
            return { status: 201, body: r.body };
        }
        if (p === `/api/v1/namespaces/${SCRATCH_NS}` && r.method === "GET") {
            if (!nsExists) return notFound("namespace");
            if (nsDeleted && !o.namespaceLingers) {
                nsExists = false;
                return notFound("namespace");
            }
            return json({ metadata: { name: SCRATCH_NS }, status: { phase: nsDeleted ? "Terminating" : "Active" } });
        }
        if (p === `/api/v1/namespaces/${SCRATCH_NS}` && r.method === "DELETE") {
            nsDeleted = true;
            return json({ status: "Success" });
        }
        if (p === "/api/v1/namespaces/fortress/secrets/fortress-pg-pgbackrest-s3") return json({ metadata: { name: "fortress-pg-pgbackrest-s3" }, type: "Opaque", data: { "s3.conf": "W2dsb2JhbF0K" } });
        if (p === `/api/v1/namespaces/${SCRATCH_NS}/secrets` && r.method === "POST") return { status: 201, body: r.body };
        if (p === `/api/v1/namespaces/${SCRATCH_NS}/serviceaccounts` && r.method === "POST") return { status: 201, body: r.body };
        if (p === `/apis/pgv2.percona.com/v2/namespaces/${SCRATCH_NS}/perconapgclusters` && r.method === "POST") return { status: 201, body: r.body };
        if (p === `/apis/pgv2.percona.com/v2/namespaces/${SCRATCH_NS}/perconapgclusters/fortress-restore`) {
            if (r.method === "PATCH") {
                clusterAnn = (r.body as { value: Record<string, string> }[])[0].value;
                return json({});
            }
            if (r.method === "DELETE") return json({});
            const status = o.cluster[Math.min(clusterReads++, o.cluster.length - 1)];
            return json({ metadata: { name: "fortress-restore", annotations: clusterAnn }, spec: {}, status: percStatus("PerconaPGCluster", status) });
        }
        if (p === `/apis/batch/v1/namespaces/${SCRATCH_NS}/jobs/fortress-restore-pgbackrest-restore`) {
            const st = o.job[Math.min(jobReads++, o.job.length - 1)];
            return st === null ? notFound("job") : json({ metadata: { name: "fortress-restore-pgbackrest-restore" }, status: st });
        }
        if (p === `/api/v1/namespaces/${SCRATCH_NS}/pods` && r.query.get("labelSelector") === "job-name=fortress-restore-pgbackrest-restore") return json({ items: [{ metadata: { name: "fortress-restore-pgbackrest-restore-x1" }, status: { phase: "Succeeded" } }] });
        if (p === `/api/v1/namespaces/${SCRATCH_NS}/pods/fortress-restore-pgbackrest-restore-x1/log`) return { status: 200, text: RESTORE_LOG };
        if (p === `/api/v1/namespaces/${SCRATCH_NS}/pods`) return json({ items: [{ metadata: { name: "fortress-restore-instance1-abcd-0" }, status: { phase: "Running" } }] });
        if (p === "/api/v1/persistentvolumes") return json({ items: o.namespaceLingers ? [{ metadata: { name: "pvc-1" }, spec: { claimRef: { namespace: SCRATCH_NS }, persistentVolumeReclaimPolicy: "Retain" }, status: { phase: "Released" } }] : [] });
        return undefined;
    });
    api.exec = (e) => (e.command.includes(STATE_SQL) ? { stdout: `${OPENED_STATE}\n`, code: 0 } : { stderr: "unexpected", code: 1 });
    return { requests: api.requests };
}

describe("cli/drivers/platform: the primitives through client-node against an API server on 127.0.0.1", function () {
    this.timeout(60_000);
    let api: FakeApi;
    let db: PlatformDatabase;
    beforeEach(async () => {
        api = await startFakeApi();
        db = new PlatformDatabase(new KubeClient(api.kc), "fortress", "fortress-pg");
        db.intervalMs = 20;
        db.cleanupMs = 5000;
    });
    afterEach(() => api.close());

    const destination = { kind: "scratch" as const, name: "fortress-restore" };
    const request = { tier: "tier2" as const, target: { kind: "time" as const, time: new Date("2026-12-03T05:59:00Z") }, destination, action: "inspect" as const, archiving: "off" as const, set: "20261203-010000F" };

    it("restore into a new cluster: scratch namespace, secret copied, PerconaPGCluster with dataSource.pgbackrest; state read back from the pod and the restore Job's log", async () => {
        scratchWorld(api, {
            job: [null, { active: 1 }, { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }],
            cluster: [{ state: "initializing" }, { state: "initializing" }, { state: "initializing" }, { state: "ready", postgres: { ready: 1, size: 1 } }],
        });
        const s = await db.restore(request, wait());
        const posts = api.requests.filter((r) => r.method === "POST").map((r) => r.path);
        assert.deepStrictEqual(posts, ["/api/v1/namespaces", `/api/v1/namespaces/${SCRATCH_NS}/secrets`, `/apis/pgv2.percona.com/v2/namespaces/${SCRATCH_NS}/perconapgclusters`]);
        const cluster = api.requests.find((r) => r.method === "POST" && r.path.endsWith("/perconapgclusters"))!.body;
        assert.deepStrictEqual(cluster.spec.dataSource.pgbackrest.options, ["--set=20261203-010000F", "--type=time", "--target=2026-12-03 05:59:00.000000+00"]);
        assert.strictEqual(cluster.spec.backups.enabled, false);
        assert.strictEqual(s.lastCommitAt?.toISOString(), "2026-12-03T05:58:59.123Z");
        assert.strictEqual(s.replayLsn, "0/5000100");
        assert.strictEqual(s.timeline, 2);
        assert.strictEqual(s.inRecovery, false);
        assert.strictEqual(s.endpoint, `fortress-restore-primary.${SCRATCH_NS}.svc:5432`);
        assert.ok(archivesNowhere(s), "archive_mode on with archive_command true archives nowhere");
        assert.ok(!archivesNowhere({ archiveMode: "on", archiveCommand: 'pgbackrest --stanza=db archive-push "%p"' }));
        assert.deepStrictEqual(api.execs[0].command.slice(0, 7), ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]);
        assert.strictEqual(api.execs[0].container, "database");
        // A later process (resume) reads the same state: the recovery end is kept on the cluster.
        const again = await db.inspect(destination, wait());
        assert.strictEqual(again.lastCommitAt?.toISOString(), "2026-12-03T05:58:59.123Z");
    });

    it("restore from an IRSA (web-id) repo without the stack's scratch reader role refuses before creating anything, naming the missing output", async () => {
        scratchWorld(api, { job: [{ succeeded: 1 }], cluster: [{ state: "ready", postgres: { ready: 1, size: 1 } }] });
        const global = SOURCE.spec.backups.pgbackrest.global as Record<string, string>;
        global["repo2-s3-key-type"] = "web-id";
        // The old escape hatch is gone: only the stack's role lets the restore through.
        process.env.FORTRESS_SCRATCH_IRSA_TRUSTED = "1";
        try {
            await assert.rejects(db.restore(request, wait()), /repo2 is reached with IRSA .* no scratchRestore\.readerRoleArn .*system:serviceaccount:fortress-scratch-\*:\*-instance.*FORTRESS_STACK_OUTPUTS/);
            assert.deepStrictEqual(api.requests.filter((r) => r.method !== "GET"), [], "nothing created");
        } finally {
            delete global["repo2-s3-key-type"];
            delete process.env.FORTRESS_SCRATCH_IRSA_TRUSTED;
        }
    });

    it("restore from an IRSA (web-id) repo with the stack's scratch reader role: the scratch cluster's service accounts are created with that role before the cluster", async () => {
        const arn = "arn:aws:iam::123456789012:role/pgbackrest-scratch-reader-1a2b3c";
        db = new PlatformDatabase(new KubeClient(api.kc), "fortress", "fortress-pg", arn);
        db.intervalMs = 20;
        scratchWorld(api, { job: [{ succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }], cluster: [{ state: "ready", postgres: { ready: 1, size: 1 } }] });
        const global = SOURCE.spec.backups.pgbackrest.global as Record<string, string>;
        global["repo2-s3-key-type"] = "web-id";
        try {
            await db.restore(request, wait());
        } finally {
            delete global["repo2-s3-key-type"];
        }
        const posts = api.requests.filter((r) => r.method === "POST");
        assert.deepStrictEqual(
            posts.map((r) => r.path),
            ["/api/v1/namespaces", `/api/v1/namespaces/${SCRATCH_NS}/serviceaccounts`, `/api/v1/namespaces/${SCRATCH_NS}/serviceaccounts`, `/api/v1/namespaces/${SCRATCH_NS}/secrets`, `/apis/pgv2.percona.com/v2/namespaces/${SCRATCH_NS}/perconapgclusters`],
        );
        const sas = posts.filter((r) => r.path.endsWith("/serviceaccounts")).map((r) => r.body.metadata);
        assert.deepStrictEqual(sas.map((m) => m.name), ["fortress-restore-instance", "fortress-restore-pgbackrest"]);
        for (const m of sas) assert.strictEqual(m.annotations["eks.amazonaws.com/role-arn"], arn);
        // The names the role trusts (components/core/names.ts) match what was created, namespace included.
        const { scratchServiceAccountSubjects } = await import("../../../../components/core/names");
        const like = (pattern: string, v: string) => new RegExp(`^${pattern.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(v);
        for (const m of sas) assert.ok(scratchServiceAccountSubjects().some((p) => like(p, `system:serviceaccount:${SCRATCH_NS}:${m.name}`)), `${m.name} is trusted`);
        assert.ok(!scratchServiceAccountSubjects().some((p) => like(p, "system:serviceaccount:fortress:fortress-pg-instance")), "the source namespace is not");
        const cluster = posts.find((r) => r.path.endsWith("/perconapgclusters"))!.body;
        assert.strictEqual(cluster.spec.backups.enabled, false, "the scratch copy writes into no repo");
    });

    it("a scratch reader role output that is not an IAM role ARN is refused at start, naming the output", () => {
        assert.throws(() => new PlatformDatabase(new KubeClient(api.kc), "fortress", "fortress-pg", "pgbackrest-scratch-reader"), /scratchRestore\.readerRoleArn "pgbackrest-scratch-reader" is not an IAM role ARN/);
    });

    it("restore whose operator Job fails: one error naming the Job, and the scratch namespace deleted and proved gone", async () => {
        scratchWorld(api, { job: [{ active: 1 }, { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] }], cluster: [{ state: "initializing" }] });
        await assert.rejects(db.restore(request, wait()), (e: Error) => {
            assert.ok(e instanceof StepFailed);
            assert.match(e.message, /restore Job fortress-restore-pgbackrest-restore Failed: BackoffLimitExceeded/);
            assert.match(e.message, /the scratch namespace fortress-scratch-fortress-restore was deleted and proved gone/);
            return true;
        });
        assert.ok(api.requests.some((r) => r.method === "DELETE" && r.path === `/api/v1/namespaces/${SCRATCH_NS}`));
        assert.ok(api.requests.some((r) => r.method === "DELETE" && r.path.endsWith("/perconapgclusters/fortress-restore")));
    });

    it("restore stuck (the Job never starts a pod): stuck error with the last status; a namespace that will not go away is named with the command to remove it", async () => {
        db.stuckAfterSeconds = 0.2;
        db.cleanupMs = 300;
        scratchWorld(api, { job: [{ active: 0 }], cluster: [{ state: "initializing" }], namespaceLingers: true });
        await assert.rejects(db.restore(request, wait(3000)), (e: Error) => {
            assert.match(e.message, /stuck in "restoring \(active 0, failed 0\)"/);
            assert.match(e.message, /cleanup NOT proved — what remains: namespace fortress-scratch-fortress-restore still exists \(phase Terminating\); persistent volume\(s\) of fortress-scratch-fortress-restore remain: pvc-1 \(Released, reclaim Retain\); delete it: kubectl delete namespace fortress-scratch-fortress-restore/);
            return true;
        });
    });

    it("restore past its deadline: WaitTimeout (rerun to resume), cleanup proved", async () => {
        scratchWorld(api, { job: [{ active: 1 }], cluster: [{ state: "initializing" }] });
        await assert.rejects(db.restore(request, wait(300)), (e: Error) => e instanceof WaitTimeout && /not finished at the deadline/.test(e.message) && /proved gone/.test(e.message));
    });

    it("a rerun finds the earlier attempt's namespace and removes it (proved) before starting over", async () => {
        scratchWorld(api, { job: [{ succeeded: 1 }], cluster: [{ state: "ready", postgres: { ready: 1, size: 1 } }] });
        await db.restore(request, wait());
        const firstCreate = api.requests.filter((r) => r.method === "POST" && r.path === "/api/v1/namespaces").length;
        await db.restore(request, wait());
        const deletesBeforeSecondCreate = api.requests.filter((r) => r.method === "DELETE" && r.path === `/api/v1/namespaces/${SCRATCH_NS}`).length;
        assert.strictEqual(firstCreate, 1);
        assert.strictEqual(deletesBeforeSecondCreate, 1);
    });

    it("promoteRestored proves the copy writable (a write rolled back); a copy still in recovery is a failure naming the Job log", async () => {
        scratchWorld(api, { job: [{ succeeded: 1 }], cluster: [{ state: "ready", postgres: { ready: 1, size: 1 } }] });
        const seen: string[] = [];
        api.exec = (e) => {
            seen.push(e.command[e.command.length - 1]);
            return e.command.includes(STATE_SQL) ? { stdout: OPENED_STATE, code: 0 } : { stdout: "", code: 0 };
        };
        const s = await db.promoteRestored(destination, wait());
        assert.strictEqual(s.inRecovery, false);
        assert.ok(seen.some((q) => /create temporary table fortress_write_probe/.test(q)));
        api.exec = () => ({ stdout: JSON.stringify({ ...JSON.parse(OPENED_STATE), r: true, p: true }), code: 0 });
        await assert.rejects(db.promoteRestored(destination, wait()), /still in recovery.*kubectl -n fortress-scratch-fortress-restore logs job\/fortress-restore-pgbackrest-restore/);
    });

    it("probe reads every table of every database, checksum failures, and SQL probes (a failing query is a failed probe, not a crash)", async () => {
        scratchWorld(api, { job: [{ succeeded: 1 }], cluster: [{ state: "ready", postgres: { ready: 1, size: 1 } }] });
        api.exec = (e) => {
            const sql = e.command[e.command.length - 1];
            const dbn = e.command[e.command.indexOf("-d") + 1];
            if (/from pg_database/.test(sql)) return { stdout: "app\npostgres\n", code: 0 };
            if (/pg_stat_user_tables/.test(sql)) return { stdout: dbn === "app" ? "public.orders\npublic.users\n" : "", code: 0 };
            if (/count\(\*\) from public.orders/.test(sql)) return { stdout: "120\n", code: 0 };
            if (/count\(\*\) from public.users/.test(sql)) return { stdout: "7\n", code: 0 };
            if (/checksum_failures/.test(sql)) return { stdout: "0\n", code: 0 };
            if (sql === "select count(*) from orders") return { stdout: "120\n", code: 0 };
            return { stderr: 'ERROR:  relation "nope" does not exist', code: 1 };
        };
        const r = await db.probe(destination, [{ name: "orders", sql: "select count(*) from orders", min: 100 }, { name: "bad", sql: "select 1 from nope" }], wait());
        assert.deepStrictEqual(r.map((x) => [x.name, x.ok]), [["read-every-table", true], ["checksum-failures", true], ["orders", true], ["bad", false]]);
        assert.match(r[0].detail, /2 table\(s\) in 2 database\(s\), 127 row\(s\)/);
        assert.match(r[3].detail, /relation "nope" does not exist/);
    });

    it("info, verify and archive history through pgbackrest in the pod, parsed from real pgBackRest 2.45 output (verify's exit code 0 on a corrupt repo is not trusted)", async () => {
        api.handlers.push((r) => (r.path === "/api/v1/namespaces/fortress/pods" ? json({ items: [{ metadata: { name: "fortress-pg-instance1-aaaa-0" }, status: { phase: "Running" } }] }) : undefined));
        let verifyOut = fixture("pgbackrest-2.45-verify-corrupt.txt");
        api.exec = (e) => {
            const c = e.command.join(" ");
            if (/ info --output=json/.test(c)) return { stdout: fixture("pgbackrest-2.45-info.json"), code: 0 };
            if (/ verify /.test(c)) return { stdout: verifyOut, code: 0 };
            if (/repo-ls .*history/.test(c)) return { stdout: "15-1/00000002.history\n", code: 0 };
            if (/ repo-ls /.test(c)) return { stdout: fixture("pgbackrest-2.45-repo-ls-archive.txt"), code: 0 };
            return { stderr: `unexpected ${c}`, code: 1 };
        };
        const info = await db.info("tier1", wait());
        assert.strictEqual(info.backups.length, 1);
        assert.ok(info.backups[0].complete && /^\d{8}-\d{6}F$/.test(info.backups[0].label));
        assert.ok(info.archive.max && /^[0-9A-F]{24}$/.test(info.archive.max));
        const bad = await db.verify("tier1", wait());
        assert.ok(bad.some((f) => f.check === "pgbackrest-verify" && /pg_data\/base\/5\/2836_fsm\.gz$/.test(f.object) && f.message === "invalid checksum"), JSON.stringify(bad));
        verifyOut = fixture("pgbackrest-2.45-verify-ok.txt");
        assert.deepStrictEqual(await db.verify("tier1", wait()), []);
        assert.deepStrictEqual(await db.archiveHistoryFiles("tier1", wait()), ["00000002.history"]);
        assert.ok(api.execs.every((e) => e.namespace === "fortress" && e.pod === "fortress-pg-instance1-aaaa-0" && e.container === "database"));
        assert.ok(api.execs.some((e) => e.command.includes("--repo=1")));
    });

    it("a command failing in the pod (exit code from the status frame) is one error naming the pod and the command's last words", async () => {
        api.handlers.push((r) => (r.path === "/api/v1/namespaces/fortress/pods" ? json({ items: [{ metadata: { name: "p0" }, status: { phase: "Running" } }] }) : undefined));
        api.exec = () => ({ stderr: "ERROR: [055]: unable to load info file '/pgbackrest/repo2/backup/db/backup.info'", code: 55 });
        await assert.rejects(db.info("tier2", wait()), /pgbackrest info --repo=2 in fortress\/p0 exited 55: ERROR: \[055\]: unable to load info file/);
    });

    it("positions: a primary reports its write LSN; a standby its receive/replay LSNs and lag; archive max per declared repo", async () => {
        api.handlers.push((r) => {
            if (r.path === "/apis/pgv2.percona.com/v2/namespaces/fortress/perconapgclusters/fortress-pg") return json(SOURCE);
            if (r.path === "/api/v1/namespaces/fortress/pods") return json({ items: [{ metadata: { name: "p0" }, status: { phase: "Running" } }] });
            return undefined;
        });
        let state = { r: false, p: false, replay: null, receive: null, current: "0/7000060", ts: null, lag: null, am: "on", ac: "x", tli: 1 } as Record<string, unknown>;
        api.exec = (e) => (e.command.join(" ").includes(" info --output=json") ? { stdout: fixture("pgbackrest-2.45-info.json"), code: 0 } : { stdout: JSON.stringify(state), code: 0 });
        const p = await db.positions(wait());
        assert.strictEqual(p.primaryWriteLsn, "0/7000060");
        assert.deepStrictEqual(Object.keys(p.archived).sort(), ["tier1", "tier2"]);
        state = { ...state, r: true, current: null, replay: "0/6FFFF00", receive: "0/7000000", ts: "2026-12-03T06:00:00+00:00", lag: 4.5 };
        const s = await db.positions(wait());
        assert.deepStrictEqual(s.standby, { flushLsn: "0/7000000", replayLsn: "0/6FFFF00", replayLagSeconds: 4.5, lastReplayAt: new Date("2026-12-03T06:00:00Z") });
    });

    it("promoteStandby waits for replay to reach the fenced LSN, sets spec.standby.enabled=false, and returns once out of recovery", async () => {
        let patched: unknown;
        api.handlers.push((r) => {
            if (r.path === "/api/v1/namespaces/fortress/pods") return json({ items: [{ metadata: { name: "p0" }, status: { phase: "Running" } }] });
            if (r.method === "PATCH" && r.path.endsWith("/perconapgclusters/fortress-pg")) {
                patched = r.body;
                return json({});
            }
            return undefined;
        });
        let n = 0;
        api.exec = () => {
            n++;
            const replay = n < 3 ? "0/6000000" : "0/7000100";
            return { stdout: JSON.stringify({ r: patched === undefined, p: false, replay, receive: replay, current: patched ? "0/7000200" : null, ts: null, lag: 0, am: "on", ac: "x", tli: patched ? 2 : 1 }), code: 0 };
        };
        const r = await db.promoteStandby("0/7000000", wait());
        assert.deepStrictEqual(patched, [{ op: "add", path: "/spec/standby/enabled", value: false }]);
        assert.strictEqual(r.promotedAtLsn, "0/7000100");
        assert.strictEqual(r.timeline, 2);
        api.exec = () => ({ stdout: JSON.stringify({ r: true, p: false, replay: "0/1000000", receive: null, current: null, ts: null, lag: 0, am: "on", ac: "x", tli: 1 }), code: 0 });
        patched = undefined;
        await assert.rejects(db.promoteStandby("0/7000000", wait(200)), (e: Error) => e instanceof WaitTimeout && /short of the fenced 0\/7000000.*not promoted/.test(e.message));
        assert.strictEqual(patched, undefined, "never promoted short of the fenced position");
    });

    it("in-place restore: a PerconaPGRestore with no --target-action; Failed state is one error with the resource's name", async () => {
        api.handlers.push((r) => {
            if (r.method === "POST" && r.path.endsWith("/perconapgrestores")) return { status: 201, body: r.body };
            if (r.method === "GET" && /perconapgrestores\/fortress-restore-/.test(r.path)) return json({ metadata: { name: "x" }, status: percStatus("PerconaPGRestore", { state: "Failed", jobName: "fortress-pg-pgbackrest-restore" }) });
            return undefined;
        });
        await assert.rejects(db.restore({ ...request, destination: { kind: "in-place", name: "fortress-pg" } }, wait()), (e: Error) => e instanceof StepFailed && /PerconaPGRestore fortress\/fortress-restore-.*: Failed/.test(e.message));
        const body = api.requests.find((r) => r.method === "POST")!.body;
        assert.ok(!body.spec.options.some((o: string) => o.includes("--target-action")));
    });
});

describe("cli/drivers/platform: cache, configuration and secrets (snapshot primitives)", function () {
    this.timeout(60_000);
    let api: FakeApi;
    let objects: Map<string, Buffer | string>;
    let jobs: BackupJobRunner;
    beforeEach(async () => {
        api = await startFakeApi();
        objects = new Map();
        jobs = new BackupJobRunner(new KubeClient(api.kc), memStorage(objects));
        jobs.intervalMs = 20;
    });
    afterEach(() => api.close());

    const cron = (name: string, prefix: string) => ({ metadata: { name, namespace: "fortress", uid: `uid-${name}` }, spec: { jobTemplate: { spec: { backoffLimit: 0, template: { spec: { containers: [{ name: "backup", env: [{ name: "BACKUP_PREFIX", value: prefix }] }] } } } } } });
    const sha = (b: string) => createHash("sha256").update(b).digest("hex");
    /** A snapshot as redis-snapshot.sh / the secrets jobs store it: the object, then its manifest. */
    const store = (tier: string, base: string, dataClass: string, epoch: number, payload = `enc-${base}`, plaintext: Record<string, number> = { keys: 3 }) => {
        objects.set(`${tier}:${base}.bin.lz4.enc`, payload);
        objects.set(`${tier}:${base}.manifest.json`, JSON.stringify({ format: "fortress-backup/1", dataClass, tier, object: `${base}.bin.lz4.enc`, sha256: sha(payload), size: Buffer.byteLength(payload), createdAtEpoch: epoch, plaintext }));
    };

    /** CronJobs, Job creation (onCreate sees the Job body), Job statuses per Job, and the Job pods' logs. */
    function jobWorld(o: { statuses: (job: any) => Record<string, unknown>[]; onCreate?: (job: any) => void; log?: (job: any) => string }) {
        const created = new Map<string, { body: any; reads: number; deleted: boolean }>();
        api.handlers.push((r) => {
            if (r.path === "/apis/batch/v1/cronjobs") return json({ items: [cron("fortress-redis-snapshots-tier2", "tier2/redis"), cron("fortress-vault-tier2", "tier2/secrets/vault"), cron("fortress-sealed-tier2", "tier2/secrets/sealed-secrets")] });
            if (r.method === "POST" && r.path === "/apis/batch/v1/namespaces/fortress/jobs") {
                created.set(r.body.metadata.name, { body: r.body, reads: 0, deleted: false });
                o.onCreate?.(r.body);
                return { status: 201, body: r.body };
            }
            const m = /^\/apis\/batch\/v1\/namespaces\/fortress\/jobs\/(.+)$/.exec(r.path);
            if (m) {
                const j = created.get(m[1]);
                if (!j || j.deleted) return notFound("job");
                if (r.method === "DELETE") {
                    j.deleted = true;
                    return json({});
                }
                const st = o.statuses(j.body);
                return json({ metadata: { name: m[1] }, status: st[Math.min(j.reads++, st.length - 1)] });
            }
            if (r.path === "/api/v1/namespaces/fortress/pods" && r.query.get("labelSelector")?.startsWith("job-name=")) {
                const name = r.query.get("labelSelector")!.slice("job-name=".length);
                const j = created.get(name);
                return json({ items: j && !j.deleted ? [{ metadata: { name: `${name}-pod` }, status: { phase: "Succeeded" } }] : [] });
            }
            const lm = /^\/api\/v1\/namespaces\/fortress\/pods\/(.+)-pod\/log$/.exec(r.path);
            if (lm) return { status: 200, text: o.log?.(created.get(lm[1])!.body) ?? "" };
            return undefined;
        });
        return created;
    }
    const done = [{ active: 1 }, { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }];
    const commandOf = (job: any): string[] => job.spec.template.spec.containers[0].command ?? [];

    it("cache take: a Job from the tier's Redis CronJob; returned only once its manifest is listed, the stored object's size and sha256 match, and redis-restore.sh --verify-only passed in a Job", async () => {
        store("tier2", "tier2/redis/20261203T050000Z", "redis", 1796274000);
        const created = jobWorld({ statuses: () => done, onCreate: (job) => (commandOf(job).length === 0 ? store("tier2", "tier2/redis/20261203T060000Z", "redis", 1796277600) : undefined) });
        const cache = new PlatformCache(new KubeClient(api.kc), jobs, "fortress");
        const [s] = await cache.take("tier2", wait());
        assert.strictEqual(s.id, "tier2/redis/20261203T060000Z.manifest.json");
        assert.strictEqual(s.object, "s3://b-tier2/tier2/redis/20261203T060000Z.bin.lz4.enc");
        assert.deepStrictEqual(s.counts, { keys: 3 });
        const bodies = [...created.values()].map((j) => j.body);
        assert.strictEqual(bodies[0].metadata.annotations["cronjob.kubernetes.io/instantiate"], "manual");
        assert.strictEqual(bodies[0].metadata.ownerReferences[0].name, "fortress-redis-snapshots-tier2");
        assert.deepStrictEqual(commandOf(bodies[1]), ["/opt/fortress/jobs/redis-restore.sh", "--verify-only"]);
        assert.ok(bodies[1].spec.template.spec.containers[0].env.some((e: any) => e.name === "MANIFEST_KEY" && e.value === s.id));
        assert.strictEqual(api.requests.find((r) => r.path === "/apis/batch/v1/cronjobs")!.query.get("labelSelector"), "fortress/data-class=redis,fortress/tier=tier2,fortress/purpose=backup");
        assert.deepStrictEqual((await cache.list("tier2", wait())).map((x) => x.id), ["tier2/redis/20261203T050000Z.manifest.json", "tier2/redis/20261203T060000Z.manifest.json"], "oldest first");
    });

    it("cache verify names the object: a stored object whose bytes changed (sha256), one missing, and a verify Job that fails (decryption) — each one finding", async () => {
        store("tier2", "tier2/redis/a", "redis", 1796274000);
        const cache = new PlatformCache(new KubeClient(api.kc), jobs, "fortress");
        jobWorld({ statuses: () => [{ failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] }], log: () => "2026-12-03T06:00:00Z redis-restore ERROR: bad decrypt (wrong key?)" });
        const [s] = await cache.list("tier2", wait());
        const dec = await cache.verify(s, wait());
        assert.deepStrictEqual(dec.map((f) => [f.object, f.check]), [["s3://b-tier2/tier2/redis/a.bin.lz4.enc", "decrypt"]]);
        assert.match(dec[0].message, /Failed: BackoffLimitExceeded.*its log: .*bad decrypt/);
        objects.set("tier2:tier2/redis/a.bin.lz4.enc", "enc-tier2/redis/X");
        assert.match((await cache.verify(s, wait()))[0].message, /^sha256 [0-9a-f]{64}, manifest says/);
        objects.delete("tier2:tier2/redis/a.bin.lz4.enc");
        assert.deepStrictEqual((await cache.verify(s, wait())).map((f) => f.check), ["listed"]);
    });

    it("cache take: a Job that succeeds without a new manifest is a failure; a Job that never runs is stuck", async () => {
        jobWorld({ statuses: () => [{ succeeded: 1 }] });
        const cache = new PlatformCache(new KubeClient(api.kc), jobs, "fortress");
        await assert.rejects(cache.take("tier2", wait()), /completed but no new manifest is listed under s3 tier2 tier2\/redis\//);
        api.handlers.length = 0;
        jobWorld({ statuses: () => [{ active: 0 }] });
        jobs.stuckAfterSeconds = 0.2;
        await assert.rejects(cache.take("tier2", wait()), /stuck in "active 0, failed 0"/);
    });

    it("cache restore into a scratch Redis inside a Job (emptyDir): keys against the manifest's count and the probes, read from the Job's log; teardown proves the Job and its pod gone", async () => {
        store("tier2", "tier2/redis/a", "redis", 1796274000);
        const created = jobWorld({ statuses: () => done, log: () => "restored\nfortress-probe dbsize 3\nfortress-probe p0 1\nfortress-probe p1 0\n" });
        const cache = new PlatformCache(new KubeClient(api.kc), jobs, "fortress");
        const [s] = await cache.list("tier2", wait());
        const r = await cache.restore(s, { kind: "scratch", name: "check-1" }, [{ name: "user1", check: "EXISTS user:1", min: 1 }, { name: "user2", check: "EXISTS user:2", min: 1 }], wait());
        assert.deepStrictEqual(r.probes.map((p) => [p.name, p.ok]), [["keys", true], ["user1", true], ["user2", false]]);
        const job = [...created.values()][0].body;
        assert.deepStrictEqual(job.spec.template.spec.volumes, [{ name: "fortress-scratch", emptyDir: {} }]);
        assert.ok(job.spec.template.spec.containers[0].env.some((e: any) => e.name === "FORTRESS_PROBE_0" && e.value === "EXISTS user:1"), "probe commands travel as env, never spliced into the script");
        assert.ok(!commandOf(job)[2].includes("user:1"));
        const t = await cache.teardown({ kind: "scratch", name: "check-1" }, wait());
        assert.deepStrictEqual(t.map((p) => p.ok), [true, true]);
        await assert.rejects(cache.restore(s, { kind: "in-place", name: "x" }, [], wait()), /in-place restore is not offered/);
    });

    it("replica offsets from redis-cli INFO replication in the pods (real Redis 7.0 output): the master's offset and each replica's state", async () => {
        api.handlers.push((r) => (r.path === "/api/v1/namespaces/fortress/pods" ? json({ items: [{ metadata: { name: "fortress-redis-1" }, status: { phase: "Running" } }, { metadata: { name: "fortress-redis-0" }, status: { phase: "Running" } }] }) : undefined));
        api.exec = (e) => ({ stdout: fixture(e.pod === "fortress-redis-0" ? "redis-7.0-info-replication-master.txt" : "redis-7.0-info-replication-replica.txt"), code: 0 });
        const cache = new PlatformCache(new KubeClient(api.kc), jobs, "fortress");
        const r = await cache.replicaOffsets(wait());
        assert.strictEqual(r.masterOffset, 50);
        assert.deepStrictEqual(r.replicas, [{ name: "127.0.0.1:6392", offset: 0, lagSeconds: 0, state: "wait_bgsave" }]);
        assert.strictEqual(api.execs[0].container, "redis");
        assert.strictEqual(parseReplication(fixture("redis-7.0-info-replication-replica.txt")).role, "slave");
    });

    /** A Velero backup tarball: metadata/version and one resource file (ustar, gzip). */
    function veleroTar(): Buffer {
        const entry = (name: string, body: string) => {
            const h = Buffer.alloc(512);
            h.write(name, 0);
            h.write("0000644\0", 100);
            h.write("0000000\0", 108);
            h.write("0000000\0", 116);
            h.write(`${Buffer.byteLength(body).toString(8).padStart(11, "0")}\0`, 124);
            h.write("00000000000\0", 136);
            h.write("        ", 148);
            h.write("0", 156);
            h.write("ustar\0", 257);
            h.write("00", 263);
            const sum = h.reduce((a, b) => a + b, 0);
            h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
            const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
            data.write(body);
            return Buffer.concat([h, data]);
        };
        return gzipSync(Buffer.concat([entry("metadata/version", "1\n"), entry("resources/configmaps/namespaces/fortress/app.json", '{"kind":"ConfigMap"}'), Buffer.alloc(1024)]));
    }

    it("configuration take: a Velero Backup validated and sent; Completed, its tarball listed, gzip and tar intact → the snapshot; PartiallyFailed / FailedValidation fail; stuck InProgress is reported; restore unpacks it into a scratch directory, teardown proves it gone", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-cfg-"));
        const phases: Record<string, unknown>[] = [];
        api.handlers.push((r) => {
            if (r.method === "POST" && r.path === "/apis/velero.io/v1/namespaces/velero/backups") return { status: 201, body: r.body };
            if (r.method === "GET" && r.path.startsWith("/apis/velero.io/v1/namespaces/velero/backups/")) {
                const name = r.path.split("/").pop()!;
                const st = phases.length > 1 ? phases.shift()! : phases[0];
                if (st.phase === "Completed") objects.set(`tier2:velero/backups/${name}/${name}.tar.gz`, veleroTar());
                return json({ metadata: { name }, spec: { storageLocation: "tier2" }, status: st });
            }
            if (r.path === "/apis/velero.io/v1/namespaces/velero/backupstoragelocations/tier2") return json({ spec: { objectStorage: { bucket: "b-tier2", prefix: "velero" } } });
            return undefined;
        });
        const cfg = new PlatformConfig(new KubeClient(api.kc), memStorage(objects), "velero", () => 30, tmp);
        cfg.intervalMs = 20;
        phases.push({ phase: "New" }, { phase: "InProgress" }, { phase: "Completed", completionTimestamp: "2026-12-03T06:10:00Z", progress: { itemsBackedUp: 1, totalItems: 1 } });
        const [s] = await cfg.take("tier2", wait());
        assert.strictEqual(s.takenAt.toISOString(), "2026-12-03T06:10:00.000Z");
        assert.deepStrictEqual(s.counts, { items: 1 });
        const sent = api.requests.find((r) => r.method === "POST")!.body;
        assert.deepStrictEqual([sent.spec.ttl, sent.spec.storageLocation], ["720h0m0s", "tier2"]);
        const restored = await cfg.restore(s, { kind: "scratch", name: "cfg-1" }, [{ name: "app", check: "resources/configmaps/namespaces/fortress/app.json" }, { name: "nope", check: "resources/secrets/x.json" }], wait());
        assert.deepStrictEqual(restored.probes.map((p) => [p.name, p.ok]), [["files", true], ["app", true], ["nope", false]]);
        assert.deepStrictEqual((await cfg.teardown({ kind: "scratch", name: "cfg-1" })).map((p) => p.ok), [true]);
        // a damaged tarball is a finding naming it
        const key = s.object!.replace("s3://b-tier2/", "");
        const good = objects.get(`tier2:${key}`) as Buffer;
        const broken = Buffer.from(good);
        broken[broken.length - 6] ^= 0xff;
        objects.set(`tier2:${key}`, broken);
        assert.deepStrictEqual((await cfg.verify(s, wait())).map((f) => [f.object, f.check]), [[s.object, "checksum"]]);
        for (const bad of [{ phase: "PartiallyFailed", errors: 3 }, { phase: "FailedValidation", validationErrors: ["backup storage location 'tier2' is unavailable"] }, { phase: "WaitingForPluginOperationsPartiallyFailed" }]) {
            phases.length = 0;
            phases.push(bad);
            await assert.rejects(cfg.take("tier2", wait()), (e: Error) => e instanceof StepFailed && e.message.includes(bad.phase), bad.phase);
        }
        phases.length = 0;
        phases.push({ phase: "InProgress" });
        cfg.stuckAfterSeconds = 0.2;
        await assert.rejects(cfg.take("tier2", wait()), /Velero Backup velero\/fortress-tier2-.*: stuck in "InProgress"/);
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("secrets take: the Sealed Secrets key job then the Vault raft job (told apart by BACKUP_PREFIX), each verified by backup-fetch.sh in a Job; restore stays in the cluster (a Job's emptyDir)", async () => {
        const created = jobWorld({
            statuses: () => done,
            onCreate: (job) => {
                if (commandOf(job).length) return;
                const owner = job.metadata.ownerReferences[0].name;
                if (owner === "fortress-sealed-tier2") store("tier2", "tier2/secrets/sealed-secrets/20261203T060000Z", "sealed-secrets-key", 1796277600, "k", { keys: 2 });
                if (owner === "fortress-vault-tier2") store("tier2", "tier2/secrets/vault/20261203T060000Z", "vault-raft", 1796277601, "v", {});
            },
            log: () => "fortress-probe bytes 2048\n",
        });
        const sec = new PlatformSecrets(jobs);
        const snaps = await sec.take("tier2", wait());
        assert.deepStrictEqual(snaps.map((x) => x.id), ["tier2/secrets/sealed-secrets/20261203T060000Z.manifest.json", "tier2/secrets/vault/20261203T060000Z.manifest.json"]);
        const verifyJobs = [...created.values()].map((j) => j.body).filter((b) => commandOf(b)[0] === "/bin/sh");
        assert.strictEqual(verifyJobs.length, 2);
        assert.match(commandOf(verifyJobs[0])[2], /DATA_CLASS=sealed-secrets-key OUTPUT_FILE="\$out" \/opt\/fortress\/jobs\/backup-fetch.sh/);
        assert.match(commandOf(verifyJobs[1])[2], /DATA_CLASS=vault-raft/);
        const r = await sec.restore(snaps[1], { kind: "scratch", name: "s-1" }, [], wait());
        assert.deepStrictEqual(r.probes.map((p) => [p.name, p.ok]), [["payload", true]]);
        api.handlers.length = 0;
        api.handlers.push((q) => (q.path === "/apis/batch/v1/cronjobs" ? json({ items: [] }) : undefined));
        await assert.rejects(sec.take("tier2", wait()), /expected one backup CronJob labelled fortress\/data-class=secrets,fortress\/tier=tier2,fortress\/purpose=backup with BACKUP_PREFIX containing "tier2\/secrets\/sealed-secrets", found 0/);
    });
});

describe("cli/drivers/platform: parsing what PostgreSQL said at the end of recovery", () => {
    it("reads the last completed transaction's time and the redo end LSN from the restore Job's log", () => {
        assert.deepStrictEqual(parseRecoveryEnd(RESTORE_LOG), { lastCommitAt: "2026-12-03T05:58:59.123Z", redoDoneLsn: "0/5000100" });
        assert.deepStrictEqual(parseRecoveryEnd("nothing here"), { lastCommitAt: undefined, redoDoneLsn: undefined });
    });
});

describe("cli/drivers/platform: cross-region failover primitives (DR stack)", function () {
    this.timeout(60_000);
    let dr: FakeApi;
    let primary: FakeApi;
    beforeEach(async () => {
        dr = await startFakeApi();
        primary = await startFakeApi();
    });
    afterEach(async () => {
        await dr.close();
        await primary.close();
    });

    const make = (withPrimary: boolean, change: (c: Record<string, unknown>) => Promise<string[]> = async () => ["pulumi up fortress-dr (dr.promote=true): succeeded"]) => {
        const db = new PlatformDatabase(new KubeClient(dr.kc), "fortress", "fortress-pg");
        db.intervalMs = 20;
        return new PlatformFailover(new KubeClient(dr.kc), db, withPrimary ? new KubeClient(primary.kc) : undefined, "fortress", "fortress-pg", async (c) => change(c));
    };

    it("DR capacity: Ready schedulable nodes and the standby's ready instances", async () => {
        dr.handlers.push((r) => {
            if (r.path === "/api/v1/nodes") return json({ items: [{ metadata: { name: "n1" }, status: { conditions: [{ type: "Ready", status: "True" }] } }, { metadata: { name: "n2" }, status: { conditions: [{ type: "Ready", status: "False" }] } }] });
            if (r.path.endsWith("/perconapgclusters/fortress-pg")) return json({ metadata: { name: "fortress-pg" }, status: percStatus("PerconaPGCluster", { state: "ready", postgres: { ready: 1, size: 2 } }) });
            return undefined;
        });
        const c = await make(false).drCapacity(wait());
        assert.deepStrictEqual([c.ok, c.detail], [true, "1/2 DR node(s) Ready and schedulable; standby fortress-pg: 1/2 instance(s) ready"]);
    });

    it("without the stack's failoverFence output nothing is proved, whatever the primary's API says; the pause is sent best effort and only its read-back counts for the writes", async () => {
        dr.handlers.push((r) => (r.path === "/api/v1/namespaces/fortress/pods" ? json({ items: [] }) : undefined));
        const none = await make(false).proveFenced(wait());
        assert.deepStrictEqual([none.writesStopped, none.repoWritesStopped], [false, false]);
        assert.deepStrictEqual(none.evidence.slice(0, 3), [
            "repo fence not proved: no failoverFence in the stack outputs",
            "no kube context for the primary region (FORTRESS_PRIMARY_KUBE_CONTEXT): proved through the DNS data plane instead",
            "DNS not checked: no name servers for the failover records",
        ]);
        let paused = false;
        primary.handlers.push((r) => {
            if (!r.path.endsWith("/perconapgclusters/fortress-pg")) return undefined;
            if (r.method === "PATCH") {
                paused = true;
                return json({});
            }
            return json({ metadata: { name: "fortress-pg" }, spec: { pause: paused }, status: percStatus("PerconaPGCluster", { state: paused ? "paused" : "ready", postgres: { ready: paused ? 0 : 3, size: 3 } }) });
        });
        const f = make(true);
        assert.strictEqual((await f.proveFenced(wait())).writesStopped, false);
        await assert.rejects(f.fencePrimary(wait()), /the failover fence cannot be set: no failoverFence in the stack outputs; nothing was changed/);
        assert.ok(!primary.requests.some((r) => r.method === "PATCH"), "without the repo fence nothing is sent, not even the pause");
        paused = true; // paused in region A by other means (the pause fortress sends best effort is in fence.test.ts)
        const p = await f.proveFenced(wait());
        assert.deepStrictEqual([p.writesStopped, p.repoWritesStopped], [true, false], "paused with nothing ready stops the writes; the repo needs the bucket-policy Deny (test/cli/drivers/platform/fence.test.ts)");
        await primary.close();
        const down = await f.proveFenced(wait());
        assert.strictEqual(down.writesStopped, false);
        assert.match(down.evidence[1], /primary region API did not answer: .*proved through the DNS data plane instead/);
        primary = await startFakeApi();
    });

    it("promoteStandby then applies dr.promote=true to the DR stack; if that fails the error says the cluster IS promoted and what to do", async () => {
        dr.handlers.push((r) => {
            if (r.path === "/api/v1/namespaces/fortress/pods") return json({ items: [{ metadata: { name: "p0" }, status: { phase: "Running" } }] });
            if (r.method === "PATCH") return json({});
            return undefined;
        });
        let promoted = false;
        dr.handlers.unshift((r) => {
            if (r.method === "PATCH") promoted = true;
            return undefined;
        });
        dr.exec = () => ({ stdout: JSON.stringify({ r: !promoted, p: false, replay: "0/9000000", receive: "0/9000000", current: promoted ? "0/9000100" : null, ts: null, lag: 0, am: "on", ac: "x", tli: promoted ? 3 : 2 }), code: 0 });
        const changes: Record<string, unknown>[] = [];
        const r = await make(false, async (c) => {
            changes.push(c);
            return ["pulumi up: succeeded"];
        }).promoteStandby("0/8000000", wait());
        assert.deepStrictEqual(changes, [{ "dr.promote": true }]);
        assert.strictEqual(r.timeline, 3);
        promoted = false;
        await assert.rejects(make(false, async () => { throw new Error("pulumi: no stack"); }).promoteStandby(undefined, wait()), /the DR cluster IS promoted .* but the DR stack's dr.promote=true was not applied: pulumi: no stack/);
    });
});

/**
 * The backup-job scripts, run for real: against a local S3 endpoint (moto) and small
 * loopback stand-ins for the Kubernetes API and Vault. The Redis snapshot/restore pair is
 * exercised end to end by the Redis drill; these cover the argument checks of every script
 * and the two jobs the drill does not run (Sealed Secrets keys, Vault raft snapshots).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { ProcessGroup, ScriptResult, freePort, runScript, waitFor } from "../../drills/redis/procs";
import { motoSettings, scriptEnv, startMoto } from "./moto";

const JOBS = path.resolve(__dirname, "..", "..", "jobs");
const STORE_PY = path.resolve(__dirname, "..", "..", "drills", "redis", "store.py");

const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => scriptEnv(extra, ["KUBERNETES_"]);

const run = (script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<ScriptResult> => runScript(path.join(JOBS, script), args, env, 120_000);

function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
    return new Promise((resolve) => {
        const server = http.createServer(handler);
        server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
    });
}

describe("jobs: argument checks name the missing or bad setting", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jobs-args-"));
    const key = path.join(tmp, "key");
    fs.writeFileSync(key, "k");
    fs.mkdirSync(path.join(tmp, "empty"));
    fs.mkdirSync(path.join(tmp, "badkeys"));
    fs.writeFileSync(path.join(tmp, "badkeys", "sealing-keys.json"), JSON.stringify({ kind: "List", items: [{ kind: "Secret", data: { "tls.crt": "x" } }] }));
    const store = { BACKUP_BUCKET: "b", BACKUP_PREFIX: "p/q", AWS_REGION: "eu-west-1", BACKUP_KEY_FILE: key, BACKUP_TIER: "tier1" };
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const cases: [string, Record<string, string>, RegExp, string[]?][] = [
        ["redis-snapshot.sh", { ...store }, /environment variable REDIS_HOST is not set/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "h", REDIS_PORT: "70000" }, /REDIS_PORT=70000: not a TCP port/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "h", BACKUP_TIER: "tier4" }, /BACKUP_TIER=tier4: not a tier; use tier1, tier2 or tier3/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "h", BACKUP_PREFIX: "/abs" }, /BACKUP_PREFIX=\/abs: a prefix must not start or end with '\/'/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "h", BACKUP_KEY_FILE: path.join(tmp, "none") }, /BACKUP_KEY_FILE=.*none: no such file/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "h", AWS_REGION: "" }, /environment variable AWS_REGION is not set/],
        ["redis-snapshot.sh", { ...store, REDIS_HOST: "127.0.0.1", REDIS_PORT: "1", BACKUP_PREFIX: "tier1/redis tier2/redis" }, /a backup is written under one prefix/],
        ["redis-restore.sh", { ...store }, /environment variable REDIS_DATA_DIR is not set/],
        ["redis-restore.sh", { ...store, REDIS_DATA_DIR: path.join(tmp, "missing") }, /REDIS_DATA_DIR=.*missing: no such directory/],
        ["redis-restore.sh", { ...store }, /unknown argument --force/, ["--force"]],
        ["sealed-secrets-key-backup.sh", { ...store }, /environment variable SEALED_SECRETS_NAMESPACE is not set/],
        ["sealed-secrets-key-backup.sh", { ...store, SEALED_SECRETS_NAMESPACE: "kube-system" }, /environment variable KUBERNETES_API is not set/],
        ["sealed-secrets-key-restore.sh", { ...store }, /environment variable SEALED_SECRETS_NAMESPACE is not set/],
        ["sealed-secrets-key-restore.sh", { ...store, SEALED_SECRETS_NAMESPACE: "kube-system" }, /environment variable KUBERNETES_API is not set/],
        ["vault-raft-snapshot.sh", { ...store }, /environment variable VAULT_ADDR is not set/],
        ["vault-raft-snapshot.sh", { ...store, VAULT_ADDR: "http://x" }, /environment variable VAULT_K8S_ROLE is not set/],
        ["dir-bundle-backup.sh", { ...store, DATA_CLASS: "configuration" }, /environment variable BUNDLE_DIR is not set/],
        ["dir-bundle-backup.sh", { ...store, BUNDLE_DIR: tmp, DATA_CLASS: "logs" }, /DATA_CLASS=logs: use configuration or secrets/],
        ["dir-bundle-backup.sh", { ...store, BUNDLE_DIR: path.join(tmp, "empty"), DATA_CLASS: "configuration" }, /BUNDLE_DIR=.*empty holds no file; refusing to store an empty configuration backup/],
        ["dir-bundle-backup.sh", { ...store, BUNDLE_DIR: path.join(tmp, "badkeys"), DATA_CLASS: "secrets" }, /sealing-keys.json is not a List of sealing-key Secrets/],
        ["backup-fetch.sh", { ...store, DATA_CLASS: "postgres" }, /DATA_CLASS=postgres: use redis, sealed-secrets-key, vault-raft, configuration or secrets/],
        ["backup-fetch.sh", { ...store, DATA_CLASS: "redis", OUTPUT_FILE: key }, /OUTPUT_FILE=.* already exists/],
    ];
    for (const [script, env, message, args = []] of cases) {
        const label = Object.keys(env).filter((k) => !(k in store) || env[k] !== (store as Record<string, string>)[k]).join(", ") || "the base settings";
        it(`${script} ${args.join(" ")} with ${label}: ${message.source.slice(0, 60)}`, async () => {
            const r = await run(script, cleanEnv(env), args);
            assert.notStrictEqual(r.code, 0, `expected a failure, got exit 0:\n${r.stderr}`);
            assert.match(r.stderr, message);
        });
    }
});

describe("jobs: Sealed Secrets keys, Vault snapshots, Velero age and Redis lag, against moto and loopback stand-ins", function () {
    const procs = new ProcessGroup();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "jobs-store-"));
    let env: NodeJS.ProcessEnv;

    before(async () => {
        const endpoint = await startMoto(procs, path.join(tmp, "moto.log"));
        env = cleanEnv({
            ...motoSettings(endpoint),
            AWS_REGION: "eu-west-1",
            BACKUP_BUCKET: "tier2-test",
            BACKUP_TIER: "tier2",
            BACKUP_KEY_FILE: path.join(tmp, "backup.key"),
        });
        fs.writeFileSync(path.join(tmp, "backup.key"), randomBytes(32).toString("hex"));
        await waitFor("moto_server", 30_000, async () => (await runScript("python3", [STORE_PY, "bucket", "tier2-test"], env, 10_000)).code === 0);
    });
    after(async () => {
        await procs.stopAll();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const secret = (name: string) => ({
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/tls",
        metadata: {
            name,
            namespace: "kube-system",
            uid: "3f1c",
            resourceVersion: "991",
            creationTimestamp: "2025-01-01T00:00:00Z",
            labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" },
            managedFields: [{ manager: "controller" }],
        },
        data: { "tls.crt": Buffer.from(`cert ${name}`).toString("base64"), "tls.key": Buffer.from(`key ${name}`).toString("base64") },
    });

    it("backs up the sealing keys, stripped of server fields, and fetches them back intact", async () => {
        fs.writeFileSync(path.join(tmp, "sa.token"), "sa-token-1");
        let seenQuery = "";
        const api = await listen((req, res) => {
            seenQuery = req.url ?? "";
            if (req.headers.authorization !== "Bearer sa-token-1") {
                res.writeHead(401).end();
                return;
            }
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "SecretList", items: [secret("sealed-secrets-key1"), secret("sealed-secrets-key2")] }));
        });
        try {
            const vars = { ...env, BACKUP_PREFIX: "sealed-secrets/tier2", SEALED_SECRETS_NAMESPACE: "kube-system", KUBERNETES_API: api.url, KUBE_TOKEN_FILE: path.join(tmp, "sa.token") };
            const backup = await run("sealed-secrets-key-backup.sh", vars);
            assert.strictEqual(backup.code, 0, backup.stderr);
            assert.strictEqual(seenQuery, "/api/v1/namespaces/kube-system/secrets?labelSelector=sealedsecrets.bitnami.com%2Fsealed-secrets-key");
            assert.match(backup.stderr, /NewestBackupAgeSeconds\{DataClass=secrets,Tier=tier2\}=\d+/);

            const out = path.join(tmp, "keys.json");
            const fetch = await run("backup-fetch.sh", { ...vars, DATA_CLASS: "sealed-secrets-key", OUTPUT_FILE: out });
            assert.strictEqual(fetch.code, 0, fetch.stderr);
            const list = JSON.parse(fs.readFileSync(out, "utf8"));
            assert.strictEqual(list.kind, "List");
            assert.deepStrictEqual(list.items.map((s: { metadata: { name: string } }) => s.metadata.name), ["sealed-secrets-key1", "sealed-secrets-key2"]);
            assert.deepStrictEqual(Object.keys(list.items[0].metadata).sort(), ["labels", "name", "namespace"]);
            assert.strictEqual(list.items[1].data["tls.key"], Buffer.from("key sealed-secrets-key2").toString("base64"));

            // A fetch of the wrong data class is refused before anything is written.
            const wrong = await run("backup-fetch.sh", { ...vars, DATA_CLASS: "vault-raft", OUTPUT_FILE: path.join(tmp, "wrong.out") });
            assert.notStrictEqual(wrong.code, 0);
            assert.match(wrong.stderr, /REFUSED: .* is not a valid fortress-backup\/1 manifest for vault-raft/);
            assert.ok(!fs.existsSync(path.join(tmp, "wrong.out")));
        } finally {
            api.server.close();
        }
    });

    it("fails naming the cause when the API refuses the token or finds no key", async () => {
        fs.writeFileSync(path.join(tmp, "sa.bad"), "wrong");
        let items: unknown[] = [];
        const api = await listen((req, res) => {
            if (req.headers.authorization === "Bearer wrong") res.writeHead(401).end();
            else res.writeHead(200).end(JSON.stringify({ kind: "SecretList", items }));
        });
        try {
            const vars = { ...env, BACKUP_PREFIX: "sealed-secrets/tier2-neg", SEALED_SECRETS_NAMESPACE: "kube-system", KUBERNETES_API: api.url };
            const denied = await run("sealed-secrets-key-backup.sh", { ...vars, KUBE_TOKEN_FILE: path.join(tmp, "sa.bad") });
            assert.notStrictEqual(denied.code, 0);
            assert.match(denied.stderr, /rejected the token in KUBE_TOKEN_FILE \(401\)/);
            items = [];
            const none = await run("sealed-secrets-key-backup.sh", { ...vars, KUBE_TOKEN_FILE: path.join(tmp, "sa.token") });
            assert.notStrictEqual(none.code, 0);
            assert.match(none.stderr, /no Secret labelled sealedsecrets.bitnami.com\/sealed-secrets-key in namespace kube-system/);
        } finally {
            api.server.close();
        }
    });

    it("restores the backed-up sealing keys into another cluster's namespace, labelled active, never over a different key", async () => {
        fs.writeFileSync(path.join(tmp, "sa.token"), "sa-token-1");
        const backupApi = await listen((_req, res) => res.writeHead(200).end(JSON.stringify({ kind: "SecretList", items: [secret("sealed-secrets-keyA")] })));
        const stored = new Map<string, any>();
        const requests: string[] = [];
        const target = await listen((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                requests.push(`${req.method} ${req.url}`);
                if (req.headers.authorization !== "Bearer sa-token-1") return void res.writeHead(401).end();
                if (req.method === "POST" && req.url === "/api/v1/namespaces/sealed/secrets") {
                    const s = JSON.parse(body);
                    if (stored.has(s.metadata.name)) return void res.writeHead(409).end("{}");
                    stored.set(s.metadata.name, s);
                    return void res.writeHead(201).end(body);
                }
                const name = req.url?.replace("/api/v1/namespaces/sealed/secrets/", "") ?? "";
                if (req.method === "GET" && stored.has(name)) return void res.writeHead(200).end(JSON.stringify(stored.get(name)));
                res.writeHead(404).end("{}");
            });
        });
        try {
            const prefix = { BACKUP_PREFIX: "sealed-secrets/restore-none sealed-secrets/restore" };
            const backup = await run("sealed-secrets-key-backup.sh", { ...env, BACKUP_PREFIX: "sealed-secrets/restore", SEALED_SECRETS_NAMESPACE: "kube-system", KUBERNETES_API: backupApi.url, KUBE_TOKEN_FILE: path.join(tmp, "sa.token") });
            assert.strictEqual(backup.code, 0, backup.stderr);
            const vars = { ...env, ...prefix, SEALED_SECRETS_NAMESPACE: "sealed", KUBERNETES_API: target.url, KUBE_TOKEN_FILE: path.join(tmp, "sa.token") };
            const first = await run("sealed-secrets-key-restore.sh", vars);
            assert.strictEqual(first.code, 0, first.stderr);
            const key = stored.get("sealed-secrets-keyA");
            assert.strictEqual(key.metadata.namespace, "sealed");
            assert.strictEqual(key.metadata.labels["sealedsecrets.bitnami.com/sealed-secrets-key"], "active");
            assert.strictEqual(key.data["tls.key"], Buffer.from("key sealed-secrets-keyA").toString("base64"));
            assert.match(first.stderr, /1 sealing key\(s\) in sealed, 1 created/);
            // A second run finds the same key and leaves it.
            const again = await run("sealed-secrets-key-restore.sh", vars);
            assert.strictEqual(again.code, 0, again.stderr);
            assert.match(again.stderr, /sealed\/sealed-secrets-keyA already holds this key/);
            // A different key under that name is never overwritten.
            key.data["tls.key"] = Buffer.from("another").toString("base64");
            const clash = await run("sealed-secrets-key-restore.sh", vars);
            assert.notStrictEqual(clash.code, 0);
            assert.match(clash.stderr, /sealed\/sealed-secrets-keyA exists with another key; not overwritten/);
            assert.ok(!requests.some((r) => r.startsWith("PUT") || r.startsWith("DELETE")), requests.join("\n"));
            // The wrong passphrase creates nothing.
            stored.clear();
            fs.writeFileSync(path.join(tmp, "other.key"), "not-the-key");
            const wrongKey = await run("sealed-secrets-key-restore.sh", { ...vars, BACKUP_KEY_FILE: path.join(tmp, "other.key") });
            assert.notStrictEqual(wrongKey.code, 0);
            assert.match(wrongKey.stderr, /REFUSED: decryption .* failed/);
            assert.strictEqual(stored.size, 0);
        } finally {
            backupApi.server.close();
            target.server.close();
        }
    });

    it("publishes the newest Velero backup's age as the configuration data class", async () => {
        const vars = { ...env, BACKUP_PREFIX: "tier2/configuration/velero" };
        const empty = await run("velero-backup-age.sh", vars);
        assert.notStrictEqual(empty.code, 0);
        assert.match(empty.stderr, /no completed Velero backup under s3:\/\/tier2-test\/tier2\/configuration\/velero\/backups\//);
        fs.writeFileSync(path.join(tmp, "velero-backup.json"), "{}");
        const put = await runScript("python3", [path.join(JOBS, "lib", "s3.py"), "put", "tier2-test", "tier2/configuration/velero/backups/daily-1/velero-backup.json", path.join(tmp, "velero-backup.json")], env, 30_000);
        assert.strictEqual(put.code, 0, put.stderr);
        const r = await run("velero-backup-age.sh", vars);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /NewestBackupAgeSeconds\{DataClass=configuration,Tier=tier2\}=[0-9]\b/);
        const metric = JSON.parse((await runScript("python3", [STORE_PY, "metric", "Fortress/Backups", "NewestBackupAgeSeconds", "DataClass=configuration", "Tier=tier2"], env, 30_000)).stdout);
        assert.strictEqual(metric.count, 1);
    });

    it("publishes the Redis replicas' worst lag, and a missing replica as far behind", async () => {
        const [primaryPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()];
        const dir = path.join(tmp, "lag");
        fs.mkdirSync(dir);
        const start = (name: string, args: string[]) => procs.start(name, "redis-server", args, path.join(dir, `${name}.log`));
        start("primary", ["--port", String(primaryPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--dbfilename", "p.rdb"]);
        start("replica", ["--port", String(replicaPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--dbfilename", "r.rdb", "--replicaof", "127.0.0.1", String(primaryPort)]);
        fs.writeFileSync(path.join(dir, "sentinel.conf"), `port ${sentinelPort}\nbind 127.0.0.1\nsentinel monitor fortress 127.0.0.1 ${primaryPort} 1\n`);
        start("sentinel", [path.join(dir, "sentinel.conf"), "--sentinel"]);
        const info = () => execFileSync("redis-cli", ["-p", String(primaryPort), "INFO", "replication"], { encoding: "utf8" });
        await waitFor("the replica to come online", 20_000, async () => /slave0:.*state=online/.test(info()));
        await waitFor("Sentinel to know the primary", 20_000, async () => execFileSync("redis-cli", ["-p", String(sentinelPort), "SENTINEL", "get-master-addr-by-name", "fortress"], { encoding: "utf8" }).includes(String(primaryPort)));
        const vars = { ...env, SENTINEL_HOST: "127.0.0.1", SENTINEL_PORT: String(sentinelPort), REDIS_MASTER_NAME: "fortress", CLUSTER_NAME: "test-redis", ONCE: "1", HEARTBEAT_FILE: path.join(dir, "heartbeat") };
        const ok = await run("redis-lag-publisher.sh", { ...vars, EXPECTED_REPLICAS: "1" });
        assert.strictEqual(ok.code, 0, ok.stderr);
        assert.match(ok.stderr, /ReplicaLagSeconds\{Cluster=test-redis\}=[01]$/m);
        assert.ok(fs.existsSync(path.join(dir, "heartbeat")), "the loop touches its heartbeat for the liveness probe");
        const missing = await run("redis-lag-publisher.sh", { ...vars, EXPECTED_REPLICAS: "2" });
        assert.strictEqual(missing.code, 0, missing.stderr);
        assert.match(missing.stderr, /only 1 of 2 replicas online/);
        assert.match(missing.stderr, /ReplicaLagSeconds\{Cluster=test-redis\}=3600$/m);
        const metric = JSON.parse((await runScript("python3", [STORE_PY, "metric", "Fortress/Redis", "ReplicaLagSeconds", "Cluster=test-redis"], env, 30_000)).stdout);
        assert.strictEqual(metric.latest, 3600);
    });

    it("restores the newest snapshot across several prefixes (tier 2's own and tier 1's replicated copies)", async () => {
        const port = await freePort();
        const dir = path.join(tmp, "multi");
        fs.mkdirSync(dir);
        procs.start("redis-multi", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--repl-diskless-sync-delay", "0"], path.join(dir, "redis.log"));
        await waitFor("redis-server", 10_000, async () => execFileSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).includes("PONG"));
        execFileSync("redis-cli", ["-p", String(port), "SET", "k", "v"]);
        const snap = async (prefix: string) => {
            const r = await run("redis-snapshot.sh", { ...env, REDIS_HOST: "127.0.0.1", REDIS_PORT: String(port), BACKUP_PREFIX: prefix });
            assert.strictEqual(r.code, 0, r.stderr);
            await new Promise((res) => setTimeout(res, 1100)); // snapshot names have one-second resolution
            return /stored s3:\/\/[^/]+\/(\S+)/.exec(r.stderr)![1];
        };
        const verify = () => run("redis-restore.sh", { ...env, BACKUP_PREFIX: "tier1/redis tier2/redis" }, ["--verify-only"]);
        await snap("tier2/redis");
        const newestTier1 = await snap("tier1/redis");
        assert.match((await verify()).stderr, new RegExp(`restoring from s3://tier2-test/${newestTier1.replace(/\./g, "\\.")}`));
        const newestTier2 = await snap("tier2/redis");
        const r = await verify();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`restoring from s3://tier2-test/${newestTier2.replace(/\./g, "\\.")}`));
    });

    it("takes a Vault raft snapshot through the Kubernetes login and fetches it back identical", async () => {
        const snapDir = path.join(tmp, "snap");
        fs.mkdirSync(snapDir);
        fs.writeFileSync(path.join(snapDir, "meta.json"), JSON.stringify({ Index: 42, Term: 3 }));
        fs.writeFileSync(path.join(snapDir, "state.bin"), randomBytes(4096));
        fs.writeFileSync(path.join(snapDir, "SHA256SUMS"), "placeholder\n");
        execFileSync("tar", ["-czf", path.join(tmp, "raft.snap"), "-C", snapDir, "meta.json", "state.bin", "SHA256SUMS"]);
        const snapshot = fs.readFileSync(path.join(tmp, "raft.snap"));
        fs.writeFileSync(path.join(tmp, "sa.token"), "sa-token-1");
        let truncated = false;
        const vault = await listen((req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                if (req.method === "POST" && req.url === "/v1/auth/kubernetes/login") {
                    const { jwt, role } = JSON.parse(body);
                    if (jwt !== "sa-token-1" || role !== "backup") res.writeHead(403).end(JSON.stringify({ errors: ["permission denied"] }));
                    else res.writeHead(200).end(JSON.stringify({ auth: { client_token: "hvs.test" } }));
                } else if (req.url === "/v1/sys/storage/raft/snapshot" && req.headers["x-vault-token"] === "hvs.test") {
                    res.writeHead(200).end(truncated ? snapshot.subarray(0, 100) : snapshot);
                } else res.writeHead(403).end();
            });
        });
        try {
            const vars = { ...env, BACKUP_PREFIX: "vault/tier2", VAULT_ADDR: vault.url, VAULT_K8S_ROLE: "backup", KUBE_TOKEN_FILE: path.join(tmp, "sa.token") };
            const backup = await run("vault-raft-snapshot.sh", vars);
            assert.strictEqual(backup.code, 0, backup.stderr);
            const out = path.join(tmp, "restored.snap");
            const fetch = await run("backup-fetch.sh", { ...vars, DATA_CLASS: "vault-raft", OUTPUT_FILE: out });
            assert.strictEqual(fetch.code, 0, fetch.stderr);
            assert.ok(fs.readFileSync(out).equals(snapshot), "the fetched snapshot differs from what Vault served");

            const badRole = await run("vault-raft-snapshot.sh", { ...vars, VAULT_K8S_ROLE: "other" });
            assert.notStrictEqual(badRole.code, 0);
            assert.match(badRole.stderr, /Vault login at auth\/kubernetes with role other returned HTTP 403: \["permission denied"\]/);
            truncated = true;
            const cut = await run("vault-raft-snapshot.sh", vars);
            assert.notStrictEqual(cut.code, 0);
            assert.match(cut.stderr, /not a complete snapshot archive/);
        } finally {
            vault.server.close();
        }
    });
});

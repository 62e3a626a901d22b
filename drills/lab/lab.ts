/**
 * The two-region lab on 127.0.0.1. Region A and region B are separate process sets with their
 * own ports and data directories; everything between them goes through the WAN links of
 * drills/lab/wan.ts, which the drill can delay, cap, partition and fence.
 *
 * Region A (the primary region):
 *   - etcd, one member, spoken to with its v2 API by default (LabOptions.dcs) (a single in-region DCS: production's is the Kubernetes API of the
 *     region's cluster, itself replicated; one member here means the DCS is never the failure);
 *   - Patroni with three PostgreSQL members, its dynamic configuration (leader lease, loop wait,
 *     retry timeout, synchronous mode) taken from the PerconaPGCluster spec the stacks render
 *     (components/postgres/spec.ts perconaClusterSpec/patroniTimings, fed the prod stack config);
 *   - pgBackRest (components/postgres/pgbackrest.ts renderFromConfig): repo1 = a local
 *     directory (tier 1), repo2 = region B's S3 through the WAN (tier 2);
 *   - one S3 endpoint (moto), for the Redis tier-1 snapshots.
 * Region B (the DR region):
 *   - its own etcd and a Patroni standby cluster (one member: the pilot light), declared from
 *     the same spec function with the standby role: it streams from region A's primary through
 *     the WAN and falls back to repo2 (pgbackrest archive-get) as its restore_command;
 *   - one S3 endpoint (moto behind stunnel TLS): the tier-2 bucket holding repo2.
 * WAN links (each a proxy listening on 127.0.0.1, delayed each way):
 *   client-a  the application's clients -> region A's primary (as through Route 53 and the
 *             primary's load balancer: resolved to the current Patroni leader per connection)
 *   client-b  the same clients -> region B's leader
 *   repl      region B's standby -> region A's primary (the primary's internal load balancer)
 *   repl-b    region A -> region B's leader (what region A follows once demoted after a failover)
 *   s3-b      region A's pgBackRest -> region B's S3 (repo2, TLS passes through the proxy)
 *   s3http-b  region A's snapshot jobs -> region B's S3 (plain HTTP to moto, the Redis tier 2)
 *   ctl-a     the operator's control channel -> region A's Patroni REST API
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { PgBackRestSettings, renderFromConfig, s3RepoPath, toIni } from "../../components/postgres/pgbackrest";
import { ClusterRole, perconaClusterSpec } from "../../components/postgres/spec";
import type { FortressConfig } from "../../config";
import { ownByPostgres, writePostgresFile } from "../postgres/cluster";
import { postgresIds } from "./pg";
import { ScriptResult, poll, runPg } from "../postgres/processes";
import { S3Lab, createVersionedBucket, s3Request, startS3Lab } from "../postgres/s3lab";
import { ProcessGroup, freePort } from "../redis/procs";
import { pgQuery, rest } from "./pg";
import { GroupProcess, LabProcesses, pidsNaming, registerMarker, signalNaming } from "./procs";
import { LinkOptions, Target, Wan, WanLink } from "./wan";

export type RegionId = "A" | "B";

export interface Member {
    readonly name: string;
    readonly region: RegionId;
    readonly pgPort: number;
    readonly restPort: number;
    readonly baseDir: string;
    readonly dataDir: string;
    readonly configFile: string;
    /** pgBackRest config of this member (its own spool and lock directories). */
    readonly pgbrConfig: string;
    proc: GroupProcess | undefined;
}

export interface Region {
    readonly id: RegionId;
    readonly scope: string;
    readonly etcdPort: number;
    readonly members: Member[];
    readonly s3: S3Lab;
}

/** What Patroni's dynamic configuration holds, mapped from the PerconaPGCluster spec. */
export interface PatroniDcs {
    readonly ttl: number;
    readonly loop_wait: number;
    readonly retry_timeout: number;
    readonly synchronous_mode: boolean;
    readonly synchronous_node_count: number;
    readonly synchronous_mode_strict: boolean;
    readonly postgresql: { readonly use_pg_rewind: boolean; readonly use_slots: boolean; readonly parameters: Record<string, string> };
    readonly standby_cluster?: Record<string, unknown>;
}

/**
 * The operator's mapping of `spec.patroni` to Patroni's dynamic configuration:
 * leaderLeaseDurationSeconds -> ttl, syncPeriodSeconds -> loop_wait, and dynamicConfiguration
 * merged in as it is (retry_timeout, synchronous_mode, parameters). pg_rewind on, as the
 * operator sets it; replication slots off, as the operator leaves them for its instances.
 */
export function patroniDcsFromSpec(spec: Record<string, unknown>): PatroniDcs {
    const p = spec.patroni as {
        leaderLeaseDurationSeconds: number;
        syncPeriodSeconds: number;
        dynamicConfiguration: { retry_timeout: number; synchronous_mode: boolean; synchronous_node_count: number; synchronous_mode_strict: boolean; postgresql: { parameters: Record<string, string> } };
    };
    if (!p || typeof p.leaderLeaseDurationSeconds !== "number") throw new Error("patroniDcsFromSpec: the spec has no patroni.leaderLeaseDurationSeconds");
    const d = p.dynamicConfiguration;
    return {
        ttl: p.leaderLeaseDurationSeconds,
        loop_wait: p.syncPeriodSeconds,
        retry_timeout: d.retry_timeout,
        synchronous_mode: d.synchronous_mode,
        synchronous_node_count: d.synchronous_node_count,
        synchronous_mode_strict: d.synchronous_mode_strict,
        postgresql: { use_pg_rewind: true, use_slots: false, parameters: { ...d.postgresql.parameters } },
    };
}

/** The spec input the stacks build (stacks/steps/database.ts clusterSpec), with the lab's settings. */
export function labClusterSpec(config: FortressConfig, settings: PgBackRestSettings, role: ClusterRole, instances: number): Record<string, unknown> {
    const p = config.postgres;
    return perconaClusterSpec({
        role,
        promoted: false,
        postgresVersion: p.postgresVersion,
        image: p.image,
        instances,
        storageClass: config.kubernetes.storageClass,
        storageSize: p.storageSize,
        repo1: { storageClass: config.kubernetes.nvmeStorageClass, size: p.repo1Size },
        settings,
        stanza: p.stanza,
        configuration: { secretName: "lab", configMapName: "lab" },
        tls: { serverSecretName: "lab", replicationSecretName: "lab" },
        pgBouncerReplicas: p.pgBouncerReplicas,
        failoverDetectSeconds: config.objectives.scenarios.S1.detectSeconds,
    });
}

export interface LabOptions {
    readonly workDir: string;
    readonly config: FortressConfig;
    readonly pgBin: string;
    readonly link: LinkOptions;
    /** Members of region A's Patroni cluster. @default 3 */
    readonly membersA?: number;
    /**
     * Patroni's DCS protocol. `etcd` (etcd's v2 API): the leader key is renewed by
     * compare-and-swap on its value, as the Kubernetes DCS production runs renews by
     * resourceVersion. `etcd3`: Patroni 3.0.2 renews by granting a new lease and writing the key
     * without a compare when its cached view still shows it leading — a leader frozen past its
     * TTL then takes the key back from its successor on waking (seen in this drill, see
     * docs/failover-lab.md). @default "etcd"
     */
    readonly dcs?: "etcd" | "etcd3";
}

const TIER2_BUCKET = "fortress-lab-tier2";
const TIER1_BUCKET = "fortress-lab-tier1";

export class Lab {
    readonly wan = new Wan();
    readonly procs = new LabProcesses();
    /** moto and stunnel: single processes, stopped with the lab. */
    readonly s3procs = new ProcessGroup();
    regionA!: Region;
    regionB!: Region;
    settings!: PgBackRestSettings;
    /** Region A's rendered spec (primary role) and region B's (standby role), as the stacks declare them. */
    specA!: Record<string, unknown>;
    specB!: Record<string, unknown>;
    dcsA!: PatroniDcs;
    dcsB!: PatroniDcs;
    readonly stanza: string;
    readonly tier2Bucket = TIER2_BUCKET;
    readonly tier1Bucket = TIER1_BUCKET;
    private readonly etcd: GroupProcess[] = [];

    constructor(readonly o: LabOptions) {
        this.stanza = o.config.postgres.stanza;
    }

    dir(...parts: string[]): string {
        return path.join(this.o.workDir, ...parts);
    }

    link(name: string): WanLink {
        return this.wan.get(name);
    }

    /** The member of `region` whose Patroni says it runs the primary (or standby leader), if any. */
    async leader(region: Region, timeoutMs = 1500): Promise<Member | undefined> {
        const answers = await Promise.all(
            region.members.map(async (m) => {
                if (!m.proc) return undefined;
                const r = await rest(m.restPort, "GET", region.id === "A" ? "/primary" : "/leader", undefined, timeoutMs);
                return r.status === 200 ? m : undefined;
            }),
        );
        return answers.find((m) => m !== undefined);
    }

    async start(): Promise<void> {
        registerMarker(this.o.workDir);
        fs.chmodSync(this.o.workDir, 0o755);
        for (const d of ["A", "B", "run"]) ownByPostgres(this.dir(d), 0o755);
        const { s3A, s3B } = await this.startS3();
        await this.addWanLinks(s3B);
        const secrets = this.renderSettings(s3B);
        await this.startRegionA(s3A, secrets);
        await this.startRegionB(s3B, secrets);
    }

    /** S3 per region: region A's tier-1 bucket (versioned), region B's tier-2 bucket behind its TLS endpoint. */
    private async startS3(): Promise<{ s3A: S3Lab; s3B: S3Lab }> {
        const s3A = await startS3Lab(this.dir("A", "s3"), this.s3procs, []);
        const s3B = await startS3Lab(this.dir("B", "s3"), this.s3procs, ["tier2"]);
        await createVersionedBucket(s3B, TIER2_BUCKET, this.o.config.regions.dr);
        // us-east-1 is S3's default region, which takes no LocationConstraint.
        for (const [method, p, body] of [["PUT", `/${TIER1_BUCKET}`, ""], ["PUT", `/${TIER1_BUCKET}?versioning`, "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"]]) {
            const r = await s3Request(s3A.motoPort, method, p, body);
            if (r.status >= 300) throw new Error(`region A's S3: ${method} ${p} answered ${r.status}: ${r.body.slice(0, 300)}`);
        }
        return { s3A, s3B };
    }

    /** The WAN links: clients to each region's leader, replication A → B, region B's S3, and region A's Patroni API. */
    private async addWanLinks(s3B: S3Lab): Promise<void> {
        const opts = this.o.link;
        const leaderPg = (regionOf: () => Region) => async (): Promise<Target | undefined> => {
            const m = await this.leader(regionOf());
            return m ? { host: "127.0.0.1", port: m.pgPort } : undefined;
        };
        await this.wan.add(new WanLink("client-a", ["A"], leaderPg(() => this.regionA), opts));
        await this.wan.add(new WanLink("client-b", ["B"], leaderPg(() => this.regionB), opts));
        await this.wan.add(new WanLink("repl", ["A", "B"], leaderPg(() => this.regionA), opts));
        await this.wan.add(new WanLink("repl-b", ["A", "B"], leaderPg(() => this.regionB), opts));
        await this.wan.add(new WanLink("s3-b", ["A", "B"], () => ({ host: "127.0.0.1", port: s3B.endpoints.tier2.port }), opts));
        await this.wan.add(new WanLink("s3http-b", ["A", "B"], () => ({ host: "127.0.0.1", port: s3B.motoPort }), opts));
        await this.wan.add(
            new WanLink("ctl-a", ["A"], async () => {
                for (const m of this.regionA.members) if (m.proc && (await rest(m.restPort, "GET", "/liveness", undefined, 1000)).status === 200) return { host: "127.0.0.1", port: m.restPort };
                return undefined;
            }, opts),
        );
    }

    /** pgBackRest settings, as the stacks render them (`this.settings`); returns the secret options' values. */
    private renderSettings(s3B: S3Lab): Record<string, string> {
        const { config } = this.o;
        const repo1 = this.dir("A", "repo1");
        ownByPostgres(repo1);
        const s3 = (port: number) =>
            ({ kind: "s3", bucket: TIER2_BUCKET, region: config.regions.dr, endpoint: `localhost:${port}`, path: s3RepoPath("tier2"), credentials: "shared", uriStyle: "path", caFile: s3B.caFile }) as const;
        // Tier 3 lives in a third region; the lab has two, so repo3 is rendered (the renderer
        // needs every tier) and then left out of both regions' pgbackrest.conf.
        this.settings = renderFromConfig(config, { tier1: { kind: "posix", path: repo1 }, tier2: s3(this.link("s3-b").port), tier3: s3(this.link("s3-b").port) });
        const secrets: Record<string, string> = {};
        for (const name of this.settings.secretOptions) secrets[name] = name.endsWith("-cipher-pass") ? randomBytes(48).toString("base64") : "lab";
        return secrets;
    }

    /** Region A: etcd and Patroni (3 members by default), every member streaming, one synchronous, the stanza created. */
    private async startRegionA(s3A: S3Lab, secrets: Record<string, string>): Promise<void> {
        const n = this.o.membersA ?? 3;
        this.specA = labClusterSpec(this.o.config, this.settings, { kind: "primary" }, n);
        this.dcsA = patroniDcsFromSpec(this.specA);
        const etcdA = await this.startEtcd("A");
        this.regionA = { id: "A", scope: "fortress-a", etcdPort: etcdA, members: [], s3: s3A };
        const optionsA = withoutRepo(this.settings.options, "repo3");
        for (let i = 0; i < n; i++) this.regionA.members.push(await this.makeMember("A", `a${i}`, optionsA, secrets));
        // The first member bootstraps; the others clone from it once it leads.
        this.startMember(this.regionA, this.regionA.members[0]);
        const first = await poll("region A's first Patroni member to become primary", 120_000, async () => this.leader(this.regionA));
        for (const m of this.regionA.members.slice(1)) this.startMember(this.regionA, m);
        await poll("region A: every member streaming, one synchronous", 180_000, async () => {
            const rows = await pgQuery<{ n: string; sync: string }>(first.pgPort, "select count(*) as n, count(*) filter (where sync_state = 'sync') as sync from pg_stat_replication");
            return Number(rows[0].n) >= n - 1 && Number(rows[0].sync) >= 1 ? true : undefined;
        }, 500);
        // The async archiver is already retrying the bootstrap's WAL and holds the archive lock;
        // the one-off stanza-create takes its locks elsewhere (it is alone in creating the stanza).
        const adminLock = path.join(first.baseDir, "pgbackrest", "lock-admin");
        ownByPostgres(adminLock);
        await this.pgbr(first, ["stanza-create", `--lock-path=${adminLock}`], 180_000);
        await this.pgbr(first, ["check"], 180_000);
    }

    /** Region B: etcd and a one-member Patroni standby cluster streaming from region A through the WAN. */
    private async startRegionB(s3B: S3Lab, secrets: Record<string, string>): Promise<void> {
        const repl = this.link("repl");
        this.specB = labClusterSpec(this.o.config, this.settings, { kind: "standby", host: repl.address.host, port: repl.address.port }, 1);
        const standby = this.specB.standby as { enabled: boolean; host: string; port: number; repoName: string };
        const optionsB = withoutRepo(withoutRepo(this.settings.options, "repo1"), "repo3");
        // Region B reaches its own S3 directly, not through the WAN.
        optionsB["repo2-storage-port"] = String(s3B.endpoints.tier2.port);
        const etcdB = await this.startEtcd("B");
        this.regionB = { id: "B", scope: "fortress-b", etcdPort: etcdB, members: [], s3: s3B };
        const b0 = await this.makeMember("B", "b0", optionsB, secrets);
        this.regionB.members.push(b0);
        const repo = Number(standby.repoName.replace("repo", ""));
        this.dcsB = {
            ...patroniDcsFromSpec(this.specB),
            standby_cluster: {
                host: standby.host,
                port: standby.port,
                create_replica_methods: ["basebackup"],
                restore_command: `pgbackrest --config=${b0.pgbrConfig} --config-include-path=${path.join(b0.baseDir, "pgbackrest.d")} --stanza=${this.stanza} --repo=${repo} archive-get %f "%p"`,
            },
        };
        this.startMember(this.regionB, b0);
        await poll("region B's standby leader to stream from region A", 180_000, async () => {
            const [r] = await pgQuery<{ status: string }>(b0.pgPort, "select status from pg_stat_wal_receiver");
            return r?.status === "streaming" ? true : undefined;
        }, 500);
    }

    private async startEtcd(region: RegionId): Promise<number> {
        const [client, peer] = [await freePort(), await freePort()];
        const d = this.dir(region, "etcd");
        fs.mkdirSync(d, { recursive: true });
        const name = `etcd-${region.toLowerCase()}`;
        const p = this.procs.start(
            name,
            "etcd",
            [
                "--name", name,
                "--data-dir", path.join(d, "data"),
                "--listen-client-urls", `http://127.0.0.1:${client}`,
                "--advertise-client-urls", `http://127.0.0.1:${client}`,
                "--listen-peer-urls", `http://127.0.0.1:${peer}`,
                "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
                "--initial-cluster", `${name}=http://127.0.0.1:${peer}`,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                ...((this.o.dcs ?? "etcd") === "etcd" ? ["--enable-v2=true"] : []),
            ],
            path.join(d, "etcd.log"),
        );
        this.etcd.push(p);
        await poll(`etcd of region ${region} on 127.0.0.1:${client}`, 30_000, async () => ((await rest(client, "GET", "/health")).status === 200 ? true : undefined), 200);
        return client;
    }

    private async makeMember(region: RegionId, name: string, pgbrOptions: Record<string, string>, secrets: Record<string, string>): Promise<Member> {
        const baseDir = this.dir(region, name);
        ownByPostgres(baseDir);
        for (const d of ["spool", "lock", "log"]) ownByPostgres(path.join(baseDir, "pgbackrest", d));
        const [pgPort, restPort] = [await freePort(), await freePort()];
        const dataDir = path.join(baseDir, "data");
        const pgbrConfig = path.join(baseDir, "pgbackrest.conf");
        const includeDir = path.join(baseDir, "pgbackrest.d");
        ownByPostgres(includeDir);
        const keep = (k: string) => Object.keys(pgbrOptions).some((o) => o.startsWith(k.split("-")[0] + "-")) || !/^repo\d+-/.test(k);
        writePostgresFile(
            pgbrConfig,
            toIni({
                global: {
                    ...pgbrOptions,
                    "spool-path": path.join(baseDir, "pgbackrest", "spool"),
                    "lock-path": path.join(baseDir, "pgbackrest", "lock"),
                    "log-path": path.join(baseDir, "pgbackrest", "log"),
                    "log-level-file": "detail",
                    "log-level-console": "warn",
                },
                "global:archive-push": this.settings.archivePushOptions,
                [this.stanza]: { "pg1-path": dataDir, "pg1-port": String(pgPort), "pg1-socket-path": this.dir("run") },
            }),
            0o644,
        );
        writePostgresFile(path.join(includeDir, "secrets.conf"), toIni({ global: Object.fromEntries(Object.entries(secrets).filter(([k]) => keep(k))) }), 0o600);
        return { name, region, pgPort, restPort, baseDir, dataDir, configFile: path.join(baseDir, "patroni.yml"), pgbrConfig, proc: undefined };
    }

    /** pgbench against a member (as postgres). */
    pgbench(m: Member, args: readonly string[], timeoutMs = 300_000): Promise<ScriptResult> {
        return runPg(`${this.o.pgBin}/pgbench`, ["-h", "127.0.0.1", "-p", String(m.pgPort), "-U", "postgres", ...args, "postgres"], timeoutMs);
    }

    /** pgBackRest with a member's config, as postgres. */
    async pgbr(m: Member, args: readonly string[], timeoutMs = 120_000): Promise<string> {
        const r = await runPg("pgbackrest", [`--config=${m.pgbrConfig}`, `--config-include-path=${path.join(m.baseDir, "pgbackrest.d")}`, `--stanza=${this.stanza}`, ...args], timeoutMs);
        if (r.code !== 0) throw new Error(`pgbackrest ${args.join(" ")} (member ${m.name}) exited ${r.code}: ${(r.stderr + r.stdout).trim().slice(-1500)}`);
        return r.stdout;
    }

    private patroniConfig(region: Region, m: Member): string {
        const dcs = region.id === "A" ? this.dcsA : this.dcsB;
        const pgbr = `pgbackrest --config=${m.pgbrConfig} --config-include-path=${path.join(m.baseDir, "pgbackrest.d")} --stanza=${this.stanza}`;
        const doc = {
            scope: region.scope,
            namespace: "/fortress/",
            name: m.name,
            restapi: { listen: `127.0.0.1:${m.restPort}`, connect_address: `127.0.0.1:${m.restPort}` },
            [this.o.dcs ?? "etcd"]: { hosts: [`127.0.0.1:${region.etcdPort}`] },
            bootstrap: {
                dcs,
                initdb: [{ encoding: "UTF8" }, "data-checksums"],
            },
            postgresql: {
                listen: `127.0.0.1:${m.pgPort}`,
                connect_address: `127.0.0.1:${m.pgPort}`,
                data_dir: m.dataDir,
                bin_dir: this.o.pgBin,
                pgpass: path.join(m.baseDir, "pgpass"),
                authentication: {
                    superuser: { username: "postgres", password: "lab" },
                    replication: { username: "replicator", password: "lab" },
                    rewind: { username: "postgres", password: "lab" },
                },
                // What the operator sets on every instance: archiving through pgBackRest, and
                // replicas that fall back to the repositories when streaming is not enough.
                parameters: {
                    unix_socket_directories: this.dir("run"),
                    archive_mode: "on",
                    archive_command: `${pgbr} archive-push "%p"`,
                },
                recovery_conf: { restore_command: `${pgbr} archive-get %f "%p"` },
                pg_hba: ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"],
                create_replica_methods: ["basebackup"],
                basebackup: [{ checkpoint: "fast" }],
            },
            tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
        };
        return toYaml(doc);
    }

    /** Starts (or restarts) a member's Patroni in its own process group, as postgres. */
    startMember(region: Region, m: Member): GroupProcess {
        writePostgresFile(m.configFile, this.patroniConfig(region, m), 0o600);
        const env = { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`, HOME: m.baseDir };
        m.proc = this.procs.start(`patroni-${m.name}`, "patroni", [m.configFile], path.join(m.baseDir, "patroni.log"), env, m.baseDir, process.getuid?.() === 0 ? postgresIds() : undefined);
        return m.proc;
    }

    /**
     * The member dies as a node does: Patroni, the postmaster, every backend and the archiver,
     * all at once (SIGKILL). A killed postmaster leaves its pid file; Patroni handles that on
     * restart, as after a node crash.
     */
    async killMember(m: Member): Promise<number> {
        const n = signalNaming(`${m.baseDir}/`, "SIGKILL");
        if (m.proc) await this.procs.kill(m.proc);
        m.proc = undefined;
        await poll(`member ${m.name}'s processes to be gone`, 15_000, async () => (pidsNaming(`${m.baseDir}/`).length === 0 ? true : undefined), 100);
        return n;
    }

    /** The member freezes as a hung node does: every one of its processes stopped (SIGSTOP), postmaster first so it forks nothing new. */
    freezeMember(m: Member): number {
        return signalNaming(`${m.baseDir}/`, "SIGSTOP");
    }

    thawMember(m: Member): number {
        return signalNaming(`${m.baseDir}/`, "SIGCONT");
    }

    async stop(): Promise<void> {
        await this.wan.closeAll().catch(() => undefined);
        // Patroni first, gracefully (it stops its PostgreSQL); then whatever is left of the run.
        await this.procs.stopAll();
        signalNaming(this.o.workDir, "SIGCONT");
        signalNaming(this.o.workDir, "SIGKILL");
        await this.s3procs.stopAll();
        await poll("every lab process to be gone", 20_000, async () => (pidsNaming(this.o.workDir).length === 0 ? true : undefined), 200).catch(() => undefined);
    }
}

/** The options without one repository's keys (a region that does not use that repo). */
function withoutRepo(options: Readonly<Record<string, string>>, repo: string): Record<string, string> {
    return Object.fromEntries(Object.entries(options).filter(([k]) => !k.startsWith(`${repo}-`)));
}

/**
 * The platform's database primitives: the Percona operator's custom resources for backups and
 * restores, and — for everything the operator does not report — commands run IN the database
 * pod through the Kubernetes exec API (psql for the server's state, pgbackrest for the repo's
 * own listing and verify), parsed from their output, never judged by the exit code alone.
 *
 * A restore into a new destination is a NEW PerconaPGCluster in a scratch namespace restored
 * from the tier's repo (spec.dataSource.pgbackrest). The operator opens it at the target (it
 * forces --target-action=promote); it runs with backups disabled (archive_command `true`). On
 * any failure after the namespace exists, the namespace is deleted and its absence proved, or
 * the error says exactly what remains.
 */
import type { DatabaseBackup, DatabaseInfo, DatabasePositions, DatabasePrimitives, FenceProof, Finding, ProbeResult, RestoreDestination, RestoreRequest, RestoredState, SqlProbe, Tier, Wait } from "../types";
import { GuardRefusal, PreflightError, StepFailed, WaitTimeout } from "../../errors";
import { PG_SERVICE_ACCOUNT_SUFFIXES, SCRATCH_NAMESPACE_PREFIX } from "../../../components/core/names";

/** The EKS pod identity webhook gives a pod of a service account with this annotation that role's web identity. */
const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";
import { lsnToBytes } from "../../parse";
import { parseInfo, parseVerify, segmentNumber, walGaps } from "../lab/pgbackrest";
import { KubeClient, PollingWaits, httpStatusOf } from "./kube";
import { PERCONA_GROUP, PERCONA_VERSION, PG_CLUSTERS, REPO_OF_TIER, SCRATCH_LABELS, perconaBackup, perconaRestore, resourceName, scratchCluster, scratchClusterName, scratchNamespace, secretNamesOf, sourceView } from "./resources";
import { judgePercona, judgeRestoredCluster, watchResource } from "./status";

export const PG_CONTAINER = "database";
export const STANZA = "db";
const RESTORED_ANNOTATION = "fortress.dr/restored";

interface PerconaBackupObj {
    metadata: { name: string; creationTimestamp?: string };
    spec: { pgCluster: string; repoName?: string; options?: string[] };
    status?: { state?: string; completed?: string; backupName?: string; backupType?: string; error?: string };
}

/** PerconaPGBackup objects → the backups of one tier (Succeeded ones are complete). */
export function backupsFromObjects(items: readonly PerconaBackupObj[], cluster: string, tier: Tier): DatabaseBackup[] {
    return items
        .filter((b) => b.spec.pgCluster === cluster && b.spec.repoName === REPO_OF_TIER[tier] && b.status?.backupName)
        .map((b) => ({
            tier,
            label: b.status!.backupName!,
            type: (b.status?.backupType ?? "full") as DatabaseBackup["type"],
            startedAt: new Date(b.metadata.creationTimestamp ?? 0),
            stoppedAt: new Date(b.status?.completed ?? b.metadata.creationTimestamp ?? 0),
            walStart: "",
            walStop: "",
            error: b.status?.state === "Failed",
            complete: b.status?.state === "Succeeded" && !!b.status.completed,
        }));
}

/** One query returning one JSON object: the server's recovery and archiving state. */
export const STATE_SQL = `select json_build_object(
 'r', pg_is_in_recovery(),
 'p', case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end,
 'replay', pg_last_wal_replay_lsn()::text,
 'receive', pg_last_wal_receive_lsn()::text,
 'current', case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end,
 'ts', pg_last_xact_replay_timestamp(),
 'lag', extract(epoch from now() - pg_last_xact_replay_timestamp()),
 'am', current_setting('archive_mode'),
 'ac', current_setting('archive_command'),
 'tli', (select timeline_id from pg_control_checkpoint()))`;

export interface ServerState {
    readonly r: boolean;
    readonly p: boolean;
    readonly replay: string | null;
    readonly receive: string | null;
    readonly current: string | null;
    readonly ts: string | null;
    readonly lag: number | null;
    readonly am: string;
    readonly ac: string;
    readonly tli: number;
}

export function parseServerState(out: string): ServerState {
    const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
    if (!line) throw new StepFailed(`psql printed no state row: ${out.trim().slice(0, 200) || "(nothing)"}`);
    return JSON.parse(line) as ServerState;
}

/** What PostgreSQL's end of recovery said in the operator's restore Job log. */
export interface RecoveryEnd {
    /** "last completed transaction was at log time ..." */
    readonly lastCommitAt?: string;
    /** "redo done at X/Y" */
    readonly redoDoneLsn?: string;
}

/** PostgreSQL log time ("2026-12-03 05:59:00.123456+00") as an ISO instant. */
export function pgLogTime(s: string): string | undefined {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?: ?(UTC|GMT|[+-]\d\d(?::?\d\d)?))?$/.exec(s.trim());
    if (!m) return undefined;
    let zone = m[3] ?? "Z";
    if (zone === "UTC" || zone === "GMT") zone = "Z";
    else if (/^[+-]\d\d$/.test(zone)) zone += ":00";
    else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const d = new Date(`${m[1]}T${m[2]}${zone}`);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function parseRecoveryEnd(log: string): RecoveryEnd {
    const commits = [...log.matchAll(/last completed transaction was at log time ([0-9-]+ [0-9:.]+(?: ?(?:UTC|GMT|[+-]\d\d(?::?\d\d)?))?)/g)];
    const redo = [...log.matchAll(/redo done at ([0-9A-F]+\/[0-9A-F]+)/g)];
    const last = commits.length ? pgLogTime(commits[commits.length - 1][1]) : undefined;
    return { lastCommitAt: last, redoDoneLsn: redo.length ? redo[redo.length - 1][1] : undefined };
}

export function restoredStateOf(s: ServerState, destination: RestoreDestination, endpoint: string, end?: RecoveryEnd): RestoredState {
    // After the operator's promotion at the target the instance restarts: pg_last_* are empty,
    // and what recovery reached is in the restore Job's log (kept on the cluster's annotation).
    const replayLsn = s.replay ?? end?.redoDoneLsn ?? s.current ?? undefined;
    const ts = s.ts ?? end?.lastCommitAt;
    return {
        destination,
        endpoint,
        running: true,
        inRecovery: s.r,
        replayPaused: s.p,
        replayLsn,
        lastCommitAt: ts ? new Date(ts) : undefined,
        timeline: s.tli,
        archiveMode: s.am,
        archiveCommand: s.ac,
    };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PlatformDatabase extends PollingWaits implements DatabasePrimitives {
    /** Time allowed for cleaning up after a failed restore when the wait's own deadline has passed (ms). */
    cleanupMs = 300_000;

    constructor(
        private readonly k: KubeClient,
        private readonly namespace: string,
        private readonly cluster: string,
        /** The stack's read-only repo role for scratch restores (outputs scratchRestore.readerRoleArn); absent: IRSA scratch restores are refused. */
        private readonly scratchReaderRoleArn?: string,
    ) {
        super();
        if (scratchReaderRoleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(scratchReaderRoleArn)) {
            throw new PreflightError(`stack output scratchRestore.readerRoleArn "${scratchReaderRoleArn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); rewrite FORTRESS_STACK_OUTPUTS with pulumi stack output --json`);
        }
    }

    get namespaceName(): string {
        return this.namespace;
    }

    // ---------------------------------------------------------------- helpers

    private getCluster(namespace: string, name: string) {
        return this.k.custom.getNamespacedCustomObject({ ...PG_CLUSTERS, namespace, name }) as Promise<{ metadata?: { name?: string; annotations?: Record<string, string> }; spec?: Record<string, any>; status?: Record<string, any> }>;
    }

    /** The running primary pod of a cluster (PGO role label master, or primary in newer releases). */
    async primaryPod(namespace: string, cluster: string): Promise<string> {
        const r = await this.k.core.listNamespacedPod({ namespace, labelSelector: `postgres-operator.crunchydata.com/cluster=${cluster},postgres-operator.crunchydata.com/role in (master,primary)` });
        const pod = r.items.find((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp);
        if (!pod?.metadata?.name) throw new StepFailed(`no running primary pod of cluster ${namespace}/${cluster} (label postgres-operator.crunchydata.com/role=master|primary); is the cluster up?`);
        return pod.metadata.name;
    }

    private async run(namespace: string, pod: string, command: string[], wait: Wait, what: string): Promise<string> {
        const r = await this.k.exec.exec(namespace, pod, PG_CONTAINER, command, wait);
        if (r.code !== 0) throw new StepFailed(`${what} in ${namespace}/${pod} exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-2).join(" ") || "(no output)"}`);
        return r.stdout;
    }

    psql(namespace: string, pod: string, sql: string, wait: Wait, database = "postgres"): Promise<string> {
        return this.run(namespace, pod, ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql], wait, "psql");
    }

    private where(d: RestoreDestination): { namespace: string; cluster: string } {
        return d.kind === "in-place" ? { namespace: this.namespace, cluster: this.cluster } : { namespace: scratchNamespace(d.name), cluster: scratchClusterName(d.name) };
    }

    private async repoPod(wait: Wait): Promise<string> {
        void wait;
        return this.primaryPod(this.namespace, this.cluster);
    }

    // ---------------------------------------------------------------- repo

    async info(tier: Tier, wait: Wait): Promise<DatabaseInfo> {
        const pod = await this.repoPod(wait);
        const repo = Number(REPO_OF_TIER[tier].slice(4));
        const out = await this.run(this.namespace, pod, ["pgbackrest", `--stanza=${STANZA}`, `--repo=${repo}`, "info", "--output=json"], wait, `pgbackrest info --repo=${repo}`);
        return parseInfo(out, repo, tier, STANZA);
    }

    async backup(tier: Tier, type: "full" | "diff" | "incr", wait: Wait): Promise<DatabaseBackup> {
        const name = resourceName(`fortress-${type}-${tier}`, new Date().toISOString());
        const body = perconaBackup({ name, namespace: this.namespace, cluster: this.cluster, tier, type });
        const ref = { group: PERCONA_GROUP, version: PERCONA_VERSION, namespace: this.namespace, plural: "perconapgbackups" };
        await this.k.custom.createNamespacedCustomObject({ ...ref, body });
        await watchResource({ what: `PerconaPGBackup ${this.namespace}/${name}`, read: () => this.k.custom.getNamespacedCustomObject({ ...ref, name }) as Promise<PerconaBackupObj>, judge: judgePercona, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        const obj = (await this.k.custom.getNamespacedCustomObject({ ...ref, name })) as PerconaBackupObj;
        // Success is the backup LISTED complete in the repo itself, not the resource's word.
        const listed = (await this.info(tier, wait)).backups.find((b) => b.label === obj.status?.backupName);
        if (!listed || !listed.complete || listed.error) throw new StepFailed(`PerconaPGBackup ${name} says Succeeded but backup ${obj.status?.backupName ?? "(no name)"} is ${listed ? (listed.error ? "flagged with page checksum errors" : "incomplete") : "not listed"} in ${tier} (pgbackrest info)`);
        return listed;
    }

    async verify(tier: Tier, wait: Wait): Promise<readonly Finding[]> {
        const pod = await this.repoPod(wait);
        const repo = Number(REPO_OF_TIER[tier].slice(4));
        // verify exits 0 on a repo in error (pgBackRest #2502): its output decides.
        const r = await this.k.exec.exec(this.namespace, pod, PG_CONTAINER, ["pgbackrest", `--stanza=${STANZA}`, `--repo=${repo}`, "verify", "--output=text", "--verbose", "--log-level-console=info"], wait);
        const findings = parseVerify(`${r.stdout}\n${r.stderr}`, tier, `repo${repo}`, STANZA);
        if (r.code !== 0) findings.push({ severity: "error", dataClass: "database", tier, object: `${tier} repo`, check: "pgbackrest-verify", message: `verify exited ${r.code}: ${r.stderr.trim().split("\n").pop()}` });
        const info = (await this.info(tier, wait)) as DatabaseInfo & { archiveId?: string };
        const oldest = info.backups.filter((b) => b.complete).sort((a, b) => a.stoppedAt.getTime() - b.stoppedAt.getTime())[0];
        if (oldest && info.archiveId) {
            const out = await this.run(this.namespace, pod, ["pgbackrest", `--stanza=${STANZA}`, `--repo=${repo}`, "repo-ls", "--recurse", `archive/${STANZA}/${info.archiveId}`], wait, "pgbackrest repo-ls");
            const segs = out.split("\n").map((l) => l.trim().split("/").pop()!.slice(0, 24)).filter((n) => /^[0-9A-F]{24}$/.test(n));
            if (segs.length === 0) findings.push({ severity: "error", dataClass: "database", tier, object: `repo${repo}/archive/${STANZA}/${info.archiveId}`, check: "wal-continuity", message: "no WAL segment in the archive" });
            else {
                const newest = segs.reduce((a, b) => (segmentNumber(b) > segmentNumber(a) ? b : a));
                for (const seg of walGaps(segs, oldest.walStart, newest)) {
                    findings.push({ severity: "error", dataClass: "database", tier, object: `repo${repo}/archive/${STANZA}/${info.archiveId}/${seg.slice(0, 16)}/${seg}`, check: "wal-continuity", message: `WAL segment missing between the oldest backup's start ${oldest.walStart} and the newest archived ${newest}: point-in-time recovery past it is impossible` });
                }
            }
        }
        return findings;
    }

    async archiveHistoryFiles(tier: Tier, wait: Wait): Promise<readonly string[]> {
        const pod = await this.repoPod(wait);
        const repo = Number(REPO_OF_TIER[tier].slice(4));
        const out = await this.run(this.namespace, pod, ["pgbackrest", `--stanza=${STANZA}`, `--repo=${repo}`, "repo-ls", "--recurse", "--filter=\\.history$", `archive/${STANZA}`], wait, "pgbackrest repo-ls");
        return out.split("\n").map((l) => l.trim().split("/").pop()!).filter((n) => /^[0-9A-F]{8}\.history$/.test(n));
    }

    // ---------------------------------------------------------------- restore

    async restore(req: RestoreRequest, wait: Wait): Promise<RestoredState> {
        if (req.destination.kind === "in-place") return this.restoreInPlace(req, wait);
        const ns = scratchNamespace(req.destination.name);
        const cl = scratchClusterName(req.destination.name);
        // Idempotent: a rerun (after a kill or a failure) starts the destination over.
        if (await this.namespaceExists(ns)) {
            wait.progress?.(`scratch namespace ${ns} exists from an earlier attempt: removing it first`);
            const proof = await this.teardown(req.destination, wait);
            const bad = proof.filter((p) => !p.ok);
            if (bad.length) throw new StepFailed(`scratch namespace ${ns} from an earlier attempt could not be removed (${bad.map((p) => p.detail).join("; ")}); delete it: kubectl delete namespace ${ns}`);
        }
        const source = sourceView(await this.getCluster(this.namespace, this.cluster), req.tier);
        const idx = REPO_OF_TIER[req.tier].slice(4);
        // IRSA: the source's repo roles trust only the source namespace's service accounts. The
        // stack declares a READ-ONLY role trusted by every scratch namespace's pgBackRest service
        // accounts (PgBackRestAccess.scratchReaderRoleArn, output scratchRestore.readerRoleArn);
        // the scratch cluster's service accounts are created with it before the cluster. Without
        // it the restore Job would fail with S3 AccessDenied half-way: refuse before creating anything.
        const irsa = source.global[`repo${idx}-s3-key-type`] === "web-id";
        if (irsa && !this.scratchReaderRoleArn) {
            throw new StepFailed(`${REPO_OF_TIER[req.tier]} is reached with IRSA (repo${idx}-s3-key-type=web-id) and the stack outputs have no scratchRestore.readerRoleArn (the read-only role trusted by system:serviceaccount:${SCRATCH_NAMESPACE_PREFIX}*:*-instance): the scratch cluster's restore Job would fail with S3 AccessDenied; deploy the stack (it declares the role) and set FORTRESS_STACK_OUTPUTS to a file written by pulumi stack output --json, or restore --in-place with the source fenced`);
        }
        const body = scratchCluster({ name: cl, namespace: ns, source, target: req.target, set: req.set });
        let created = false;
        try {
            await this.k.core.createNamespace({ body: { metadata: { name: ns, labels: SCRATCH_LABELS } } });
            created = true;
            if (irsa) {
                // The operator runs the restore Job and the pods as <cluster>-instance (and -pgbackrest);
                // created first with the role annotation, as the stack does for the source cluster.
                for (const suffix of PG_SERVICE_ACCOUNT_SUFFIXES) {
                    await this.k.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: `${cl}-${suffix}`, labels: SCRATCH_LABELS, annotations: { [IRSA_ROLE_ANNOTATION]: this.scratchReaderRoleArn! } } } });
                }
            }
            for (const name of secretNamesOf(source.configuration)) {
                const s = await this.k.core.readNamespacedSecret({ name, namespace: this.namespace });
                await this.k.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, labels: SCRATCH_LABELS }, type: s.type, data: s.data } });
            }
            await this.k.custom.createNamespacedCustomObject({ ...PG_CLUSTERS, namespace: ns, body });
            const jobName = `${cl}-pgbackrest-restore`;
            await watchResource({
                what: `PerconaPGCluster ${ns}/${cl} (restore from ${REPO_OF_TIER[req.tier]})`,
                read: async () => {
                    const c = await this.getCluster(ns, cl);
                    let job: { metadata?: { name?: string }; status?: Record<string, unknown> } | undefined;
                    try {
                        job = (await this.k.batch.readNamespacedJob({ name: jobName, namespace: ns })) as typeof job;
                    } catch (e) {
                        if (httpStatusOf(e) !== 404) throw e;
                    }
                    return { metadata: c.metadata, status: c.status, job } as { metadata?: { name?: string }; status?: Record<string, unknown> };
                },
                judge: (o) => judgeRestoredCluster(o, (o as { job?: { metadata?: { name?: string }; status?: Record<string, unknown> } }).job),
                wait,
                intervalMs: this.intervalMs,
                stuckAfterSeconds: this.stuckAfterSeconds,
            });
            const end = parseRecoveryEnd(await this.restoreJobLog(ns, jobName));
            await this.k.custom.patchNamespacedCustomObject({ ...PG_CLUSTERS, namespace: ns, name: cl, body: [{ op: "add", path: "/metadata/annotations", value: { [RESTORED_ANNOTATION]: JSON.stringify(end) } }] });
            return await this.inspect(req.destination, wait);
        } catch (e) {
            if (!created) throw e;
            const cleanup: Wait = { deadline: Math.max(wait.deadline, Date.now() + this.cleanupMs), progress: wait.progress };
            let proof: readonly ProbeResult[];
            try {
                proof = await this.teardown(req.destination, cleanup);
            } catch (te) {
                proof = [{ name: "teardown", ok: false, detail: (te as Error).message }];
            }
            const bad = proof.filter((p) => !p.ok);
            (e as Error).message += bad.length
                ? `; cleanup NOT proved — what remains: ${bad.map((p) => p.detail).join("; ")}; delete it: kubectl delete namespace ${ns}`
                : `; the scratch namespace ${ns} was deleted and proved gone (${proof.map((p) => p.detail).join("; ")})`;
            throw e;
        }
    }

    private async restoreJobLog(namespace: string, job: string): Promise<string> {
        const pods = await this.k.core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
        const pod = pods.items.find((p) => p.status?.phase === "Succeeded") ?? pods.items[0];
        if (!pod?.metadata?.name) return "";
        try {
            return String(await this.k.core.readNamespacedPodLog({ name: pod.metadata.name, namespace, container: "pgbackrest-restore" }));
        } catch {
            return "";
        }
    }

    private async restoreInPlace(req: RestoreRequest, wait: Wait): Promise<RestoredState> {
        const name = resourceName("fortress-restore", new Date().toISOString());
        const body = perconaRestore({ name, namespace: this.namespace, cluster: this.cluster, tier: req.tier, target: req.target, set: req.set });
        const ref = { group: PERCONA_GROUP, version: PERCONA_VERSION, namespace: this.namespace, plural: "perconapgrestores" };
        await this.k.custom.createNamespacedCustomObject({ ...ref, body });
        await watchResource({ what: `PerconaPGRestore ${this.namespace}/${name}`, read: () => this.k.custom.getNamespacedCustomObject({ ...ref, name }) as Promise<PerconaBackupObj>, judge: judgePercona, wait, intervalMs: this.intervalMs, stuckAfterSeconds: this.stuckAfterSeconds });
        return this.inspect(req.destination, wait);
    }

    async inspect(destination: RestoreDestination, wait: Wait): Promise<RestoredState> {
        const { namespace, cluster } = this.where(destination);
        const c = await this.getCluster(namespace, cluster);
        const pod = await this.primaryPod(namespace, cluster);
        const s = parseServerState(await this.psql(namespace, pod, STATE_SQL, wait));
        const ann = c.metadata?.annotations?.[RESTORED_ANNOTATION];
        return restoredStateOf(s, destination, `${cluster}-primary.${namespace}.svc:5432`, ann ? (JSON.parse(ann) as RecoveryEnd) : undefined);
    }

    /**
     * The operator already opened the copy at its target; this proves it: out of recovery and a
     * write transaction succeeds (rolled back). A copy still in recovery is a failure, said so.
     */
    async promoteRestored(destination: RestoreDestination, wait: Wait): Promise<RestoredState> {
        const state = await this.inspect(destination, wait);
        const { namespace, cluster } = this.where(destination);
        if (state.inRecovery) throw new StepFailed(`${namespace}/${cluster} is still in recovery: the operator promotes a restored copy at its target and this one was not; read the restore Job's log (kubectl -n ${namespace} logs job/${cluster}-pgbackrest-restore)`);
        const pod = await this.primaryPod(namespace, cluster);
        await this.psql(namespace, pod, "begin; create temporary table fortress_write_probe(x int); insert into fortress_write_probe values (1); rollback;", wait);
        return state;
    }

    async probe(destination: RestoreDestination, probes: readonly SqlProbe[], wait: Wait): Promise<readonly ProbeResult[]> {
        const { namespace, cluster } = this.where(destination);
        const pod = await this.primaryPod(namespace, cluster);
        const out: ProbeResult[] = [];
        const dbs = (await this.psql(namespace, pod, "select datname from pg_database where datallowconn and not datistemplate order by 1", wait)).split("\n").map((l) => l.trim()).filter(Boolean);
        let rows = 0;
        let tables = 0;
        // Reading every user table in full makes PostgreSQL check every page's checksum.
        for (const db of dbs) {
            const ts = (await this.psql(namespace, pod, "select format('%I.%I', schemaname, relname) from pg_stat_user_tables order by 1", wait, db)).split("\n").map((l) => l.trim()).filter(Boolean);
            for (const t of ts) {
                rows += Number((await this.psql(namespace, pod, `select count(*) from ${t}`, wait, db)).trim());
                tables++;
            }
        }
        out.push({ name: "read-every-table", ok: true, detail: `${tables} table(s) in ${dbs.length} database(s), ${rows} row(s) read without error`, value: rows });
        const cf = Number((await this.psql(namespace, pod, "select coalesce(sum(checksum_failures), 0) from pg_stat_database", wait)).trim());
        out.push({ name: "checksum-failures", ok: cf === 0, detail: `${cf} page checksum failure(s) reported`, value: cf });
        const appDb = dbs.filter((d) => d !== "postgres");
        const probeDb = appDb.length === 1 ? appDb[0] : "postgres";
        for (const p of probes) {
            try {
                const v = (await this.psql(namespace, pod, p.sql, wait, probeDb)).split("\n")[0]?.split("|")[0] ?? "";
                const n = Number(v);
                const ok = p.min === undefined ? true : v !== "" && Number.isFinite(n) && n >= p.min;
                out.push({ name: p.name, ok, detail: `= ${v} (database ${probeDb})${p.min !== undefined ? ` (needs >= ${p.min})` : ""}`, value: v });
            } catch (e) {
                out.push({ name: p.name, ok: false, detail: (e as Error).message });
            }
        }
        return out;
    }

    private async namespaceExists(ns: string): Promise<boolean> {
        try {
            await this.k.core.readNamespace({ name: ns });
            return true;
        } catch (e) {
            if (httpStatusOf(e) === 404) return false;
            throw e;
        }
    }

    /** Deletes the scratch cluster and namespace and proves from the API that nothing is left (namespace, cluster, volumes). */
    async teardown(destination: RestoreDestination, wait: Wait): Promise<readonly ProbeResult[]> {
        if (destination.kind === "in-place") throw new GuardRefusal("teardown of an in-place restore would remove the database itself: refused");
        const ns = scratchNamespace(destination.name);
        const cl = scratchClusterName(destination.name);
        const ignore404 = (e: unknown) => {
            if (httpStatusOf(e) !== 404) throw e;
        };
        await this.k.custom.deleteNamespacedCustomObject({ ...PG_CLUSTERS, namespace: ns, name: cl }).catch(ignore404);
        await this.k.core.deleteNamespace({ name: ns }).catch(ignore404);
        let phase = "unknown";
        for (;;) {
            try {
                const n = await this.k.core.readNamespace({ name: ns });
                phase = n.status?.phase ?? "unknown";
            } catch (e) {
                ignore404(e);
                phase = "gone";
                break;
            }
            if (Date.now() > wait.deadline) break;
            await sleep(this.intervalMs);
        }
        const pvs = (await this.k.core.listPersistentVolume()).items.filter((pv) => pv.spec?.claimRef?.namespace === ns).map((pv) => `${pv.metadata?.name} (${pv.status?.phase ?? "?"}, reclaim ${pv.spec?.persistentVolumeReclaimPolicy ?? "?"})`);
        return [
            { name: "namespace-gone", ok: phase === "gone", detail: phase === "gone" ? `namespace ${ns} gone (404)` : `namespace ${ns} still exists (phase ${phase})` },
            { name: "no-volumes", ok: pvs.length === 0, detail: pvs.length ? `persistent volume(s) of ${ns} remain: ${pvs.join(", ")}` : `no persistent volume claimed by ${ns}` },
        ];
    }

    // ---------------------------------------------------------------- positions and fencing

    async positions(wait: Wait): Promise<DatabasePositions> {
        const archived: DatabasePositions["archived"] = {};
        const c = await this.getCluster(this.namespace, this.cluster).catch(() => undefined);
        const declared = new Set(((c?.spec?.backups?.pgbackrest?.repos ?? []) as { name?: string }[]).map((r) => r.name));
        for (const tier of Object.keys(REPO_OF_TIER) as Tier[]) {
            if (!declared.has(REPO_OF_TIER[tier])) continue;
            try {
                const info = await this.info(tier, wait);
                archived[tier] = { wal: info.archive.max };
            } catch {
                archived[tier] = {};
            }
        }
        let s: ServerState | undefined;
        try {
            s = parseServerState(await this.psql(this.namespace, await this.primaryPod(this.namespace, this.cluster), STATE_SQL, wait));
        } catch (e) {
            if (e instanceof WaitTimeout) throw e;
            s = undefined; // the server is down: the archive positions still answer
        }
        if (!s) return { archived };
        if (!s.r) return { primaryWriteLsn: s.current ?? undefined, archived };
        return { archived, standby: { flushLsn: s.receive ?? undefined, replayLsn: s.replay ?? undefined, replayLagSeconds: s.lag ?? undefined, lastReplayAt: s.ts ? new Date(s.ts) : undefined } };
    }

    /** Fenced: the cluster is paused (spec.pause) and no PostgreSQL instance is ready. */
    async sourceFenced(): Promise<FenceProof & { fenced: boolean }> {
        const c = (await this.getCluster(this.namespace, this.cluster)) as { spec?: { pause?: boolean }; status?: { postgres?: { ready?: number } } };
        const paused = c.spec?.pause === true;
        const ready = c.status?.postgres?.ready ?? 0;
        const fenced = paused && ready === 0;
        return { fenced, writesStopped: fenced, repoWritesStopped: fenced, evidence: [`PerconaPGCluster ${this.cluster}: spec.pause=${paused}, status.postgres.ready=${ready}`] };
    }

    /** Promotes this (standby) cluster: spec.standby.enabled=false, then waits until the server left recovery. */
    async promoteStandby(minLsn: string | undefined, wait: Wait): Promise<{ promotedAtLsn: string; timeline: number; evidence: string[] }> {
        const evidence: string[] = [];
        const pod = await this.primaryPod(this.namespace, this.cluster);
        let s = parseServerState(await this.psql(this.namespace, pod, STATE_SQL, wait));
        if (s.r && minLsn) {
            while (!s.replay || lsnToBytes(s.replay) < lsnToBytes(minLsn)) {
                const short = () => new WaitTimeout(`standby ${this.namespace}/${this.cluster} replayed ${s.replay ?? "nothing"}, short of the fenced ${minLsn}, at the deadline; not promoted`);
                if (Date.now() + this.intervalMs > wait.deadline) throw short();
                await sleep(this.intervalMs);
                try {
                    s = parseServerState(await this.psql(this.namespace, pod, STATE_SQL, wait));
                } catch (e) {
                    if (e instanceof WaitTimeout) throw short();
                    throw e;
                }
            }
            evidence.push(`standby replayed ${s.replay} >= fenced ${minLsn}`);
        }
        const replayedAt = s.replay ?? s.current ?? "0/0";
        await this.k.custom.patchNamespacedCustomObject({ ...PG_CLUSTERS, namespace: this.namespace, name: this.cluster, body: [{ op: "add", path: "/spec/standby/enabled", value: false }] });
        evidence.push(`PerconaPGCluster ${this.namespace}/${this.cluster}: spec.standby.enabled=false`);
        while (s.r) {
            if (Date.now() > wait.deadline) throw new WaitTimeout(`PerconaPGCluster ${this.namespace}/${this.cluster}: spec.standby.enabled=false was set but the server is still in recovery at the deadline; check the operator's and Patroni's logs`);
            await sleep(this.intervalMs);
            try {
                s = parseServerState(await this.psql(this.namespace, await this.primaryPod(this.namespace, this.cluster), STATE_SQL, wait));
            } catch (e) {
                if (e instanceof WaitTimeout) throw e; // the pod may restart during promotion: read again
            }
        }
        evidence.push(`out of recovery on timeline ${s.tli}`);
        return { promotedAtLsn: replayedAt, timeline: s.tli, evidence };
    }
}

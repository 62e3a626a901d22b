/**
 * Sensitivity of the objectives model to every numeric and boolean setting of the prod stack
 * config (an exhaustive walk of the resolved config): making a setting worse never makes any
 * cell better, and moves at least one cell, unless the setting is listed below as deliberately
 * irrelevant, with the reason. Settings that define the objectives themselves can only be
 * made worse by loosening them, which the schema rejects in prod and staging.
 *
 * A new numeric or boolean config key fails this test until it is given a worse value here or
 * a reason to be irrelevant. Each worse value is also a mutation test of the plan: it must exit 1
 * naming objectives-within-budget, or leave every moved cell within.
 */
import * as assert from "assert";
import type { Cell, ObjectivesTable } from "../../objectives";
import { evaluateStack, PlanResult } from "../../tools/evaluate";
import { planFindings } from "../../tools/plan-findings";
import { ConfigError } from "../../config";
import { Mutation, evaluateWith } from "../helpers/stacks";

/** A worse value for each setting the model reads (path in the resolved config, `*` = any list index). */
const WORSE: Readonly<Record<string, unknown>> = {
    "endpoints.healthCheck.intervalSeconds": 30,
    "endpoints.healthCheck.failureThreshold": 5,
    "endpoints.ttlSeconds": 60,
    // Readiness bounds detection: period x readinessFailureThreshold + timeout. The node-loss
    // path (50 s) dominates small changes, so the worse values go past it.
    "services.*.probes.periodSeconds": 30,
    "services.*.probes.readinessFailureThreshold": 6,
    "services.*.replicas": 1,
    "postgres.instances": 1,
    "redis.maxReplicaLagSeconds": 5,
};

/** Settings that are numeric or boolean but bound no recovery path the model computes. */
const IRRELEVANT: Readonly<Record<string, string>> = {
    "gcs.lockRetention": "immutability of tier 3's GCS copy: whether a copy survives tampering (policy gcs-retention-locked), not how old or how fast",
    "tiers.*.*.retentionDays": "how long copies are kept, not how recent they are (policy lifecycle-matches-tier-retention)",
    "storage.tier3.transitions.*.afterDays": "Glacier Instant Retrieval keeps millisecond access; the storage class does not change restore time (policy lifecycle-matches-tier-retention)",
    "storage.tier3.objectLock.days": "how long versions are locked, not recovery time (policy tier3-object-lock-compliance)",
    "storage.complianceRetentionDays": "archive retention, not recovery time",
    "kubernetes.eks.minSize": "prod deploys onto an existing cluster (kubernetes.cluster: existing); the EKS node group is not declared",
    "kubernetes.eks.desiredSize": "prod deploys onto an existing cluster; the EKS node group is not declared",
    "kubernetes.eks.maxSize": "prod deploys onto an existing cluster; the EKS node group is not declared",
    "services.*.port": "the container port: no recovery path depends on its number",
    "services.*.critical":
        "chooses which objective applies (the critical-services RTO cap), a product decision reviewed in the stack diff; it lengthens no recovery path",
    "services.*.probes.timeoutSeconds":
        "the schema keeps it under periodSeconds, so readiness detection stays at most 10 x 2 + 9 = 29 s, under the 50 s node-loss path that bounds S1 services detection; masked, not ignored (periodSeconds and readinessFailureThreshold move the cell)",
    "services.*.probes.failureThreshold":
        "the liveness threshold: a failing pod has already left the Service through readiness (readinessFailureThreshold) before liveness restarts it",
    "postgres.pgBouncerReplicas": "connection pooling capacity; no modelled recovery path waits on PgBouncer replicas",
    "postgres.replicationPort": "a port number",
    "postgres.postgresVersion": "the PostgreSQL major version",
    "postgres.archivePushIoTimeoutSeconds":
        "its effect (how long an unreachable S3 repo stalls the archiver) enters through the measured tier-2-outage loss window (postgres.tier2_outage.loss_window_seconds) at the drill's own setting; the drill reads prod's value, so re-running it after a change moves S3/S4 database RPO",
    "postgres.archiveProcessMax": "archiver parallelism: its effect on delivery is measured by the postgres drill (postgres.load.loss_window_seconds)",
    "platform.vault.enabled": "Vault's raft snapshots protect secrets, which are not an objectives data class (their schedules are checked by backup-schedule-meets-rpo)",
    "hasKubeconfig": "how the program reaches the cluster, not what it declares",
    "erasure.hashSubjects": "whether the ledger stores subject ids as keyed hashes: the ledger's privacy, not the time or the data loss of any recovery path",
    "erasure.ledger.replayMarginSeconds":
        "how far before the restored point the replay starts reading the ledger (the replay is idempotent, a wider margin only replays more entries); the replay step's own duration is measured by the erasure drill (erasure.replay.seconds) and is not yet a term of the restore RTO",
    "slo.*":
        "targets and windows of the backup SLO alarms (completion, window adherence, verification, recovery success) and the audit period: they decide when the backup record pages someone, not how long any recovery takes or how much it loses",
    "notifications.*":
        "when fortress posts the incident notice and the stakeholder updates during a failover or restore: they run beside the recovery steps, never on their path (cli/notify.ts)",
    "objectives.acceptedRisks.*.worstSeconds":
        "raising an accepted worst bound changes no cell's bound; it is printed by the plan and reviewed in the stack diff (a cell whose bound grows past it fails again)",
};

/** The objectives' own settings: worse means looser, which the schema rejects (tested below). */
const OBJECTIVE_PREFIX = "objectives.";

const STATUS_RANK: Readonly<Record<string, number>> = { within: 0, "at-risk": 1, over: 2, missing: 3 };

function leaves(o: unknown, p: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    if (Array.isArray(o)) o.forEach((v, i) => leaves(v, [...p, i], out));
    else if (o !== null && typeof o === "object") for (const [k, v] of Object.entries(o)) leaves(v, [...p, k], out);
    else if (typeof o === "number" || typeof o === "boolean") out.push(p);
    return out;
}
const pattern = (p: readonly (string | number)[]) => p.map((x) => (typeof x === "number" ? "*" : x)).join(".");
const lookup = <V>(table: Readonly<Record<string, V>>, p: readonly (string | number)[]): V | undefined => {
    const pat = pattern(p);
    return Object.entries(table).find(([k]) => new RegExp(`^${k.replace(/\./g, "\\.").replace(/\*/g, "[^.]+")}$`).test(pat))?.[1];
};
const cells = (t: ObjectivesTable) => new Map<string, Cell>(t.rows.flatMap((r) => [r.detect, r.rto, r.rpo]).map((c) => [c.id, c]));

describe("objectives sensitivity: every numeric and boolean setting of prod", function () {
    this.timeout(900_000);
    let prod: PlanResult;
    let base: ObjectivesTable;

    before(async () => {
        prod = await evaluateStack("prod");
        base = (await planFindings(prod)).objectives!;
    });

    it("every setting is given a worse value, is an objective (tighten-only), or is listed as irrelevant with a reason", () => {
        const unlisted = leaves(prod.config)
            .filter((p) => !pattern(p).startsWith(OBJECTIVE_PREFIX) || pattern(p).startsWith("objectives.acceptedRisks"))
            .filter((p) => lookup(WORSE, p) === undefined && lookup(IRRELEVANT, p) === undefined)
            .map(pattern);
        assert.deepStrictEqual([...new Set(unlisted)], [], "give these a worse value in WORSE or a reason in IRRELEVANT");
    });

    it("making a setting worse never makes a cell better, and moves at least one cell", async () => {
        const paths = leaves(prod.config).filter((p) => lookup(WORSE, p) !== undefined);
        // One list element of each kind is enough: services differ only in their values.
        const seen = new Set<string>();
        const unique = paths.filter((p) => {
            const k = pattern(p);
            if (seen.has(k)) return false;
            seen.add(k);
            return true;
        });
        const before = cells(base);
        const report: string[] = [];
        for (const p of unique) {
            const [key, ...rest] = p as [string, ...(string | number)[]];
            const mutation: Mutation = { key, path: rest, value: lookup(WORSE, p) };
            const pf = await planFindings(await evaluateWith("prod", [mutation]));
            const table = pf.objectives!;
            const moved: string[] = [];
            for (const [id, after] of cells(table)) {
                const was = before.get(id)!;
                const wasS = was.seconds ?? Infinity;
                const nowS = after.seconds ?? Infinity;
                assert.ok(nowS >= wasS, `${pattern(p)} -> ${JSON.stringify(mutation.value)} made ${id} better: ${wasS} s -> ${nowS} s`);
                if (STATUS_RANK[was.status] !== undefined && STATUS_RANK[after.status] !== undefined) {
                    assert.ok(STATUS_RANK[after.status] >= STATUS_RANK[was.status], `${pattern(p)} made ${id} better: ${was.status} -> ${after.status}`);
                }
                if (nowS !== wasS || after.status !== was.status) moved.push(`${id} ${wasS}->${nowS} s ${was.status}->${after.status}`);
            }
            assert.ok(moved.length > 0, `${pattern(p)} -> ${JSON.stringify(mutation.value)} moved no cell: the model does not read it (list it in IRRELEVANT with the reason, or read it)`);
            // The mutation test of the issue: the plan exits 1 naming the objectives rule, or every
            // moved cell is still within (and the plan prints it).
            const blocked = pf.exitCode === 1 && pf.mandatoryViolations.includes("objectives-within-budget");
            const stillWithin = moved.every((m) => / within$/.test(m.split("->").pop()!));
            assert.ok(blocked || stillWithin, `${pattern(p)}: the plan neither fails on objectives-within-budget nor keeps the moved cells within: ${moved.join("; ")}`);
            report.push(`${pattern(p)} -> ${JSON.stringify(mutation.value)}: ${moved.length} cell(s), e.g. ${moved[0]}; plan ${blocked ? "exits 1 (objectives-within-budget)" : "passes, cells still within"}`);
        }
        // The walk's evidence, in the test log.
        console.log(report.map((l) => `      ${l}`).join("\n"));
    });

    it("loosening an objective (a larger value, or null) is rejected in prod and staging", async () => {
        const objectivePaths = leaves(prod.config)
            .filter((p) => pattern(p).startsWith(OBJECTIVE_PREFIX) && !pattern(p).startsWith("objectives.acceptedRisks"))
            .map((p) => p.slice(1));
        assert.ok(objectivePaths.length >= 15);
        for (const stack of ["prod", "staging"]) {
            for (const path of objectivePaths) {
                for (const value of [1_000_000, null]) {
                    if (value === null && path[path.length - 1] !== "rpoSeconds") continue;
                    let problems: readonly string[] = [];
                    // A scenario's objective is one object: change one field of the resolved whole.
                    const m: Mutation =
                        path[0] === "scenarios"
                            ? { key: "objectives", path: path.slice(0, 2), value: { ...(prod.config.objectives.scenarios as any)[path[1]], [path[2]]: value } }
                            : { key: "objectives", path, value };
                    try {
                        await evaluateWith(stack, [m]);
                    } catch (e) {
                        if (!(e instanceof ConfigError)) throw e;
                        problems = e.problems;
                    }
                    assert.ok(problems.some((m) => /looser|tighten|null/i.test(m)), `${stack}: objectives.${path.join(".")} = ${value} was accepted`);
                }
            }
        }
    });
});

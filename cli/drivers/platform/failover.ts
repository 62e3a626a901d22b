/**
 * Cross-region failover on the platform, run against the DR stack (role dr). Nothing on this
 * path needs a control plane in the primary region (issue 11): the fence and its proof go
 * through S3 in the DR and tier-3 regions and the Route 53 DNS data plane (fence.ts).
 *
 * - positions: the DR standby's receive/replay LSNs and lag (pod exec) and the archive max per
 *   repo (pgbackrest info in the DR pod): nothing in the primary region is asked.
 * - drCapacity: Ready nodes in the DR cluster and the standby cluster's ready instances.
 * - fencePrimary: (1) the repo fence — a Deny statement `FortressFailoverFence` for the primary's
 *   writer roles merged into the policy of every bucket outside the primary region it writes
 *   into (stack output `failoverFence`); (2) best effort, `spec.pause=true` on the primary's
 *   PerconaPGCluster through the PRIMARY cluster's API (FORTRESS_PRIMARY_KUBE_CONTEXT) when it
 *   answers. Neither call's own answer is trusted.
 * - proveFenced: repo writes stopped = every bucket policy READ BACK holding the complete Deny;
 *   writes stopped = the primary API shows the cluster paused with no ready instance, OR (API
 *   down or not paused) the zone's authoritative name servers answer every hostname's DR target
 *   and kept answering it for the records' TTL (Route 53 health-check failover, the data plane;
 *   the command never calls Route 53's API). The fenced position is read in the DR region: the
 *   highest of the standby's received LSN and the start of the newest WAL segment in the DR
 *   tier-2 repo. Without both proofs the command refuses to promote (exit 3).
 * - promoteStandby: waits for replay to reach the fenced LSN, then `spec.standby.enabled=false` on
 *   the DR cluster (data plane, immediate), then the DR stack's `dr.promote=true` through the
 *   Automation API from a temporary config, so the next `pulumi up` does not turn it back
 *   into a standby.
 * - liftFence (`fortress failover --unfence`, fail-back): removes the Deny and reads back that
 *   it is gone, every other statement of the bucket policies kept.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { DatabasePositions, FailoverPrimitives, FenceProof, ProbeResult, Wait } from "../types";
import { PreflightError, StepFailed } from "../../errors";
import { bytesToLsn, lsnToBytes } from "../../parse";
import type { StackContext } from "../../stack";
import { KubeClient } from "./kube";
import { PG_CLUSTERS } from "./resources";
import type { PlatformDatabase } from "./database";
import type { DnsFailoverCheck, RepoFence } from "./fence";
import { setDrStackConfig } from "./pulumi";

/** PostgreSQL's default WAL segment size (wal_segment_size; the operator does not change it). */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/** The first LSN of a WAL segment named TTTTTTTTXXXXXXXXYYYYYYYY (timeline, log, segment). */
export function segmentStartLsn(walName: string, segmentBytes = WAL_SEGMENT_BYTES): string | undefined {
    const m = /^[0-9A-F]{8}([0-9A-F]{8})([0-9A-F]{8})$/i.exec(walName);
    if (!m) return undefined;
    return bytesToLsn(parseInt(m[1], 16) * 0x1_0000_0000 + parseInt(m[2], 16) * segmentBytes);
}

/** The position the DR side holds at the fence: the standby's received LSN or the newest DR tier-2 WAL segment's start, the higher. */
export function fencedPosition(p: DatabasePositions): { lsn?: string; detail: string } {
    const received = p.standby?.flushLsn;
    const wal = p.archived.tier2?.wal;
    const walStart = wal ? segmentStartLsn(wal) : undefined;
    const candidates = [received, walStart].filter((x): x is string => !!x);
    if (candidates.length === 0) return { detail: "fenced position unknown (no received LSN on the standby, no WAL in the DR tier-2 repo)" };
    const lsn = candidates.reduce((a, b) => (lsnToBytes(b) > lsnToBytes(a) ? b : a));
    return { lsn, detail: `fenced position ${lsn} (standby received ${received ?? "unknown"}; newest WAL in the DR tier-2 repo ${wal ?? "none"}${walStart ? `, starting at ${walStart}` : ""})` };
}

/** The fence that needs no primary-region control plane; a string says why a part is missing. */
export interface DataPlaneFence {
    readonly repo: RepoFence | string;
    readonly dns: DnsFailoverCheck | string;
}

export class PlatformFailover implements FailoverPrimitives {
    constructor(
        private readonly dr: KubeClient,
        private readonly db: PlatformDatabase,
        private readonly primary: KubeClient | undefined,
        private readonly primaryNamespace: string,
        private readonly cluster: string,
        private readonly stackChange: (changes: Record<string, unknown>, wait: Wait) => Promise<readonly string[]>,
        private readonly dataPlane: DataPlaneFence = { repo: "no failoverFence in the stack outputs", dns: "no name servers for the failover records" },
    ) {}

    positions(wait: Wait): Promise<DatabasePositions> {
        return this.db.positions(wait);
    }

    async drCapacity(wait: Wait): Promise<ProbeResult> {
        void wait;
        const nodes = (await this.dr.core.listNode()).items;
        const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && !n.spec?.unschedulable);
        const c = (await this.dr.custom.getNamespacedCustomObject({ ...PG_CLUSTERS, namespace: this.db.namespaceName, name: this.cluster })) as { status?: { postgres?: { ready?: number; size?: number } } };
        const inst = c.status?.postgres?.ready ?? 0;
        const ok = ready.length > 0 && inst > 0;
        return { name: "dr-capacity", ok, detail: `${ready.length}/${nodes.length} DR node(s) Ready and schedulable; standby ${this.cluster}: ${inst}/${c.status?.postgres?.size ?? "?"} instance(s) ready`, value: ready.length };
    }

    private async readPrimary(): Promise<{ paused: boolean; ready: number } | string> {
        if (!this.primary) return "no kube context for the primary region (FORTRESS_PRIMARY_KUBE_CONTEXT)";
        try {
            const c = (await this.primary.custom.getNamespacedCustomObject({ ...PG_CLUSTERS, namespace: this.primaryNamespace, name: this.cluster })) as { spec?: { pause?: boolean }; status?: { postgres?: { ready?: number } } };
            return { paused: c.spec?.pause === true, ready: c.status?.postgres?.ready ?? -1 };
        } catch (e) {
            return `primary region API did not answer: ${(e as Error).message}`;
        }
    }

    /** Best effort: spec.pause through the primary region's API, when it answers. */
    private async pausePrimary(): Promise<string> {
        if (!this.primary) return "no kube context for the primary region: no pause sent (best effort; the fence does not need it)";
        try {
            await this.primary.custom.patchNamespacedCustomObject({ ...PG_CLUSTERS, namespace: this.primaryNamespace, name: this.cluster, body: [{ op: "add", path: "/spec/pause", value: true }] });
            return `primary PerconaPGCluster ${this.primaryNamespace}/${this.cluster}: spec.pause=true sent (best effort)`;
        } catch (e) {
            return `primary PerconaPGCluster pause not sent (best effort; the fence does not need it): ${(e as Error).message}`;
        }
    }

    async fencePrimary(wait: Wait): Promise<FenceProof> {
        // Without the repo fence no proof can hold: stop before changing anything.
        if (typeof this.dataPlane.repo === "string") throw new PreflightError(`the failover fence cannot be set: ${this.dataPlane.repo}; nothing was changed`);
        const evidence = [...(await this.dataPlane.repo.apply(wait))];
        evidence.push(await this.pausePrimary());
        return { writesStopped: false, repoWritesStopped: false, evidence };
    }

    /** Writes stopped: the primary shows itself paused with nothing ready, or the DNS data plane answers the DR targets. */
    private async proveWrites(wait: Wait): Promise<{ ok: boolean; lines: string[] }> {
        const p = await this.readPrimary();
        const lines: string[] = [];
        if (typeof p !== "string") {
            const stopped = p.paused && p.ready === 0;
            lines.push(`primary PerconaPGCluster ${this.primaryNamespace}/${this.cluster}: spec.pause=${p.paused}, status.postgres.ready=${p.ready}${stopped ? " (no PostgreSQL runs: no writes, no archive-push)" : ""}`);
            if (stopped) return { ok: true, lines };
        } else lines.push(`${p}: proved through the DNS data plane instead`);
        if (typeof this.dataPlane.dns === "string") return { ok: false, lines: [...lines, `DNS not checked: ${this.dataPlane.dns}`] };
        const d = await this.dataPlane.dns.confirm("dr", wait);
        return { ok: d.ok, lines: [...lines, `clients' path: ${d.detail}`] };
    }

    async proveFenced(wait: Wait): Promise<FenceProof> {
        const repo = typeof this.dataPlane.repo === "string" ? { ok: false, lines: [`repo fence not proved: ${this.dataPlane.repo}`] } : await this.dataPlane.repo.prove(wait);
        // Read before the DNS wait, which may take the rest of the deadline.
        const pos = fencedPosition(await this.db.positions(wait));
        const writes = await this.proveWrites(wait);
        const evidence = [...repo.lines, ...writes.lines, pos.detail];
        return { writesStopped: writes.ok, repoWritesStopped: repo.ok, ...(pos.lsn ? { fencedAtLsn: pos.lsn } : {}), evidence };
    }

    /** Fail-back: removes the repo fence and reads back that it is gone. */
    async liftFence(wait: Wait): Promise<{ ok: boolean; evidence: readonly string[] }> {
        if (typeof this.dataPlane.repo === "string") return { ok: false, evidence: [`nothing to lift: ${this.dataPlane.repo}`] };
        const r = await this.dataPlane.repo.lift(wait);
        return { ok: r.ok, evidence: r.lines };
    }

    async promoteStandby(minLsn: string | undefined, wait: Wait) {
        const r = await this.db.promoteStandby(minLsn, wait);
        let lines: readonly string[];
        try {
            lines = await this.stackChange({ "dr.promote": true }, wait);
        } catch (e) {
            throw new StepFailed(`the DR cluster IS promoted (${r.evidence.join("; ")}) but the DR stack's dr.promote=true was not applied: ${(e as Error).message}; apply it before any other pulumi up, or that up makes the cluster a standby again`);
        }
        return { ...r, evidence: [...r.evidence, ...lines] };
    }
}

export function primaryKube(kc: KubeConfig, context: string | undefined, make: (kc: KubeConfig) => KubeClient): KubeClient | undefined {
    if (!context) return undefined;
    const copy = new (kc.constructor as new () => KubeConfig)();
    copy.loadFromString(kc.exportConfig());
    if (!copy.getContextObject(context)) return undefined;
    copy.setCurrentContext(context);
    return make(copy);
}

export function drStackChange(stack: StackContext) {
    return (changes: Record<string, unknown>, wait: Wait) => setDrStackConfig(stack, changes, wait);
}

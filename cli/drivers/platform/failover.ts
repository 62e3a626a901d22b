/**
 * Cross-region failover on the platform, run against the DR stack (role dr).
 *
 * - positions: the DR standby's receive/replay LSNs and lag (pod exec) and the archive max per
 *   repo (pgbackrest info in the DR pod): nothing in the primary region is asked.
 * - drCapacity: Ready nodes in the DR cluster and the standby cluster's ready instances.
 * - fencePrimary: `spec.pause=true` on the primary's PerconaPGCluster through the PRIMARY
 *   cluster's API (kube context of the primary stack, or FORTRESS_PRIMARY_KUBE_CONTEXT), when it
 *   answers — best effort; its own answer is never trusted.
 * - proveFenced: re-reads the primary cluster (paused, no ready instance) — the writes and, since
 *   pgBackRest's archive-push runs inside those pods, the repo writes. When the primary region's
 *   API does not answer, the fence CANNOT be proved from here: the proof says so and the
 *   command refuses to promote (exit 3). That is the platform's honest limit today: a fence that
 *   needs no primary-region control plane (revoking the primary's writer role on the tier
 *   buckets) is not built (docs/recovery-commands.md).
 * - promoteStandby: waits for replay to reach the fenced LSN, then `spec.standby.enabled=false` on
 *   the DR cluster (data plane, immediate), then the DR stack's `dr.promote=true` through the
 *   Automation API from a temporary config, so the next `pulumi up` does not turn it back
 *   into a standby.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { DatabasePositions, FailoverPrimitives, FenceProof, ProbeResult, Wait } from "../types";
import { StepFailed } from "../../errors";
import type { StackContext } from "../../stack";
import { KubeClient } from "./kube";
import type { PlatformDatabase } from "./database";
import { setDrStackConfig } from "./pulumi";

export class PlatformFailover implements FailoverPrimitives {
    constructor(
        private readonly dr: KubeClient,
        private readonly db: PlatformDatabase,
        private readonly primary: KubeClient | undefined,
        private readonly primaryNamespace: string,
        private readonly cluster: string,
        private readonly stackChange: (changes: Record<string, unknown>, wait: Wait) => Promise<readonly string[]>,
    ) {}

    positions(wait: Wait): Promise<DatabasePositions> {
        return this.db.positions(wait);
    }

    async drCapacity(wait: Wait): Promise<ProbeResult> {
        void wait;
        const nodes = (await this.dr.core.listNode()).items;
        const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && !n.spec?.unschedulable);
        const c = (await this.dr.custom.getNamespacedCustomObject({ group: "pgv2.percona.com", version: "v2", namespace: this.db.namespaceName, plural: "perconapgclusters", name: this.cluster })) as { status?: { postgres?: { ready?: number; size?: number } } };
        const inst = c.status?.postgres?.ready ?? 0;
        const ok = ready.length > 0 && inst > 0;
        return { name: "dr-capacity", ok, detail: `${ready.length}/${nodes.length} DR node(s) Ready and schedulable; standby ${this.cluster}: ${inst}/${c.status?.postgres?.size ?? "?"} instance(s) ready`, value: ready.length };
    }

    private async readPrimary(): Promise<{ paused: boolean; ready: number } | string> {
        if (!this.primary) return "no kube context for the primary region (set the primary stack's kubernetes.context or FORTRESS_PRIMARY_KUBE_CONTEXT)";
        try {
            const c = (await this.primary.custom.getNamespacedCustomObject({ group: "pgv2.percona.com", version: "v2", namespace: this.primaryNamespace, plural: "perconapgclusters", name: this.cluster })) as { spec?: { pause?: boolean }; status?: { postgres?: { ready?: number } } };
            return { paused: c.spec?.pause === true, ready: c.status?.postgres?.ready ?? -1 };
        } catch (e) {
            return `primary region API did not answer: ${(e as Error).message}`;
        }
    }

    async fencePrimary(wait: Wait): Promise<FenceProof> {
        void wait;
        const evidence: string[] = [];
        if (this.primary) {
            try {
                await this.primary.custom.patchNamespacedCustomObject({ group: "pgv2.percona.com", version: "v2", namespace: this.primaryNamespace, plural: "perconapgclusters", name: this.cluster, body: [{ op: "add", path: "/spec/pause", value: true }] });
                evidence.push(`primary PerconaPGCluster ${this.primaryNamespace}/${this.cluster}: spec.pause=true sent`);
            } catch (e) {
                evidence.push(`primary PerconaPGCluster pause not sent: ${(e as Error).message}`);
            }
        } else evidence.push("no kube context for the primary region: nothing sent");
        return { writesStopped: false, repoWritesStopped: false, evidence };
    }

    async proveFenced(wait: Wait): Promise<FenceProof> {
        void wait;
        const p = await this.readPrimary();
        if (typeof p === "string") return { writesStopped: false, repoWritesStopped: false, evidence: [`${p}: the fence cannot be proved from here`] };
        const stopped = p.paused && p.ready === 0;
        return { writesStopped: stopped, repoWritesStopped: stopped, evidence: [`primary PerconaPGCluster ${this.primaryNamespace}/${this.cluster}: spec.pause=${p.paused}, status.postgres.ready=${p.ready}${stopped ? " (no PostgreSQL runs, so no archive-push either)" : ""}`] };
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

/**
 * Kubernetes workloads: the platform's Deployments (found by their labels), their probes and replicas.
 */
import { LABEL_KEYS } from "../../components/core/names";
import { BUDGETS, CONSTANTS, K8S_PROBE_DEFAULTS, vendor } from "../constants";
import { ModelContext, collect } from "../input";
import { RESOURCE_TYPES, extract } from "../resources";
import { Bound, budget, declared } from "../terms";
import type { RecordedResource } from "../../components/core/recorded-resource";


export interface DeclaredProbe {
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly failureThreshold: number;
}

export interface DeclaredWorkload {
    readonly kind: "Deployment" | "StatefulSet";
    readonly name: string;
    readonly namespace?: string;
    readonly replicas: number;
    readonly labels: Readonly<Record<string, string>>;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly containers: readonly { readonly name: string; readonly readiness?: DeclaredProbe; readonly liveness?: DeclaredProbe }[];
    readonly hasVolumeClaims: boolean;
}

export function probeOf(raw: any): DeclaredProbe | undefined {
    if (!raw || typeof raw !== "object") return undefined;
    return {
        periodSeconds: typeof raw.periodSeconds === "number" ? raw.periodSeconds : K8S_PROBE_DEFAULTS.periodSeconds,
        timeoutSeconds: typeof raw.timeoutSeconds === "number" ? raw.timeoutSeconds : K8S_PROBE_DEFAULTS.timeoutSeconds,
        failureThreshold: typeof raw.failureThreshold === "number" ? raw.failureThreshold : K8S_PROBE_DEFAULTS.failureThreshold,
    };
}

/** Worst-case time from a failure to the probe declaring it: the failure can come just after a passing probe, and a hung endpoint makes each probe wait its timeout. */
export function probeDetectionSeconds(p: DeclaredProbe): number {
    return p.periodSeconds * p.failureThreshold + p.timeoutSeconds;
}

export function workloads(resources: readonly RecordedResource[]) {
    const read = (kind: DeclaredWorkload["kind"]) => (r: RecordedResource): DeclaredWorkload => {
        const p = r.inputs;
        const template = p.spec?.template ?? {};
        const containers = Array.isArray(template.spec?.containers) ? template.spec.containers : [];
        return {
            kind,
            name: String(p.metadata?.name ?? r.name),
            namespace: typeof p.metadata?.namespace === "string" ? p.metadata.namespace : undefined,
            replicas: typeof p.spec?.replicas === "number" ? p.spec.replicas : 1,
            labels: { ...(p.metadata?.labels ?? {}) },
            podLabels: { ...(template.metadata?.labels ?? {}) },
            containers: containers.map((c: any) => ({ name: String(c?.name ?? "?"), readiness: probeOf(c?.readinessProbe), liveness: probeOf(c?.livenessProbe) })),
            hasVolumeClaims: Array.isArray(p.spec?.volumeClaimTemplates) && p.spec.volumeClaimTemplates.length > 0,
        };
    };
    const d = extract(resources, RESOURCE_TYPES.deployment, read("Deployment"));
    const s = extract(resources, RESOURCE_TYPES.statefulSet, read("StatefulSet"));
    return { found: [...d.found, ...s.found], unknown: [...d.unknown, ...s.unknown] };
}

// ---------------------------------------------------------------------------------------------
// Bounds

/** The Deployments labelled as platform services (LABEL_KEYS.purpose = service). */
export function appWorkloads(ctx: ModelContext): DeclaredWorkload[] {
    return collect(ctx, workloads(ctx.resources)).filter((w) => w.kind === "Deployment" && w.labels[LABEL_KEYS.purpose] === "service");
}

function missingServices(ctx: ModelContext): string[] {
    const have = new Set(appWorkloads(ctx).map((w) => w.name));
    return ctx.input.services.map((s) => s.name).filter((n) => !have.has(n));
}

/** A failed or hung container: the slowest probe of any service. */
export function probeDetection(ctx: ModelContext): Bound {
    const ws = appWorkloads(ctx);
    const absent = missingServices(ctx);
    if (absent.length > 0) return { missing: `services ${absent.join(", ")} are configured but no Deployment labelled ${LABEL_KEYS.purpose}=service with that name is declared in this stack: S1 detection relies on their probes` };
    const bare = ws.flatMap((w) => w.containers.filter((c) => !c.readiness && !c.liveness).map((c) => `${w.name}/${c.name}`));
    if (bare.length > 0) return { missing: `containers without a readiness or liveness probe: ${bare.join(", ")}; their failure is never detected` };
    let worst: { label: string; seconds: number; ref: string } | undefined;
    for (const w of ws) {
        for (const c of w.containers) {
            const p = c.readiness ?? c.liveness!;
            const s = probeDetectionSeconds(p);
            if (!worst || s > worst.seconds) {
                worst = {
                    label: `probe of ${w.name}/${c.name}: periodSeconds ${p.periodSeconds} x failureThreshold ${p.failureThreshold} + timeoutSeconds ${p.timeoutSeconds}`,
                    seconds: s,
                    ref: `${RESOURCE_TYPES.deployment} ${w.name}.spec.template.spec.containers[${c.name}].${c.readiness ? "readinessProbe" : "livenessProbe"}`,
                };
            }
        }
    }
    return {
        mechanism: `readiness probes (${ws.length} Deployment${ws.length === 1 ? "" : "s"}; the slowest bounds)`,
        terms: [declared(worst!.label, worst!.seconds, worst!.ref)],
        notes: [`probe semantics and defaults: ${CONSTANTS.k8sProbeDefaults.source.ref}`],
    };
}

/**
 * A lost node: its kubelet runs no probes, so its pods stay in the Service's endpoints until
 * the node controller marks the node NotReady after node-monitor-grace-period.
 */
export function nodeLossDetection(): Bound {
    return { mechanism: "node controller (a lost node runs no probes)", terms: [vendor("nodeMonitorGracePeriod")] };
}

/** After detection: the other replicas serve once the endpoints are updated, or a one-replica Deployment restarts. */
export function serviceRestore(ctx: ModelContext): Bound {
    const ws = appWorkloads(ctx);
    const single = ws.filter((w) => w.replicas < 2).map((w) => w.name);
    const propagate = budget("Endpoints propagation to kube-proxy and the Istio sidecars", BUDGETS.endpointsPropagation.seconds, BUDGETS.endpointsPropagation.from);
    return {
        mechanism: single.length === 0 ? "the other replicas serve (every Deployment has 2 or more)" : "restart of single-replica Deployments",
        terms: single.length === 0 ? [propagate] : [propagate, budget(`restarting ${single.join(", ")} (one replica)`, BUDGETS.singleReplicaRestart.seconds, BUDGETS.singleReplicaRestart.from)],
    };
}

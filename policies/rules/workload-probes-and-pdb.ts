import type { PolicyResource } from "@pulumi/policy";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

function namespaceOf(r: PolicyResource): string {
    const ns = r.props.metadata?.namespace ?? r.provider?.props.namespace;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

/** Does the selector (matchLabels only, the form PDBs here use) select pods with these labels? */
function selects(selector: any, labels: Readonly<Record<string, string>>): boolean {
    const match = selector?.matchLabels ?? {};
    const exprs = selector?.matchExpressions ?? [];
    const keys = Object.keys(match);
    if (keys.length === 0 && exprs.length === 0) return false;
    return keys.every((k) => labels[k] === match[k]) && exprs.every((e: any) => (e?.operator === "In" ? (e.values ?? []).includes(labels[e.key]) : e?.operator === "Exists" ? e.key in labels : false));
}

/**
 * Every workload is watched and shielded: each container has a readiness and a liveness
 * probe (S1 detection), and a PodDisruptionBudget selects the workload's pods so a node drain
 * or an upgrade cannot take all replicas at once.
 */
export const workloadProbesAndPdb = stackRule({
    name: "workload-probes-and-pdb",
    description: "Every Deployment and StatefulSet has readiness and liveness probes on each container and a PodDisruptionBudget.",
    enforcementLevel: "mandatory",
    severity: "medium",
    compliance: [CONTROLS.gdprResilience, CONTROLS.hipaaEmergencyMode, CONTROLS.pciIncidentResponse, CONTROLS.soxOperations],
    remediationSteps: "Give every container readinessProbe and livenessProbe (periodSeconds 10, timeoutSeconds 5, failureThreshold 3 per docs/architecture.md, Detection and failover) and declare a policy/v1 PodDisruptionBudget whose selector matches the pod template's labels.",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const workloads = [...view.ofType(RESOURCE_TYPES.deployment), ...view.ofType(RESOURCE_TYPES.statefulSet)];
        if (workloads.length === 0) return args.notApplicable("no Deployment or StatefulSet is declared");
        const pdbs = view.ofType(RESOURCE_TYPES.pdb);
        for (const w of workloads) {
            const template = w.props.spec?.template ?? {};
            for (const c of template.spec?.containers ?? []) {
                const missing = [!c?.readinessProbe && "readinessProbe", !c?.livenessProbe && "livenessProbe"].filter(Boolean);
                if (missing.length > 0) report(`${StackView.label(w)} container ${c?.name}: no ${missing.join(" or ")}; a hung process would keep receiving traffic or never restart`, w.urn);
            }
            const labels = template.metadata?.labels ?? {};
            const ns = namespaceOf(w);
            if (!pdbs.some((p) => namespaceOf(p) === ns && selects(p.props.spec?.selector, labels))) {
                report(`${StackView.label(w)}: no PodDisruptionBudget in namespace ${ns} selects its pods (${JSON.stringify(labels)}); a drain could evict every replica at once`, w.urn);
            }
        }
    },
});

import type { PolicyResource } from "@pulumi/policy";
import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { StackView, RESOURCE_TYPES } from "../lib/stack-view";

/** Types whose deletion loses data (backups, the keys to them, databases, volumes). */
const STATEFUL: ReadonlySet<string> = new Set([RESOURCE_TYPES.bucket, RESOURCE_TYPES.kmsKey, RESOURCE_TYPES.kmsReplicaKey, RESOURCE_TYPES.gcsBucket, RESOURCE_TYPES.gcpKeyRing, RESOURCE_TYPES.gcpCryptoKey, RESOURCE_TYPES.pgCluster, RESOURCE_TYPES.pvc]);

function isStateful(r: PolicyResource): boolean {
    if (STATEFUL.has(r.type)) return true;
    return r.type === RESOURCE_TYPES.statefulSet && Array.isArray(r.props.spec?.volumeClaimTemplates) && r.props.spec.volumeClaimTemplates.length > 0;
}

/** In prod, nothing that holds data can be deleted by a `pulumi destroy` or a replacement without first unprotecting it. */
export const statefulResourcesProtected = stackRule({
    name: "stateful-resources-protected",
    description: "In prod, stateful resources (buckets, keys, databases, volumes) are protected.",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.soxRecordIntegrity, CONTROLS.hipaaMediaBackup, CONTROLS.gdprRestore, CONTROLS.pciIncidentResponse],
    remediationSteps: "Pass { protect: true } (components take a `protect` argument; stacks set it to environment === \"prod\").",
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const config = view.configOrReport(report, "cannot tell whether this is prod");
        if (!config) return;
        if (config.environment !== "prod") return args.notApplicable(`environment ${config.environment}: protection is required in prod only`);
        const unprotected = args.resources.filter((r) => isStateful(r) && !r.opts.protect);
        for (const r of unprotected) report(`${StackView.label(r)} holds data but is not protected; a destroy or replacement would delete it`, r.urn);
    },
});

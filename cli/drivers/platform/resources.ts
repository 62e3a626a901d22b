/**
 * Every custom resource the platform driver creates, built by pure functions and validated
 * against the vendored CRDs (crds/) before anything is sent: the API server would silently
 * prune a misspelt field, and a PerconaPGRestore with a pruned `--target` restores to the end
 * of the WAL instead of the chosen time.
 */
import { assertCustomResource } from "../../../crds";
import type { RecoveryTarget, Tier } from "../types";
import { pgTimestamp } from "../../parse";

export const PERCONA_API = "pgv2.percona.com/v2";

/** Tier → the operator's pgBackRest repo name (components/postgres: repo1 local, repo2 S3 DR region, repo3 tier 3). */
export const REPO_OF_TIER: Readonly<Record<Tier, "repo1" | "repo2" | "repo3">> = { tier1: "repo1", tier2: "repo2", tier3: "repo3" };

const LABELS = { "app.kubernetes.io/managed-by": "fortress-cli" };

export interface CustomResource {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

function checked<T extends CustomResource>(obj: T): T {
    assertCustomResource(obj, `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`);
    return obj;
}

/** A Kubernetes object name from a run id: lower case, at most 63 characters. */
export function resourceName(prefix: string, runId: string): string {
    return `${prefix}-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

export function perconaBackup(o: { name: string; namespace: string; cluster: string; tier: Tier; type: "full" | "diff" | "incr"; reason?: string }): CustomResource {
    return checked({
        apiVersion: PERCONA_API,
        kind: "PerconaPGBackup",
        metadata: { name: o.name, namespace: o.namespace, labels: LABELS, annotations: o.reason ? { "fortress.dr/reason": o.reason } : undefined },
        spec: { pgCluster: o.cluster, repoName: REPO_OF_TIER[o.tier], options: [`--type=${o.type}`] },
    });
}

/** pgBackRest restore options for a target; `pause` holds the copy at the target (never promote silently). */
export function restoreOptions(target: RecoveryTarget, set?: string): string[] {
    const setOpt = set ? [`--set=${set}`] : [];
    switch (target.kind) {
        case "time":
            return [...setOpt, "--type=time", `--target=${pgTimestamp(target.time)}`, "--target-action=pause"];
        case "lsn":
            return [...setOpt, "--type=lsn", `--target=${target.lsn}`, "--target-action=pause"];
        case "set":
            return [`--set=${target.label}`, "--type=immediate", "--target-action=pause"];
        case "latest":
            return [...setOpt, "--type=default"];
    }
}

/** An in-place restore of the cluster (the command allows it only with the source proved fenced). */
export function perconaRestore(o: { name: string; namespace: string; cluster: string; tier: Tier; target: RecoveryTarget; set?: string; reason?: string }): CustomResource {
    return checked({
        apiVersion: PERCONA_API,
        kind: "PerconaPGRestore",
        metadata: { name: o.name, namespace: o.namespace, labels: LABELS, annotations: o.reason ? { "fortress.dr/reason": o.reason } : undefined },
        spec: { pgCluster: o.cluster, repoName: REPO_OF_TIER[o.tier], options: restoreOptions(o.target, o.set) },
    });
}

// No Velero Backup builder: the vendored Velero CRDs (crds/velero-crds.yaml) hold Schedule and
// BackupStorageLocation only, so a Backup could not be validated before sending. An on-demand
// configuration backup waits for the Backup CRD to be vendored (docs/recovery-commands.md).

/**
 * Pod-spec pieces every Fortress pod repeats, written once: the restricted security contexts
 * (non-root, RuntimeDefault seccomp, no privilege escalation, no capabilities) that Pod
 * Security "restricted" admits, and the writable scratch directory a read-only root needs.
 * IRSA's token volume and env are in irsa-pod.ts.
 */

/** The uid/gid the job image runs as (jobs/Dockerfile's `fortress` user). */
export const JOB_UID = 10001;

/**
 * Pod security context: non-root as `uid` (group too, unless `runAsGroup: false` leaves the
 * image's group), RuntimeDefault seccomp; `fsGroup` makes volumes writable to it.
 */
export function nonRootPodSecurity(uid: number, options: { fsGroup?: boolean; runAsGroup?: boolean } = {}) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        ...(options.runAsGroup === false ? {} : { runAsGroup: uid }),
        ...(options.fsGroup ? { fsGroup: uid } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/**
 * The head of a Job's pod spec, for spreading: the service account, never restarted in place
 * (the Job's backoffLimit retries), non-root as `uid` (the job image's JOB_UID unless given).
 */
export function jobPodBasics(serviceAccountName: string, options: { uid?: number; fsGroup?: boolean } = {}) {
    return { serviceAccountName, restartPolicy: "Never", securityContext: nonRootPodSecurity(options.uid ?? JOB_UID, { fsGroup: options.fsGroup }) };
}

/** Container security context: no privilege escalation, every capability dropped; a read-only root unless told otherwise. */
export function restrictedContainerSecurity(options: { readOnlyRootFilesystem?: boolean } = {}) {
    return {
        allowPrivilegeEscalation: false,
        ...(options.readOnlyRootFilesystem === false ? {} : { readOnlyRootFilesystem: true }),
        capabilities: { drop: ["ALL"] },
    };
}

export const SCRATCH_VOLUME = "scratch";

/** An emptyDir for /tmp: a container with a read-only root still needs somewhere to write. */
export function scratchVolume() {
    return { name: SCRATCH_VOLUME, emptyDir: {} };
}

export function scratchMount(mountPath = "/tmp") {
    return { name: SCRATCH_VOLUME, mountPath };
}

/**
 * Requests for CPU and memory and a memory limit, no CPU limit: a backup or restore that is
 * throttled by a CPU limit runs long and stretches the RPO, while an unbounded memory leak
 * would take the node's other pods with it.
 */
export function containerResources(cpuRequest: string, memoryRequest: string, memoryLimit: string) {
    return { requests: { cpu: cpuRequest, memory: memoryRequest }, limits: { memory: memoryLimit } };
}

/**
 * An exec probe for a loop that touches `file` every round: it fails when the file is older
 * than `staleSeconds` (the loop is hung), checked every `periodSeconds`, 5 s timeout, 3 failures.
 */
export function heartbeatProbe(staleSeconds: number, periodSeconds: number, file = "/tmp/heartbeat") {
    return {
        exec: { command: ["sh", "-c", `test $(( $(date +%s) - $(stat -c %Y ${file}) )) -lt ${staleSeconds}`] },
        periodSeconds,
        timeoutSeconds: 5,
        failureThreshold: 3,
    };
}

/**
 * Pod-spec pieces of every pod that runs the fortress CLI image (cli/Dockerfile): its user,
 * the two ConfigMaps that hold the stack file and the driver's stack outputs
 * (components/recovery/stack-files.ts), mounted read-only, and the env that points the CLI at
 * them. The ConfigMaps themselves are declared once per stack by `declareCliStackFiles`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CLI_OUTPUTS_DIR, CLI_OUTPUTS_FILE, CLI_STACKS_DIR, DriverOutputs, STACK_CONFIG_MAP, STACK_OUTPUTS_CONFIG_MAP, renderDriverOutputs, renderStackFile, runtimeIsConfigSecret } from "./stack-files";

/** The uid/gid the CLI image runs as (cli/Dockerfile's `fortress` user). */
export const CLI_UID = 65532;
/** Where the CLI keeps run state and its local audit log in a pod (a writable emptyDir). */
export const CLI_STATE_DIR = "/tmp/fortress";

const STACK_VOLUME = "fortress-stack";
const OUTPUTS_VOLUME = "fortress-stack-outputs";

export function cliStackVolumes() {
    return [
        { name: STACK_VOLUME, configMap: { name: STACK_CONFIG_MAP } },
        { name: OUTPUTS_VOLUME, configMap: { name: STACK_OUTPUTS_CONFIG_MAP } },
    ];
}

export function cliStackMounts() {
    return [
        { name: STACK_VOLUME, mountPath: CLI_STACKS_DIR, readOnly: true },
        { name: OUTPUTS_VOLUME, mountPath: CLI_OUTPUTS_DIR, readOnly: true },
    ];
}

export function cliStackEnv() {
    return [
        { name: "FORTRESS_STACKS_DIR", value: CLI_STACKS_DIR },
        { name: "FORTRESS_STACK_OUTPUTS", value: `${CLI_OUTPUTS_DIR}/${CLI_OUTPUTS_FILE}` },
        { name: "FORTRESS_STATE_DIR", value: CLI_STATE_DIR },
    ];
}

export interface CliStackFilesArgs {
    readonly namespace: string;
    readonly stack: string;
    /** The program's config (`pulumi.runtime.allConfig()`). */
    readonly config: Readonly<Record<string, string>>;
    /** @default the Pulumi runtime's own secret-key check */
    readonly isSecret?: (key: string) => boolean;
    readonly outputs: DriverOutputs;
    readonly labels: Record<string, string>;
}

/** The stack file and the driver's outputs as the two ConfigMaps the CLI pods mount. */
export function declareCliStackFiles(name: string, a: CliStackFilesArgs, opts: pulumi.CustomResourceOptions): { stack: k8s.core.v1.ConfigMap; outputs: k8s.core.v1.ConfigMap } {
    const stack = new k8s.core.v1.ConfigMap(
        `${name}-stack`,
        { metadata: { name: STACK_CONFIG_MAP, namespace: a.namespace, labels: a.labels }, data: { [`Pulumi.${a.stack}.yaml`]: renderStackFile(a.stack, a.config, a.isSecret ?? runtimeIsConfigSecret()) } },
        opts,
    );
    const outputs = new k8s.core.v1.ConfigMap(
        `${name}-outputs`,
        { metadata: { name: STACK_OUTPUTS_CONFIG_MAP, namespace: a.namespace, labels: a.labels }, data: { [CLI_OUTPUTS_FILE]: renderDriverOutputs(a.outputs) } },
        opts,
    );
    return { stack, outputs };
}

/**
 * The fortress CLI in a pod reads its stack the way it does on a laptop: a stack file
 * (`Pulumi.<stack>.yaml`, config/loader.ts, found through FORTRESS_STACKS_DIR) and the stack
 * outputs the platform driver reads (FORTRESS_STACK_OUTPUTS, cli/drivers/platform
 * StackOutputsView). The program renders both into ConfigMaps from what it was given:
 * - the stack file is rebuilt from the program's config (`pulumi.runtime.allConfig()`), keys of
 *   the project namespace only; `kubeconfig` never (the pod uses its service account), and a
 *   secret value never: it is written `secure: "[omitted]"`, which the loader reads as its
 *   secret placeholder, exactly as it reads an encrypted value on a laptop;
 * - the outputs are the subset the driver reads: tiers (bucket, region), scratchRestore,
 *   failoverFence (DR stack only).
 */
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { NAMESPACE } from "../../config/vocabulary";

/** Where the pods mount the two ConfigMaps, and the names of the files in them. */
export const CLI_STACKS_DIR = "/etc/fortress/stacks";
export const CLI_OUTPUTS_DIR = "/etc/fortress/outputs";
export const CLI_OUTPUTS_FILE = "outputs.json";
/** The ConfigMaps' names (one of each per stack, in the fortress namespace). */
export const STACK_CONFIG_MAP = "fortress-stack";
export const STACK_OUTPUTS_CONFIG_MAP = "fortress-stack-outputs";

/** What a secret value becomes in the rendered file: the loader reads any `secure:` value as "[secret]". */
export const OMITTED_SECRET = { secure: "[omitted]" } as const;

/**
 * The stack file's text from the program's config (`<namespace>:<key>` -> text, as the Pulumi
 * CLI hands it over). Every value is written as the string the loader would have produced
 * (loader.readStackFile turns a YAML object into JSON text), so loading the rendered file
 * gives the program's own values. `isSecret` says whether a key's value is secret.
 */
export function renderStackFile(stack: string, config: Readonly<Record<string, string>>, isSecret: (key: string) => boolean): string {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(config).sort()) {
        const [ns, name] = key.split(":", 2);
        if (ns !== NAMESPACE || name === undefined || name === "kubeconfig") continue;
        out[key] = isSecret(key) ? { ...OMITTED_SECRET } : config[key];
    }
    const header = `# Rendered by the ${NAMESPACE} program for stack ${stack} (components/recovery/stack-files.ts): its config without\n# kubeconfig and without secret values. Read by the fortress CLI in pods through FORTRESS_STACKS_DIR.\n`;
    return header + stringify({ config: out }, { lineWidth: 0 });
}

/**
 * Whether a config key holds a secret, from the Pulumi runtime (`pulumi.runtime.isConfigSecret`:
 * exported at run time by @pulumi/pulumi 3.248, absent from its type declarations). If this SDK
 * lacks it, every key counts as secret rather than risk writing a secret value into a ConfigMap.
 */
export function runtimeIsConfigSecret(): (key: string) => boolean {
    const f = (pulumi.runtime as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return typeof f === "function" ? (k) => f(k) : () => true;
}

/** The stack outputs the platform driver reads (cli/drivers/platform StackOutputsView). */
export interface DriverOutputs {
    readonly tiers: pulumi.Input<Record<string, { readonly bucketName: pulumi.Input<string>; readonly region: string }>>;
    readonly scratchRestore?: pulumi.Input<{ readonly readerRoleArn: pulumi.Input<string> }>;
    readonly failoverFence?: pulumi.Input<unknown>;
}

/** `outputs.json`: the driver's subset, as `pulumi stack output --json` would print it. */
export function renderDriverOutputs(o: DriverOutputs): pulumi.Output<string> {
    return pulumi.output(o).apply((v) => JSON.stringify(v, null, 2));
}

/**
 * The only module of the program that reads `pulumi.Config`. It hands every value of the
 * project namespace to the config layer (config/validate.ts `validateStackValues`), which
 * rejects unknown keys and validates the rest into one typed object.
 */
import * as pulumi from "@pulumi/pulumi";
import { FortressConfig, NAMESPACE, validateStackValues } from "../config";

export interface LoadedConfig {
    readonly config: FortressConfig;
    /** The kubeconfig secret, when set; never part of `config`, never printed. */
    readonly kubeconfig?: pulumi.Output<string>;
}

/** Reads and validates this stack's config; throws ConfigError listing every problem. */
export function loadConfig(): LoadedConfig {
    const config = validateStackValues(pulumi.runtime.allConfig());
    return { config, kubeconfig: new pulumi.Config(NAMESPACE).getSecret("kubeconfig") };
}

/**
 * Which driver a command runs on: `--lab <file>` (or FORTRESS_LAB) picks the lab driver with
 * that lab description; otherwise the platform driver built from the stack's config and outputs.
 */
import type { StackContext } from "../stack";
import type { Driver, MetricsSink } from "./types";

export type DriverChoice = { readonly kind: "lab"; readonly file: string } | { readonly kind: "platform" };

export async function makeDriver(choice: DriverChoice, stack: StackContext): Promise<Driver> {
    if (choice.kind === "lab") {
        // required on use (tsx and ts-node both resolve require; the other driver is never loaded)
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { createLabDriver } = require("./lab") as typeof import("./lab");
        return createLabDriver(choice.file, stack);
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createPlatformDriver } = require("./platform") as typeof import("./platform");
    return createPlatformDriver(stack);
}

/**
 * The driver's metrics sink on its own, for a run whose driver could not be made (no kubeconfig,
 * the primary down): its failure is still published. Undefined when the lab has no CloudWatch.
 */
export function makeMetricsSink(choice: DriverChoice, stack: StackContext): MetricsSink | undefined {
    if (choice.kind === "lab") {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const lab = require("./lab") as typeof import("./lab");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { readLabDescription } = require("./lab/description") as typeof import("./lab/description");
        return lab.labMetricsSink(readLabDescription(choice.file));
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { platformMetricsSink } = require("./platform") as typeof import("./platform");
    return platformMetricsSink(stack);
}

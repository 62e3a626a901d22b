/**
 * Which driver a command runs on: `--lab <file>` (or FORTRESS_LAB) picks the lab driver with
 * that lab description; otherwise the platform driver built from the stack's config and outputs.
 */
import type { StackContext } from "../stack";
import type { Driver } from "./types";

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

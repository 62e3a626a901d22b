/**
 * The platform driver: Kubernetes API (@kubernetes/client-node) for the Percona and Velero custom
 * resources, AWS SDK v3 for S3 / Route 53 / CloudWatch, the Pulumi Automation API for the DR stack.
 */
import type { StackContext } from "../../stack";
import type { Driver } from "../types";
import { PreflightError } from "../../errors";

export async function createPlatformDriver(stack: StackContext): Promise<Driver> {
    throw new PreflightError(`platform driver for stack ${stack.name}: the primitives are not in this build yet`);
}

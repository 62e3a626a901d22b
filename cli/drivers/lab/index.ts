/**
 * The lab driver: the recovery primitives on hosts — pgBackRest, PostgreSQL, redis-cli and an S3
 * endpoint — as described by a lab description file (description.ts) that the drills write.
 */
import type { StackContext } from "../../stack";
import type { Driver } from "../types";
import { PreflightError } from "../../errors";
import { readLabDescription } from "./description";

export async function createLabDriver(file: string, stack: StackContext): Promise<Driver> {
    const desc = readLabDescription(file);
    void stack;
    throw new PreflightError(`lab driver for ${desc.pgbackrest.stanza}: the primitives are not in this build yet`);
}

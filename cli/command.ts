/**
 * What a `fortress` command is: its name and help, the options it adds to the shared
 * conventions, and a function that turns parsed options into a step plan. Registering one is
 * one line in `cli/commands/index.ts`.
 */
import type { Command } from "commander";
import type { DriverChoice } from "./drivers";
import type { CommandPlan, Json } from "./runner";
import type { StackContext } from "./stack";

export interface PlanInput {
    /** The command's own options as commander parsed them (strings/booleans), plus the shared ones. */
    readonly opts: Record<string, unknown>;
    readonly stack: StackContext;
    readonly driver: DriverChoice;
    readonly dryRun: boolean;
}

export interface CommandDef {
    readonly name: string;
    /** One line for `fortress --help`. */
    readonly summary: string;
    /** Printed after the options in `fortress <name> --help`: what it does, guards, examples. */
    readonly help: string;
    /** Restore and failover: `--reason` is required. */
    readonly reasonRequired: boolean;
    /** Seconds each wait may take when `--timeout` is not given. */
    readonly defaultTimeoutSeconds: number;
    /** Adds the command's own options. */
    options(cmd: Command): void;
    /** Parses and checks the options (UsageError on bad ones) and builds the plan. */
    plan(input: PlanInput): CommandPlan;
    /** The options that identify a run (a rerun with the same ones resumes it). */
    fingerprint(opts: Record<string, unknown>): Record<string, Json>;
}

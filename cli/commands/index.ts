/**
 * The `fortress` commands, in help order. Registering a command is one line here (its module
 * exports a CommandDef: cli/command.ts).
 */
import type { CommandDef } from "../command";
import { backup } from "./backup";
import { drTest } from "./dr-test";
import { erasureReplay } from "../erasure/command";
import { failover } from "./failover";
import { restore } from "./restore";
import { status } from "./status";
import { validate } from "./validate";

export const COMMANDS: CommandDef[] = [
    status,
    backup,
    restore,
    failover,
    drTest,
    validate,
    erasureReplay,
];

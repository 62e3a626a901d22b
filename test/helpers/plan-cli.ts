/** Runs the plan CLI the way `npm run plan` does, for tests that check what a user sees. */
import { spawnSync } from "child_process";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface PlanRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** `npm run plan -- <args>`; `stacksDir` points FORTRESS_STACKS_DIR at scratch stack files. */
export function runPlan(args: readonly string[], stacksDir?: string): PlanRun {
    const r = spawnSync(process.execPath, [path.join(ROOT, "tools", "plan-launch.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...(stacksDir ? { FORTRESS_STACKS_DIR: stacksDir } : {}) },
        timeout: 120_000,
        // The --json document of a stack is several hundred kilobytes.
        maxBuffer: 256 * 1024 * 1024,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

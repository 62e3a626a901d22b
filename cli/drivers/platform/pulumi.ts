/**
 * DR-stack changes through the Pulumi Automation API with a TEMPORARY config: the committed
 * stack file is copied into a temporary workspace, the changes are applied there, and `up` runs
 * from it — `stacks/Pulumi.<stack>.yaml` is never rewritten (a failover must not leave an
 * uncommitted edit behind, nor depend on one).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { NAMESPACE, stackFile } from "../../../config";
import type { StackContext } from "../../stack";
import { deadlineSignal } from "../types";
import type { Wait } from "../types";

/** The committed stack file's config with `changes` applied ("endpoints.activeRegion" → fortress-dr:endpoints.activeRegion). */
export function temporaryStackSettings(committedYaml: string, changes: Readonly<Record<string, unknown>>): { config: Record<string, unknown> } {
    const doc = (parse(committedYaml) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, unknown> = JSON.parse(JSON.stringify(doc.config ?? {}));
    for (const [dotted, value] of Object.entries(changes)) {
        const [top, ...rest] = dotted.split(".");
        const key = `${NAMESPACE}:${top}`;
        if (rest.length === 0) {
            config[key] = value;
            continue;
        }
        const obj = (config[key] && typeof config[key] === "object" ? config[key] : {}) as Record<string, unknown>;
        let cur = obj;
        for (const k of rest.slice(0, -1)) cur = (cur[k] && typeof cur[k] === "object" ? cur[k] : (cur[k] = {})) as Record<string, unknown>;
        cur[rest[rest.length - 1]] = value;
        config[key] = obj;
    }
    return { config };
}

/** Writes the temporary workspace (project pointing at the repo's program, stack file with the changes). */
export function writeTemporaryWorkspace(stack: StackContext, changes: Readonly<Record<string, unknown>>): string {
    const repo = path.resolve(__dirname, "..", "..", "..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-dr-stack-"));
    const { stackConfigDir: _committedDir, ...project } = parse(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    // The CLI joins `main` and `stackConfigDir` to the project directory (path.Join: an absolute
    // path is appended, not taken as is): main is the repository's program relative to this
    // directory, and the stack file sits beside Pulumi.yaml (no stackConfigDir).
    // test/cli/drivers/platform/pulumi-automation.test.ts checks both against a recording pulumi.
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify({ ...project, main: path.relative(dir, path.resolve(repo, String(project.main ?? "."))) }));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack.name}.yaml`), stringify(temporaryStackSettings(fs.readFileSync(stackFile(stack.name), "utf8"), changes)));
    return dir;
}

export async function setDrStackConfig(stack: StackContext, changes: Readonly<Record<string, unknown>>, wait: Wait): Promise<string[]> {
    if (stack.config.role !== "dr") throw new Error(`stack ${stack.name} is a ${stack.config.role} stack; traffic is switched through its DR stack (e.g. ${stack.name}-dr)`);
    const dir = writeTemporaryWorkspace(stack, changes);
    try {
        // Loaded on use: the Automation API pulls in the Pulumi SDK, which no other command needs.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
        const s = await LocalWorkspace.selectStack({ stackName: stack.name, workDir: dir });
        const r = await s.up({ onOutput: (l: string) => wait.progress?.(l.trimEnd()), signal: deadlineSignal(wait) } as Parameters<typeof s.up>[0]);
        return [`pulumi up ${stack.name} (${Object.entries(changes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}): ${r.summary.result}`];
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

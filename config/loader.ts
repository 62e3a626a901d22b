/**
 * The one reader of stack files (stacks/Pulumi.<stack>.yaml). The offline plan, the tests,
 * the policy tools, the drills and the fortress CLI all read a stack's config here; defaults
 * are filled in by the schema (config/validate.ts), never by hand.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type { FortressConfig } from "./schema";
import { validateStackValues } from "./validate";
import { SECRET_PLACEHOLDER } from "./values";

/** The stack files; FORTRESS_STACKS_DIR points elsewhere (tests, a fork's own stacks). */
export const STACKS_DIR = path.resolve(process.env.FORTRESS_STACKS_DIR ?? path.join(__dirname, "..", "stacks"));

export function stackFile(stack: string, dir: string = STACKS_DIR): string {
    return path.join(dir, `Pulumi.${stack}.yaml`);
}

export function listStacks(dir: string = STACKS_DIR): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** A stack file's values as the Pulumi CLI hands them to a program. */
export interface StackFileValues {
    /** `<namespace>:<key>` -> text (objects as JSON). */
    readonly config: Record<string, string>;
    /** Keys given as `secure:` values (their text is "[secret]"). */
    readonly secretKeys: string[];
}

/**
 * Reads a stack's config file the way the Pulumi CLI hands it to a program: every value as a
 * string, objects as JSON. A `secure:` value is never decrypted: it becomes "[secret]".
 */
export function readStackFile(stack: string, dir: string = STACKS_DIR): StackFileValues {
    const file = stackFile(stack, dir);
    if (!fs.existsSync(file)) {
        throw new Error(`no stack "${stack}": ${path.relative(process.cwd(), file)} does not exist; stacks are ${listStacks(dir).join(", ")}`);
    }
    const doc = parseYaml(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
        if (value && typeof value === "object" && "secure" in (value as object)) {
            config[key] = SECRET_PLACEHOLDER;
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys };
}

export interface LoadedStackConfig extends StackFileValues {
    readonly stack: string;
    /** The file, relative to the current directory (for messages). */
    readonly file: string;
    /** Validated, every default filled in. */
    readonly validated: FortressConfig;
}

/**
 * A stack's config, validated: throws ConfigError listing every problem. `overrides`
 * replaces values (`<namespace>:<key>` -> text; undefined removes the key), e.g. a test's mutation.
 * `dir` reads the stack file from another folder (a drill's own copy of a stack).
 */
export function loadStackConfig(stack: string, overrides: Readonly<Record<string, string | undefined>> = {}, dir: string = STACKS_DIR): LoadedStackConfig {
    const values = readStackFile(stack, dir);
    const config = { ...values.config };
    for (const [key, value] of Object.entries(overrides)) {
        if (value === undefined) delete config[key];
        else config[key] = value;
    }
    return { stack, file: path.relative(process.cwd(), stackFile(stack, dir)), config, secretKeys: values.secretKeys, validated: validateStackValues(config) };
}

/**
 * How config problems read: ONE ConfigError listing every problem at once, each naming the
 * key (`fortress-dr:tiers.redis.tier1.snapshot`), the bad value and what is accepted.
 */
import { z } from "zod";
import { NAMESPACE } from "./vocabulary";

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

export function keyOf(path: readonly PropertyKey[]): string {
    if (path.length === 0) return NAMESPACE;
    const [head, ...rest] = path;
    return `${NAMESPACE}:${String(head)}${rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`;
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function describeIssue(issue: z.core.$ZodIssue): string {
    const key = keyOf(issue.path);
    switch (issue.code) {
        case "unrecognized_keys":
            return `${issue.keys.map((k) => keyOf([...issue.path, k])).join(", ")}: not a known setting; check the spelling against the README's config reference`;
        case "invalid_value":
            return `${key}: got ${show(issue.input)}; use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        case "invalid_type":
            return issue.input === undefined
                ? `${key}: required (${issue.expected}) but not set`
                : `${key}: got ${show(issue.input)}; expected ${issue.expected}`;
        case "too_small":
            if (issue.origin === "string" && issue.minimum === 1) return `${key}: must not be empty`;
            return `${key}: got ${show(issue.input)}; ${issue.message.replace(/^Too (small|big): /, "")}`;
        case "too_big":
            return `${key}: got ${show(issue.input)}; ${issue.message.replace(/^Too (small|big): /, "")}`;
        default:
            return `${key}: ${issue.message}`;
    }
}

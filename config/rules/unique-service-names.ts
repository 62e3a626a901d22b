import type { ConfigRule, RuleIssue } from "./rule";

/** Service names are unique (they name Deployments, Services and routes). */
export const uniqueServiceNamesRule: ConfigRule = {
    name: "service names are unique",
    check: ({ services }) => {
        const found: RuleIssue[] = [];
        const names = (services ?? []).map((s) => s.name);
        names.forEach((n, i) => {
            if (names.indexOf(n) !== i) found.push({ path: ["services", i, "name"], message: `"${n}" is declared twice; service names must be unique` });
        });
        return found;
    },
};

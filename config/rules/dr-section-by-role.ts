import type { ConfigRule, RuleIssue } from "./rule";

/** A DR stack needs the `dr` section; a primary stack must not have one. */
export const drSectionByRoleRule: ConfigRule = {
    name: "the dr section belongs to DR stacks",
    check: ({ role, dr }) => {
        const found: RuleIssue[] = [];
        if (role === "dr" && dr === undefined) {
            found.push({ path: ["dr"], message: `required when role is "dr": set dr.primaryStack ("<org>/fortress-dr/<primary stack>") and dr.mode` });
        }
        if (role === "primary" && dr !== undefined) {
            found.push({ path: ["dr"], message: `only a stack with role "dr" takes the dr section; remove it or set role: dr` });
        }
        return found;
    },
};

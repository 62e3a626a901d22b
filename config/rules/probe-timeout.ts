import type { ConfigRule, RuleIssue } from "./rule";

/** A probe's timeout is shorter than its period, or probes overlap. */
export const probeTimeoutRule: ConfigRule = {
    name: "probe timeouts are shorter than their period",
    check: ({ services = [] }) => {
        const found: RuleIssue[] = [];
        services.forEach((s, i) => {
            if (s.probes.timeoutSeconds >= s.probes.periodSeconds) {
                found.push({ path: ["services", i, "probes", "timeoutSeconds"], message: `${s.probes.timeoutSeconds} must be shorter than probes.periodSeconds (${s.probes.periodSeconds}), or probes overlap` });
            }
        });
        return found;
    },
};

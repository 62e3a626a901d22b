import type { ConfigRule, RuleIssue } from "./rule";

/**
 * Every public hostname is routed by exactly one service, and no service claims a hostname
 * that has no health check and failover record.
 */
export const hostnamesRoutedRule: ConfigRule = {
    name: "every hostname is routed by exactly one service",
    check: ({ endpoints, services = [] }) => {
        const found: RuleIssue[] = [];
        if (endpoints === undefined || services.length === 0) return found;
        const hostnames = endpoints.hosts.map((h) => h.hostname);
        hostnames.forEach((h, i) => {
            const routedBy = services.filter((s) => s.hosts.includes(h)).map((s) => s.name);
            if (routedBy.length === 0) {
                found.push({
                    path: ["endpoints", "hosts", i, "hostname"],
                    message: `"${h}" is routed by no service, so the DR ingress would answer 404 for it: add it to the hosts of one of services (${services.map((s) => s.name).join(", ")})`,
                });
            } else if (routedBy.length > 1) {
                found.push({ path: ["endpoints", "hosts", i, "hostname"], message: `"${h}" is routed by services ${routedBy.join(" and ")}; a hostname must belong to exactly one service` });
            }
        });
        services.forEach((s, i) =>
            s.hosts.forEach((h, j) => {
                if (!hostnames.includes(h)) {
                    found.push({
                        path: ["services", i, "hosts", j],
                        message: `"${h}" is not one of endpoints.hosts[].hostname, so it would have no health check and no failover record: add it to endpoints.hosts or remove it`,
                    });
                }
            }),
        );
        return found;
    },
};

import type { ConfigRule, RuleIssue } from "./rule";

/** An EKS cluster is created by a DR stack only, with its own kubeconfig and a node count within bounds. */
export const eksClusterRule: ConfigRule = {
    name: "an EKS cluster is the DR stack's own",
    check: ({ kubernetes: k, role, hasKubeconfig }) => {
        const found: RuleIssue[] = [];
        if (k?.cluster !== "eks") return found;
        if (role === "primary") {
            found.push({ path: ["kubernetes", "cluster"], message: `"eks" is for a DR stack, which creates its cluster; a primary stack runs on the platform's existing cluster: set kubernetes.cluster to "existing"` });
        }
        if (k.context !== undefined) {
            found.push({
                path: ["kubernetes", "context"],
                message: `is for an existing cluster, but kubernetes.cluster is "eks" (the stack creates the cluster and its own kubeconfig): remove kubernetes.context or set kubernetes.cluster to "existing"`,
            });
        }
        if (hasKubeconfig === true) {
            found.push({ path: ["kubeconfig"], message: `is for an existing cluster, but kubernetes.cluster is "eks": remove it (pulumi config rm kubeconfig) or set kubernetes.cluster to "existing"` });
        }
        const e = k.eks;
        if (e.minSize > e.desiredSize || e.desiredSize > e.maxSize) {
            found.push({ path: ["kubernetes", "eks", "desiredSize"], message: `${e.desiredSize} must lie between kubernetes.eks.minSize (${e.minSize}) and kubernetes.eks.maxSize (${e.maxSize})` });
        }
        return found;
    },
};

import type { ConfigRule } from "./rule";

/** An existing cluster is reached by a kubeconfig secret or a context of the ambient KUBECONFIG. */
export const existingClusterAccessRule: ConfigRule = {
    name: "an existing cluster has a way in",
    check: ({ kubernetes, hasKubeconfig }) =>
        kubernetes?.cluster === "existing" && hasKubeconfig === false && kubernetes.context === undefined
            ? [
                  {
                      path: ["kubernetes", "context"],
                      message: `an existing cluster needs a way in: set kubernetes.context (a context of the ambient KUBECONFIG) or the secret kubeconfig (pulumi config set --secret kubeconfig -- "$(cat ~/.kube/config)")`,
                  },
              ]
            : [],
};

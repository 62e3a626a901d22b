import type { ConfigRule } from "./rule";

/** A primary stack's backup writers assume their roles through IRSA, which needs the cluster's OIDC issuer. */
export const primaryOidcProviderRule: ConfigRule = {
    name: "a primary stack names its cluster's OIDC provider",
    check: ({ role, kubernetes }) =>
        role === "primary" && kubernetes !== undefined && kubernetes.oidcProvider === undefined
            ? [
                  {
                      path: ["kubernetes", "oidcProvider"],
                      message: `required on a primary stack: the backup writer roles are assumed through IRSA; give the cluster's OIDC issuer without https:// (oidc.eks.<region>.amazonaws.com/id/<id>)`,
                  },
              ]
            : [],
};

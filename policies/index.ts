/**
 * The Fortress DR policy pack: `pulumi preview --policy-pack policies` (from the repository
 * root, after `npm ci`). The only module that constructs a PolicyPack — constructing one
 * starts the analyzer's gRPC server, so tests and the plan import the rules instead
 * (policies/rules/index.ts) and run them with policies/runner.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";

new PolicyPack("fortress-dr", {
    description: "Fortress DR: backup-tier hardening, failover settings, and recovery objectives proven from what each stack declares.",
    // Each rule sets its own level; this only covers a rule that forgot to.
    enforcementLevel: "mandatory",
    policies: [...RULES],
});

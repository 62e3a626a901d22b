import { CONTROLS } from "../lib/compliance";
import { stackRule } from "../lib/rule";
import { PolicyStatement, StackView, RESOURCE_TYPES, statementCovers, statementsOf } from "../lib/stack-view";

function deniesPlainHttp(s: PolicyStatement & { Principal?: unknown }): boolean {
    if (s.Effect !== "Deny" || !statementCovers(s, "s3:GetObject") || !statementCovers(s, "s3:PutObject")) return false;
    const p = s.Principal as any;
    const everyone = p === "*" || p?.AWS === "*" || (Array.isArray(p?.AWS) && p.AWS.includes("*"));
    const cond = s.Condition as Record<string, Record<string, unknown>> | undefined;
    const secure = cond?.Bool?.["aws:SecureTransport"] ?? cond?.BoolIfExists?.["aws:SecureTransport"];
    return everyone && (secure === "false" || secure === false);
}

/** Every S3 bucket's policy refuses requests that do not use TLS. */
export const s3TlsOnly = stackRule({
    name: "s3-tls-only",
    description: "S3 bucket policies deny every request made without TLS (aws:SecureTransport false).",
    enforcementLevel: "mandatory",
    severity: "high",
    compliance: [CONTROLS.gdprEncryption, CONTROLS.hipaaTransmission, CONTROLS.pciTransmission],
    remediationSteps:
        'Attach an aws.s3.BucketPolicy with { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<arn>, <arn>/*], Condition: { Bool: { "aws:SecureTransport": "false" } } } (components/storage/policy-documents.ts denyInsecureTransport).',
    validateStack: (args, report) => {
        const view = new StackView(args.resources);
        const buckets = view.ofType(RESOURCE_TYPES.bucket);
        if (buckets.length === 0) return args.notApplicable("no S3 bucket is declared");
        for (const b of buckets) {
            const policies = view.configsOf(b, RESOURCE_TYPES.bucketPolicy).map((p) => ({ where: StackView.label(p), doc: p.props.policy }));
            if (b.props.policy !== undefined) policies.push({ where: `${StackView.label(b)}.policy`, doc: b.props.policy });
            if (policies.length === 0) {
                report(`${StackView.label(b)}: no bucket policy is declared, so plain-HTTP requests are not refused; add the DenyInsecureTransport statement`, b.urn);
                continue;
            }
            const ok = policies.some((p) => statementsOf(p.doc, p.where).some(deniesPlainHttp));
            if (!ok) report(`${StackView.label(b)}: its policy (${policies.map((p) => p.where).join(", ")}) has no Deny of s3:* for aws:SecureTransport "false" to every principal`, b.urn);
        }
    },
});

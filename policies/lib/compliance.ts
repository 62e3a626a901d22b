/**
 * The compliance controls the rules serve, each written once. A rule lists the controls it
 * provides evidence for; the plan's compliance view groups the rules by framework.
 *
 * Citations are to the primary texts: GDPR (Regulation (EU) 2016/679), the HIPAA Security
 * Rule (45 CFR Part 164, Subpart C), PCI DSS v4.0, and the Sarbanes-Oxley Act (sections 404
 * and 802). A rule supports a control; no rule alone makes a system compliant.
 */
export const FRAMEWORKS = ["GDPR", "HIPAA", "SOX", "PCI DSS"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface ComplianceRef {
    readonly framework: Framework;
    readonly control: string;
}

const ref = (framework: Framework, control: string): ComplianceRef => Object.freeze({ framework, control });

export const CONTROLS = Object.freeze({
    gdprEncryption: ref("GDPR", "Art. 32(1)(a): encryption of personal data"),
    gdprResilience: ref("GDPR", "Art. 32(1)(b): ongoing confidentiality, integrity, availability and resilience of processing systems"),
    gdprRestore: ref("GDPR", "Art. 32(1)(c): restore the availability of and access to personal data in a timely manner after an incident"),
    gdprTesting: ref("GDPR", "Art. 32(1)(d): regularly testing and evaluating the effectiveness of the measures"),
    gdprStorageLimitation: ref("GDPR", "Art. 5(1)(e): storage limitation (kept no longer than necessary)"),
    gdprByDesign: ref("GDPR", "Art. 25: data protection by design and by default"),
    gdprErasure: ref("GDPR", "Art. 17: right to erasure, kept across restores (the erasure ledger is replayed before a restored system serves anyone)"),

    hipaaBackup: ref("HIPAA", "45 CFR 164.308(a)(7)(ii)(A): data backup plan"),
    hipaaDisasterRecovery: ref("HIPAA", "45 CFR 164.308(a)(7)(ii)(B): disaster recovery plan"),
    hipaaEmergencyMode: ref("HIPAA", "45 CFR 164.308(a)(7)(ii)(C): emergency mode operation plan"),
    hipaaTesting: ref("HIPAA", "45 CFR 164.308(a)(7)(ii)(D): testing and revision procedures"),
    hipaaMediaBackup: ref("HIPAA", "45 CFR 164.310(d)(2)(iv): data backup and storage"),
    hipaaAccessControl: ref("HIPAA", "45 CFR 164.312(a)(1): access control"),
    hipaaEncryptionAtRest: ref("HIPAA", "45 CFR 164.312(a)(2)(iv): encryption and decryption"),
    hipaaIntegrity: ref("HIPAA", "45 CFR 164.312(c)(1): integrity (protect ePHI from improper alteration or destruction)"),
    hipaaTransmission: ref("HIPAA", "45 CFR 164.312(e)(2)(ii): encryption in transmission"),

    pciRetention: ref("PCI DSS", "v4.0 Req. 3.2.1: data retention and disposal keep storage to a minimum"),
    pciEncryptionAtRest: ref("PCI DSS", "v4.0 Req. 3.5.1: stored account data rendered unreadable by strong cryptography"),
    pciKeyProtection: ref("PCI DSS", "v4.0 Req. 3.6.1: keys protecting stored account data are protected against disclosure and misuse"),
    pciCryptoperiod: ref("PCI DSS", "v4.0 Req. 3.7.4: key changes at the end of the defined cryptoperiod"),
    pciTransmission: ref("PCI DSS", "v4.0 Req. 4.2.1: strong cryptography for transmission over open, public networks"),
    pciAccessModel: ref("PCI DSS", "v4.0 Req. 7.2.1: an access control model restricts access to what is needed"),
    pciLeastPrivilege: ref("PCI DSS", "v4.0 Req. 7.2.2: access assigned by least privilege"),
    pciIncidentResponse: ref("PCI DSS", "v4.0 Req. 12.10.1: incident response plan with business recovery and continuity procedures and data backup processes"),

    soxOperations: ref("SOX", "Section 404 internal control, IT general controls: computer operations (backup and recovery)"),
    soxLogicalAccess: ref("SOX", "Section 404 internal control, IT general controls: logical access to programs and data"),
    soxRecordIntegrity: ref("SOX", "Section 802 (18 U.S.C. 1519): records are not destroyed or altered"),
});

/**
 * What a backup copy that cannot be altered or lost serves (tier 3's Object Lock, the GCS
 * copy's locked retention, versioning): records kept intact and restorable.
 */
export const BACKUP_INTEGRITY_CONTROLS: readonly ComplianceRef[] = Object.freeze([
    CONTROLS.soxRecordIntegrity,
    CONTROLS.hipaaIntegrity,
    CONTROLS.hipaaBackup,
    CONTROLS.pciIncidentResponse,
    CONTROLS.gdprRestore,
]);

/**
 * Controls a drill proves on real servers, beside the rules that check what a stack declares:
 * the drill, the figure ids that must hold their expected value, and the control. The plan's
 * compliance view lists them under each framework with the newest run's verdict.
 */
export interface DrillEvidence {
    readonly drill: string;
    readonly control: ComplianceRef;
    /** Figure id → the value the newest run must show. */
    readonly figures: Readonly<Record<string, number>>;
}

export const DRILL_EVIDENCE: readonly DrillEvidence[] = Object.freeze([
    {
        drill: "erasure",
        control: CONTROLS.gdprErasure,
        figures: { "erasure.subjects_after_restore": 0, "erasure.rows_removed_beyond_subjects": 0 },
    },
]);

export interface DrillEvidenceStatus {
    readonly drill: string;
    readonly control: string;
    /** "pass": the newest run passed every check and shows every expected figure; "not run": no report. */
    readonly status: "pass" | "fail" | "not run";
    readonly detail: string;
}

interface ReportLike {
    readonly startedAt?: string;
    readonly mode?: string;
    readonly figures?: readonly { id?: string; value: number | string }[];
    readonly checks?: readonly { passed: boolean }[];
}

/** The verdict of each drill's newest run (`reports/drill-<name>.json`), for one framework. */
export function drillEvidenceOf(framework: Framework, readReport: (drill: string) => ReportLike | undefined): DrillEvidenceStatus[] {
    return DRILL_EVIDENCE.filter((d) => d.control.framework === framework).map((d) => {
        const r = readReport(d.drill);
        if (!r) return { drill: d.drill, control: d.control.control, status: "not run", detail: `no reports/drill-${d.drill}.json; run npm run drill -- --only ${d.drill}` };
        const wrong = Object.entries(d.figures)
            .map(([id, want]) => ({ id, want, got: r.figures?.find((f) => f.id === id)?.value }))
            .filter((x) => x.got !== x.want)
            .map((x) => `${x.id} = ${x.got ?? "missing"} (expected ${x.want})`);
        const failed = (r.checks ?? []).filter((c) => !c.passed).length;
        const ok = wrong.length === 0 && failed === 0 && (r.checks ?? []).length > 0;
        const when = `run ${r.startedAt ?? "?"}${r.mode ? ` (${r.mode})` : ""}`;
        return {
            drill: d.drill,
            control: d.control.control,
            status: ok ? "pass" : "fail",
            detail: ok ? `${when}: ${Object.entries(d.figures).map(([id, v]) => `${id} = ${v}`).join(", ")}` : `${when}: ${[...wrong, ...(failed ? [`${failed} check(s) failed`] : [])].join("; ")}`,
        };
    });
}

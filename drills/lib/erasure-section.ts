/**
 * A complete `fortress-dr:erasure` stack section (config/sections/erasure.ts): hashed subjects,
 * the ledger's appender, and a procedure for each data class, with the routine names and key
 * layouts the drills' application data uses (drills/erasure/app.ts).
 *
 * The erasure drill runs with it when the prod stack declares none, and the erasure schema test
 * (test/stacks/erasure-schema.test.ts) takes it as the section that must be accepted and varies
 * it one field at a time: the drill's section is valid by test.
 */
export const EXAMPLE_ERASURE_SECTION = {
    hashSubjects: true,
    hmacKeySecret: { name: "erasure-ledger-hmac", key: "key" },
    ledger: { appenderServiceAccounts: ["api"] },
    database: { routine: "select erase_subject($1)", verify: "select subject_rows($1)" },
    redis: { keyPatterns: ["session:{subject}:*", "cart:{subject}"] },
    uploads: { prefixes: ["users/{subject}/"] },
};

/**
 * Config section `erasure` (issue 15): how each data class erases one subject, and the ledger
 * that remembers every erasure across restores. Pure zod, no Pulumi. Every problem names its
 * key and the fix (config/errors.ts prefixes the key path).
 *
 * ```yaml
 * fortress-dr:erasure:
 *   hashSubjects: true
 *   hmacKeySecret: { name: erasure-ledger-hmac, key: key }
 *   ledger: { appenderServiceAccounts: [platform-api] }
 *   database: { routine: "select erase_subject($1)", verify: "select subject_rows($1)" }
 *   redis: { keyPatterns: ["session:{subject}:*", "cart:{subject}"] }
 *   uploads: { prefixes: ["users/{subject}/"] }
 * ```
 */
import { z } from "zod";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A `{subject}` pattern: the placeholder exactly once, and only characters a key or object name can safely hold. */
function subjectPattern(kind: "Redis key pattern" | "uploads prefix") {
    return z.string().superRefine((v, ctx) => {
        const n = v.split("{subject}").length - 1;
        if (n !== 1) {
            ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} must contain {subject} exactly once (found ${n}); e.g. ${kind === "uploads prefix" ? '"users/{subject}/"' : '"session:{subject}:*"'}` });
            return;
        }
        const rest = v.replace("{subject}", "");
        if (/[{}\s]/.test(rest)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)}: only one placeholder, {subject}, is known and whitespace is not allowed` });
        if (kind === "uploads prefix") {
            if (v.startsWith("/")) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} starts with "/"; S3 keys have no leading slash: write "${v.replace(/^\/+/, "")}"` });
            if (/[*?[\]]/.test(v)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)}: an uploads prefix is literal; remove the glob characters (everything under the prefix is erased)` });
            if (!/[/]$/.test(v) && !v.endsWith("{subject}")) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)}: end the prefix at a "/" after {subject} (e.g. "users/{subject}/") so one subject's prefix is never another's` });
            if (v.endsWith("{subject}")) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} ends with {subject}: subject "u1" would also erase "u10/..."; end it with "/" ("${v}/")` });
        } else if (v.startsWith("{subject}") && v === "{subject}*") {
            ctx.addIssue({ code: "custom", message: `"{subject}*" would match every key that starts with any subject id; give the key's own prefix, e.g. "session:{subject}:*"` });
        }
    });
}

/** SQL with $1 (the subject) and nothing else bound. */
function sqlWithSubject(what: "routine" | "verify") {
    return z.string().superRefine((v, ctx) => {
        if (!/\$1(?!\d)/.test(v)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(v).slice(0, 60)} does not use $1; the ${what} is called once per subject with $1 = the subject id (or its keyed hash), e.g. ${what === "routine" ? '"select erase_subject($1)"' : '"select subject_rows($1)"'}` });
        if (/\$[2-9]/.test(v)) ctx.addIssue({ code: "custom", message: `uses a parameter beyond $1; the replay binds only $1 (the subject)` });
        if (/;\s*\S/.test(v)) ctx.addIssue({ code: "custom", message: `holds more than one statement; call one routine (put the statements in a SQL function)` });
        if (what === "routine" && !/^\s*(select|call)\s/i.test(v)) ctx.addIssue({ code: "custom", message: `must call a routine ("select erase_subject($1)" or "call erase_subject($1)"), so the erasure's logic lives in the database beside the schema it knows` });
        if (what === "verify" && !/^\s*select\s/i.test(v)) ctx.addIssue({ code: "custom", message: `must be a select returning one count, e.g. "select subject_rows($1)"` });
    });
}

export const erasureSection = z
    .strictObject({
        /** Store HMAC-SHA256(key, subject id) in the ledger instead of the id. */
        hashSubjects: z.boolean().default(false),
        /** The Kubernetes Secret (in kubernetes.namespace) holding the HMAC key; required with hashSubjects. */
        hmacKeySecret: z.strictObject({ name: z.string().regex(DNS_LABEL, "must be a DNS-1123 name"), key: z.string().min(1).default("key") }).optional(),
        ledger: z
            .strictObject({
                /** Service accounts of the application that records erasures (IRSA: the appender role). */
                appenderServiceAccounts: z.array(z.string().regex(DNS_LABEL, "must be a DNS-1123 name")).min(1, "name at least one service account of the application that records erasures"),
                /** Their namespace. @default kubernetes.namespace */
                appenderNamespace: z.string().regex(DNS_LABEL, "must be a DNS-1123 label").optional(),
                /** How far before the restored point the replay starts (the application records before it erases). */
                replayMarginSeconds: z.number().int().nonnegative().default(86_400),
            }),
        database: z.strictObject({ routine: sqlWithSubject("routine"), verify: sqlWithSubject("verify") }).optional(),
        redis: z.strictObject({ keyPatterns: z.array(subjectPattern("Redis key pattern")).min(1, "list at least one key pattern, e.g. [\"session:{subject}:*\"]") }).optional(),
        uploads: z.strictObject({ prefixes: z.array(subjectPattern("uploads prefix")).min(1, "list at least one prefix, e.g. [\"users/{subject}/\"]") }).optional(),
    })
    .superRefine((e, ctx) => {
        if (e.hashSubjects && e.hmacKeySecret === undefined) {
            ctx.addIssue({ code: "custom", path: ["hmacKeySecret"], message: `required when erasure.hashSubjects is true: name the Kubernetes Secret holding the HMAC key, e.g. { name: erasure-ledger-hmac, key: key }` });
        }
        if (!e.hashSubjects && e.hmacKeySecret !== undefined) {
            ctx.addIssue({ code: "custom", path: ["hmacKeySecret"], message: `is only used with erasure.hashSubjects: true; set hashSubjects: true or remove hmacKeySecret` });
        }
        if (e.database === undefined && e.redis === undefined && e.uploads === undefined) {
            ctx.addIssue({ code: "custom", message: `declares no procedure: add at least one of erasure.database, erasure.redis, erasure.uploads` });
        }
    });

export type ErasureConfig = z.infer<typeof erasureSection>;

/**
 * A small IAM policy evaluator: explicit Deny wins, then any Allow, else the implicit deny —
 * with Action/NotAction and Resource wildcards and the condition operators the ledger's
 * documents use (Null, Bool, StringEquals, StringLike, ArnNotLike, ArnLike). It exists because
 * the drill's S3 endpoint (moto) evaluates actions and resources but not request condition keys
 * such as `s3:if-none-match`; this is where the ledger's "no overwrite" statements are proven.
 * An operator it does not know makes the statement throw, never silently match.
 */
import type { PolicyDocument, Statement } from "../storage/policy-documents";

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

export interface Request {
    readonly action: string;
    readonly resource: string;
    readonly principalArn?: string;
    /** Request condition keys present (e.g. `{ "s3:if-none-match": "*", "aws:SecureTransport": "true" }`). */
    readonly context?: Readonly<Record<string, string>>;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const glob = (pattern: string, value: string, caseInsensitive: boolean) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, caseInsensitive ? "i" : "").test(value);

function conditionHolds(condition: Record<string, Record<string, unknown>> | undefined, req: Request): boolean {
    if (!condition) return true;
    const ctx: Record<string, string> = { ...(req.principalArn ? { "aws:PrincipalArn": req.principalArn } : {}), ...(req.context ?? {}) };
    const keyValue = (k: string) => Object.entries(ctx).find(([ck]) => ck.toLowerCase() === k.toLowerCase())?.[1];
    return Object.entries(condition).every(([op, byKey]) =>
        Object.entries(byKey).every(([key, want]) => {
            const got = keyValue(key);
            const wants = list(want);
            switch (op) {
                case "Null":
                    return wants.every((w) => (w === "true") === (got === undefined));
                case "Bool":
                    return got !== undefined && wants.includes(got);
                case "StringEquals":
                    return got !== undefined && wants.includes(got);
                case "StringLike":
                    return got !== undefined && wants.some((w) => glob(w, got, false));
                case "ArnLike":
                case "ArnEquals":
                    return got !== undefined && wants.some((w) => glob(w, got, false));
                case "ArnNotLike":
                case "ArnNotEquals":
                    return got === undefined || !wants.some((w) => glob(w, got, false));
                default:
                    throw new Error(`iam-evaluate: condition operator ${op} is not supported; extend components/compliance/iam-evaluate.ts before relying on it`);
            }
        }),
    );
}

function applies(s: Statement & { NotAction?: string | string[] }, req: Request): boolean {
    const actionHit = s.Action !== undefined ? list(s.Action).some((a) => glob(a, req.action, true)) : !list(s.NotAction).some((a) => glob(a, req.action, true));
    if (!actionHit) return false;
    if (s.Resource !== undefined && !list(s.Resource).some((r) => glob(r, req.resource, false))) return false;
    return conditionHolds(s.Condition, req);
}

/** The decision of IAM over every given document (identity and resource policies together, same account). */
export function evaluate(docs: readonly PolicyDocument[], req: Request): Decision {
    const statements = docs.flatMap((d) => d.Statement);
    if (statements.some((s) => s.Effect === "Deny" && applies(s, req))) return "explicit-deny";
    return statements.some((s) => s.Effect === "Allow" && applies(s, req)) ? "allow" : "implicit-deny";
}

/**
 * FNV-1a (32-bit) as 8 hex digits: a short, stable, dependency-free fingerprint of a text —
 * the Redis pods' config-hash annotation (a changed config rolls the pods) and the mock
 * runtime's deterministic IDs. Not for security: use SHA-256 where an adversary matters.
 */
export function fnv1aHex(text: string): string {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return (h >>> 0).toString(16).padStart(8, "0");
}

/** Config values as text, the way the Pulumi CLI hands them over. */

/**
 * A config value as the Pulumi CLI hands it to a program: structured values arrive as JSON
 * text, plain strings stay strings.
 */
export function parseConfigValue(text: string): unknown {
    const t = text.trim();
    if (t.startsWith("{") || t.startsWith("[") || t === "true" || t === "false" || /^-?\d+(\.\d+)?$/.test(t)) {
        try {
            return JSON.parse(t);
        } catch {
            return text;
        }
    }
    return text;
}

/** What a `secure:` value becomes: never decrypted, never printed. */
export const SECRET_PLACEHOLDER = "[secret]";

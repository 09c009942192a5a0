/** The one placeholder every package puts where a secret was. */
export const REDACTED = "[REDACTED]";

/**
 * Replaces every secret in a text, also in the forms a program is likely to
 * print it in: JSON-escaped and URL-encoded.
 */
export class Redactor {
  readonly #needles: readonly string[];
  /** The longest needle: a stream cut must hold back this many chars minus one. */
  readonly maxLength: number;

  constructor(secrets: readonly (string | undefined)[]) {
    const needles = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      needles.add(secret);
      needles.add(JSON.stringify(secret).slice(1, -1));
      needles.add(encodeURIComponent(secret));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
    this.maxLength = this.#needles[0]?.length ?? 0;
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.#needles) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }
}

/** `text` with every one of `secrets` replaced by `[REDACTED]`. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  return new Redactor(secrets).redact(text);
}

// Keys an upstream might echo back in an error text, when the key itself is not known here.
const KEY_LIKE = /\b(sk-[A-Za-z0-9_-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,})/g;

/** Hides API keys and Bearer tokens that an upstream error text might quote. */
export function redactKeyLike(text: string): string {
  return text.replace(KEY_LIKE, (match) =>
    match.startsWith("Bearer") ? `Bearer ${REDACTED}` : `sk-${REDACTED}`,
  );
}

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

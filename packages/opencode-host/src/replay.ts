/**
 * Signatures seen within the window: the same signed request twice is a
 * replay. A signature older than the window needs no entry, since its
 * timestamp is refused anyway.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;
  readonly #max: number;

  constructor(windowMs: number, max = 100_000) {
    this.#windowMs = windowMs;
    this.#max = max;
  }

  /** True the first time `signature` is seen (and remembers it); false for a replay or a full cache. */
  admit(signature: string, nowMs: number): boolean {
    this.#sweep(nowMs);
    if (this.#seen.has(signature)) return false;
    // Full of live entries: refusing is safer than forgetting one.
    if (this.#seen.size >= this.#max) return false;
    this.#seen.set(signature, nowMs + 2 * this.#windowMs);
    return true;
  }

  #sweep(nowMs: number): void {
    // Insertion order is expiry order: stop at the first live entry.
    for (const [signature, expiresAt] of this.#seen) {
      if (expiresAt > nowMs) break;
      this.#seen.delete(signature);
    }
  }
}

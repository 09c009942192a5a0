const marker = "taos.opencode.error";
const symbol: unique symbol = Symbol.for(marker);

/** Options every taos-opencode error accepts. */
export interface TaosOpenCodeErrorOptions {
  readonly message: string;
  /** The underlying failure, kept for debugging; never shown to a model or a user. */
  readonly cause?: unknown;
}

/**
 * The base of every error the taos-opencode packages throw.
 *
 * `TaosOpenCodeError.isInstance(value)` works across duplicate installs of a
 * package (two copies of a class are two classes, but `Symbol.for` keys are
 * global), which `instanceof` does not.
 */
export class TaosOpenCodeError extends Error {
  private readonly [symbol] = true;

  constructor({ message, cause }: TaosOpenCodeErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }

  /** True for any taos-opencode error, from any copy of any of its packages. */
  static isInstance(value: unknown): value is TaosOpenCodeError {
    return TaosOpenCodeError.hasMarker(value, marker);
  }

  /** Checks a `Symbol.for(markerName)` brand; subclasses use it for their own `isInstance`. */
  protected static hasMarker(value: unknown, markerName: string): boolean {
    const key = Symbol.for(markerName);
    return (
      value != null &&
      typeof value === "object" &&
      key in value &&
      (value as Record<symbol, unknown>)[key] === true
    );
  }
}

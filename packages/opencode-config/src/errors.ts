const marker = "taos.opencode.error";

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
 * global), which `instanceof` does not. A subclass brands itself the same way:
 *
 * ```ts
 * const marker = "taos.opencode.error.MyError";
 * export class MyError extends TaosOpenCodeError {
 *   constructor(options: TaosOpenCodeErrorOptions) {
 *     super(options);
 *     TaosOpenCodeError.brand(this, marker);
 *   }
 *   static override isInstance(value: unknown): value is MyError {
 *     return TaosOpenCodeError.hasMarker(value, marker);
 *   }
 * }
 * ```
 * (A `[symbol] = true` class field would be shorter, but `isolatedDeclarations`
 * cannot emit computed class members.)
 */
export class TaosOpenCodeError extends Error {
  constructor({ message, cause }: TaosOpenCodeErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    TaosOpenCodeError.brand(this, marker);
  }

  /** True for any taos-opencode error, from any copy of any of its packages. */
  static isInstance(value: unknown): value is TaosOpenCodeError {
    return TaosOpenCodeError.hasMarker(value, marker);
  }

  /** Marks `instance` with the global symbol `Symbol.for(markerName)` (not enumerable). */
  protected static brand(instance: object, markerName: string): void {
    Object.defineProperty(instance, Symbol.for(markerName), { value: true });
  }

  /** Checks a `Symbol.for(markerName)` brand; subclasses use it for their own `isInstance`. */
  protected static hasMarker(value: unknown, markerName: string): boolean {
    const key = Symbol.for(markerName);
    return (
      value != null && typeof value === "object" && (value as Record<symbol, unknown>)[key] === true
    );
  }
}

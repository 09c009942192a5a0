const PREFIX = "taos.opencode.error";

/** Options every taos-opencode error accepts. */
export interface TaosOpenCodeErrorOptions {
  readonly message: string;
  /** The underlying failure, kept for debugging; never shown to a model or a user. */
  readonly cause?: unknown;
}

/**
 * The base of every error the taos-opencode packages throw.
 *
 * `X.isInstance(value)` works across duplicate installs of a package (two copies of
 * a class are two classes, but `Symbol.for` keys are global), which `instanceof` does
 * not. The constructor brands an instance with the marker of its class and of every
 * class above it, so a subclass only names its marker:
 *
 * ```ts
 * export class MyError extends TaosOpenCodeError {
 *   static override readonly marker: string = "taos.opencode.error.MyError";
 * }
 * MyError.isInstance(value); // value is MyError
 * ```
 * (A `[symbol] = true` class field would be shorter, but `isolatedDeclarations`
 * cannot emit computed class members.)
 */
export class TaosOpenCodeError extends Error {
  /**
   * The `Symbol.for` key that brands this class's instances. A subclass declares its
   * own (`taos.opencode.error.<ClassName>`); one that does not is branded by its name.
   */
  static readonly marker: string = PREFIX;

  constructor({ message, cause }: TaosOpenCodeErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    for (const type of classChain(new.target)) TaosOpenCodeError.brand(this, markerOf(type));
  }

  /**
   * True for an instance of this class (or of a subclass), from any copy of its package:
   * `OpenCodeHttpError.isInstance(e)` narrows `e` to `OpenCodeHttpError`.
   */
  static isInstance<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    // biome-ignore lint/complexity/noThisInStatic: the class it is called on names the marker
    return hasMarker(value, markerOf(this));
  }

  /** Marks `instance` with the global symbol `Symbol.for(markerName)` (not enumerable). */
  protected static brand(instance: object, markerName: string): void {
    Object.defineProperty(instance, Symbol.for(markerName), { value: true });
  }

  /** Checks a `Symbol.for(markerName)` brand. */
  protected static hasMarker(value: unknown, markerName: string): boolean {
    return hasMarker(value, markerName);
  }
}

// `isInstance` is read through a getter so that it stays bound to the class it was read
// from: `errors.filter(MyError.isInstance)` and `toSatisfy(MyError.isInstance)` work.
Object.defineProperty(TaosOpenCodeError, "isInstance", {
  configurable: true,
  get(this: object) {
    const marker = markerOf(this);
    return (value: unknown): boolean => hasMarker(value, marker);
  },
});

function hasMarker(value: unknown, markerName: string): boolean {
  const key = Symbol.for(markerName);
  return (
    value != null && typeof value === "object" && (value as Record<symbol, unknown>)[key] === true
  );
}

/** `type` and its ancestors, down to (and with) `TaosOpenCodeError`. */
function* classChain(type: object): Generator<object> {
  for (let current: object | null = type; current !== null; ) {
    yield current;
    if (current === TaosOpenCodeError) return;
    current = Object.getPrototypeOf(current) as object | null;
  }
}

function markerOf(type: object): string {
  if (type === TaosOpenCodeError) return PREFIX;
  const own = Object.hasOwn(type, "marker") ? (type as { marker?: unknown }).marker : undefined;
  return typeof own === "string" ? own : `${PREFIX}.${(type as { name: string }).name}`;
}

/** A plain object (not null, not an array): what JSON objects and option bags are. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** How a bad option value is named in a message: its type, never its content (it may be a key). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** Builds the field error a package throws; each package has its own typed error class. */
export type FieldErrorFactory = (field: string, message: string) => Error;

/**
 * Throws a bad option's error. Declare it with this type (`const fail: Fail = ...`):
 * TypeScript narrows after a `never` call only through an annotated name.
 */
export type Fail = (field: string, message: string) => never;

/** A `fail(field, message)` that throws the package's own typed error. */
export function fieldFailer(make: FieldErrorFactory): Fail {
  return (field, message) => {
    throw make(field, message);
  };
}

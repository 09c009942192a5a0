/**
 * Builds a value from a JSON schema: enough of JSON Schema for the objects a
 * model is asked for (types, properties, required, items and prefixItems, enum,
 * const, local $ref, allOf/anyOf/oneOf, string and number bounds, common formats).
 * `pattern` is not honoured. Deterministic: the same schema gives the same value.
 */

type Schema = Record<string, unknown>;

const MAX_DEPTH = 12;
const FORMATS: Readonly<Record<string, string>> = {
  "date-time": "2024-01-01T00:00:00Z",
  date: "2024-01-01",
  time: "00:00:00Z",
  email: "user@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
};

const isObject = (v: unknown): v is Schema =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A value that fits `schema` (for the schemas described above). */
export function sampleOf(schema: unknown): unknown {
  return sample(schema, schema, 0, 0);
}

/**
 * An object that does not fit `schema`: the sample without its first required
 * property, else with a property of the wrong type, else with an extra property
 * (which only breaks a schema that forbids extra properties).
 */
export function misfitOf(schema: unknown): Record<string, unknown> {
  const parts = objectParts(schema);
  const base = sampleOf(schema);
  const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
  const required = parts.flatMap((part) => (Array.isArray(part.required) ? part.required : []));
  const first = required.find((k): k is string => typeof k === "string");
  if (first !== undefined) {
    delete out[first];
    return out;
  }
  for (const part of parts) {
    const properties = isObject(part.properties) ? part.properties : {};
    for (const [key, property] of Object.entries(properties)) {
      const wrong = wrongValueFor(resolve(property, schema, 0));
      if (wrong !== undefined) {
        out[key] = wrong;
        return out;
      }
    }
  }
  out.__unexpected__ = true;
  return out;
}

/** The root object schema and the parts of its `allOf`, `$ref`s followed. */
function objectParts(schema: unknown): Schema[] {
  const root = resolve(schema, schema, 0);
  if (root === undefined) return [];
  const all = Array.isArray(root.allOf) ? root.allOf : [];
  const parts = all.map((part) => resolve(part, schema, 0));
  return [root, ...parts.filter((part): part is Schema => part !== undefined)];
}

function wrongValueFor(schema: Schema | undefined): unknown {
  if (schema === undefined) return undefined;
  if (Array.isArray(schema.enum) || "const" in schema) return "__not_an_allowed_value__";
  const type = Array.isArray(schema.type) ? undefined : schema.type;
  if (type === "string") return 12345;
  if (type === "number" || type === "integer") return "not a number";
  if (type === "boolean") return "not a boolean";
  if (type === "object") return "not an object";
  if (type === "array") return "not an array";
  if (type === "null") return "not null";
  return undefined;
}

/** The schema a `$ref` (local JSON pointer) leads to; the schema itself otherwise. */
function resolve(schema: unknown, root: unknown, depth: number): Schema | undefined {
  if (!isObject(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#") || depth > MAX_DEPTH) return schema;
  let target: unknown = root;
  for (const raw of ref
    .slice(1)
    .split("/")
    .filter((s) => s !== "")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    target = isObject(target) ? target[key] : undefined;
  }
  return resolve(target, root, depth + 1);
}

function sample(input: unknown, root: unknown, depth: number, variant: number): unknown {
  const schema = resolve(input, root, depth);
  if (schema === undefined || depth > MAX_DEPTH) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[variant % schema.enum.length];
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const parts = schema.allOf.map((part) => sample(part, root, depth + 1, variant));
    if (parts.every(isObject)) return Object.assign({}, ...parts, ownPart(schema, root, depth));
    return parts[0];
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      return sample(options[0], root, depth + 1, variant);
    }
  }
  switch (typeOf(schema)) {
    case "object":
      return sampleObject(schema, root, depth);
    case "array":
      return sampleArray(schema, root, depth);
    case "string":
      return sampleString(schema, variant);
    case "integer":
      return sampleNumber(schema, variant, true);
    case "number":
      return sampleNumber(schema, variant, false);
    case "boolean":
      return variant % 2 === 0;
    default:
      return null;
  }
}

/** The properties an `allOf` schema declares beside its parts. */
function ownPart(schema: Schema, root: unknown, depth: number): Schema {
  return isObject(schema.properties) ? sampleObject(schema, root, depth) : {};
}

function typeOf(schema: Schema): string | undefined {
  const { type } = schema;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.find((t) => t !== "null") ?? "null";
  if ("properties" in schema || "required" in schema || "additionalProperties" in schema) {
    return "object";
  }
  if ("items" in schema || "prefixItems" in schema) return "array";
  if ("minLength" in schema || "maxLength" in schema || "format" in schema) return "string";
  if ("minimum" in schema || "maximum" in schema || "multipleOf" in schema) return "number";
  return undefined;
}

function sampleObject(schema: Schema, root: unknown, depth: number): Schema {
  const out: Schema = {};
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    out[key] = sample(property, root, depth + 1, 0);
  }
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : {};
  for (const key of Array.isArray(schema.required) ? schema.required : []) {
    if (typeof key === "string" && !(key in out)) out[key] = sample(extra, root, depth + 1, 0);
  }
  return out;
}

function sampleArray(schema: Schema, root: unknown, depth: number): unknown[] {
  const prefix = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : Array.isArray(schema.items)
      ? schema.items
      : [];
  const out = prefix.map((item, i) => sample(item, root, depth + 1, i));
  const items = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
  if (items === false) return out;
  const min = typeof schema.minItems === "number" ? schema.minItems : 1;
  const max = typeof schema.maxItems === "number" ? schema.maxItems : Number.POSITIVE_INFINITY;
  const want = Math.min(Math.max(min, out.length, 1), max, 100);
  for (let i = out.length; i < want; i++) out.push(sample(items ?? {}, root, depth + 1, i));
  return out;
}

function sampleString(schema: Schema, variant: number): string {
  const known = typeof schema.format === "string" ? FORMATS[schema.format] : undefined;
  let text = known ?? (variant === 0 ? "example" : `example ${variant}`);
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Number.POSITIVE_INFINITY;
  if (text.length < min) text = text.padEnd(min, "x");
  return text.length > max ? text.slice(0, max) : text;
}

function sampleNumber(schema: Schema, variant: number, integer: boolean): number {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const step = integer ? 1 : 0.5;
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  const low = num(schema.minimum) ?? (exMin === undefined ? undefined : exMin + step);
  const high = num(schema.maximum) ?? (exMax === undefined ? undefined : exMax - step);
  let value = (low ?? Math.min(1, high ?? 1)) + variant;
  if (high !== undefined && value > high) value = high;
  if (integer) value = Math.ceil(value);
  const multiple = num(schema.multipleOf);
  if (multiple !== undefined && multiple > 0) value = Math.ceil(value / multiple) * multiple;
  return value;
}

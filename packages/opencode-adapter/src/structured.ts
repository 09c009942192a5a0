import { describeValue, isRecord } from "@taos/internal";
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";

/**
 * The structured-output request of a prompt, as opencode takes it: the model
 * answers with an object of `schema` (a JSON Schema, draft 2020-12 unless its
 * `$schema` names draft-07 or 2019-09), and opencode retries up to `retryCount`
 * times (opencode's default: 2) when the model gives none.
 */
export interface JsonSchemaFormat {
  readonly type: "json_schema";
  readonly schema: Readonly<Record<string, unknown>>;
  readonly retryCount?: number;
}

/** The outcome of checking a value against a schema; `message` says every mismatch found (up to a few). */
export type StructuredCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string };

/** Throws the caller's typed error naming the bad field. */
export type FailField = (field: string, message: string) => never;

type Compiled = { readonly validate: ValidateFunction } | { readonly problem: string };
type Dialect = "draft-07" | "2019-09" | "2020-12";

const OPTIONS: Options = {
  allErrors: true,
  // `format` is an annotation by default in 2020-12; checking it would need extra vocabularies.
  validateFormats: false,
  // Schemas written for tools often carry extra keywords (`nullable`, `x-...`): not an error.
  strict: false,
  logger: false,
  // Each schema is compiled once and kept here, keyed by its object, not in the validator.
  addUsedSchema: false,
};
const MAX_ERRORS_SHOWN = 5;
const validators = new Map<Dialect, Ajv>();
const compiled = new WeakMap<object, Compiled>();

function validatorFor(dialect: Dialect): Ajv {
  let ajv = validators.get(dialect);
  if (ajv === undefined) {
    if (dialect === "draft-07") ajv = new Ajv(OPTIONS);
    else if (dialect === "2019-09") ajv = new Ajv2019(OPTIONS);
    else ajv = new Ajv2020(OPTIONS);
    validators.set(dialect, ajv);
  }
  return ajv;
}

function dialectOf(schema: Record<string, unknown>): Dialect {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (/draft-0[67]\b/.test(declared)) return "draft-07";
  if (declared.includes("2019-09")) return "2019-09";
  return "2020-12";
}

function compile(schema: Record<string, unknown>): Compiled {
  const cached = compiled.get(schema);
  if (cached !== undefined) return cached;
  const ajv = validatorFor(dialectOf(schema));
  let result: Compiled;
  try {
    result = { validate: ajv.compile(schema) };
  } catch (error) {
    result = { problem: error instanceof Error ? error.message : String(error) };
  } finally {
    // Ajv keeps every compiled schema in its own cache; ours (weak) is enough.
    try {
      ajv.removeSchema(schema);
    } catch {
      // Nothing was cached.
    }
  }
  compiled.set(schema, result);
  return result;
}

/** Why `schema` cannot be used as a JSON Schema, or undefined when it can. */
export function schemaProblem(schema: unknown): string | undefined {
  if (!isRecord(schema)) return `a JSON Schema must be an object, got ${describeValue(schema)}`;
  const result = compile(schema);
  return "problem" in result ? result.problem : undefined;
}

function describeErrors(errors: readonly ErrorObject[]): string {
  const shown = errors.slice(0, MAX_ERRORS_SHOWN).map((e) => {
    const at = e.instancePath === "" ? "the value" : `the value at ${e.instancePath}`;
    return `${at} ${e.message ?? "does not match"}`;
  });
  const more = errors.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; and ${more} more` : shown.join("; ");
}

/**
 * Checks `value` against the JSON Schema `schema`. Never throws: a schema that
 * cannot be compiled gives `ok: false` saying why. Each schema object is compiled
 * once (cached by identity, held weakly).
 */
export function validateStructuredOutput(schema: unknown, value: unknown): StructuredCheck {
  if (!isRecord(schema)) {
    return {
      ok: false,
      message: `the schema is not a JSON Schema object (${describeValue(schema)})`,
    };
  }
  const result = compile(schema);
  if ("problem" in result) {
    return { ok: false, message: `the schema is not a valid JSON Schema: ${result.problem}` };
  }
  try {
    if (result.validate(value)) return { ok: true };
    return { ok: false, message: describeErrors(result.validate.errors ?? []) };
  } catch (error) {
    return {
      ok: false,
      message: `the value could not be checked: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

const FORMAT_KEYS: ReadonlySet<string> = new Set(["type", "schema", "retryCount"]);

/**
 * Checks a `format` option (`{ type: "json_schema", schema, retryCount? }`) and
 * calls `fail(field, message)` on the first problem: unknown keys, a schema that
 * is not a valid JSON Schema (or not JSON), a root that is not an object schema
 * (the model answers through a function tool whose parameters are the schema),
 * or a `retryCount` that is not a non-negative integer.
 */
export function checkJsonSchemaFormat(
  value: unknown,
  field: string,
  fail: FailField,
): asserts value is JsonSchemaFormat {
  if (!isRecord(value)) {
    fail(
      field,
      `must be { type: "json_schema", schema, retryCount? }, got ${describeValue(value)}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!FORMAT_KEYS.has(key)) fail(`${field}.${key}`, "is not a key of a json_schema format");
  }
  if (value.type !== "json_schema") fail(`${field}.type`, 'must be "json_schema"');
  const { schema, retryCount } = value;
  if (!isRecord(schema)) {
    fail(`${field}.schema`, `must be a JSON Schema object, got ${describeValue(schema)}`);
  }
  try {
    JSON.stringify(schema);
  } catch {
    fail(`${field}.schema`, "must be plain JSON (no cycles, no BigInt)");
  }
  const problem = schemaProblem(schema);
  if (problem !== undefined) fail(`${field}.schema`, `is not a valid JSON Schema: ${problem}`);
  if (schema.type !== undefined && schema.type !== "object") {
    fail(`${field}.schema.type`, 'must be "object" (or left out)');
  }
  if (
    retryCount !== undefined &&
    !(typeof retryCount === "number" && Number.isInteger(retryCount) && retryCount >= 0)
  ) {
    fail(`${field}.retryCount`, "must be a non-negative integer");
  }
}

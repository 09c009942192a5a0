import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkJsonSchemaFormat,
  schemaProblem,
  validateStructuredOutput,
} from "../src/structured.js";

const PERSON = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: "integer", minimum: 0 },
    tags: { type: "array", items: { type: "string" } },
    role: { enum: ["admin", "user"] },
  },
  required: ["name", "age"],
  additionalProperties: false,
};

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`);
  }
}
const fail = (field: string, message: string): never => {
  throw new FieldError(field, message);
};

function fieldOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof FieldError) return error.field;
    throw error;
  }
}

describe("validateStructuredOutput", () => {
  it("accepts a value that fits the schema", () => {
    expect(validateStructuredOutput(PERSON, { name: "Ada", age: 36, tags: ["x"] })).toEqual({
      ok: true,
    });
  });

  it("names every mismatch: missing required, wrong type, extra key, enum", () => {
    const result = validateStructuredOutput(PERSON, {
      age: "old",
      tags: [1],
      role: "root",
      extra: true,
    });
    expect(result.ok).toBe(false);
    const message = result.ok ? "" : result.message;
    expect(message).toContain("must have required property 'name'");
    expect(message).toContain("the value at /age must be integer");
    expect(message).toContain("the value at /tags/0 must be string");
    expect(message).toContain("the value at /role must be equal to one of the allowed values");
    expect(message).toContain("must NOT have additional properties");
  });

  it("shows the first few mismatches and counts the rest", () => {
    const schema = {
      type: "object",
      properties: Object.fromEntries(
        Array.from({ length: 8 }, (_, i) => [`k${i}`, { type: "string" }]),
      ),
    };
    const value = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i]));
    const result = validateStructuredOutput(schema, value);
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/; and 3 more$/) });
  });

  it("rejects a value that is not an object when the schema asks for one", () => {
    const result = validateStructuredOutput(PERSON, "just text");
    expect(result).toEqual({ ok: false, message: "the value must be object" });
  });

  it("reads draft-07 and 2019-09 schemas by their $schema, 2020-12 otherwise", () => {
    const tuple07 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }, { type: "number" }],
    };
    expect(validateStructuredOutput(tuple07, ["a", 1])).toEqual({ ok: true });
    expect(validateStructuredOutput(tuple07, ["a", "b"]).ok).toBe(false);

    const tuple2020 = { type: "array", prefixItems: [{ type: "string" }], items: false };
    expect(validateStructuredOutput(tuple2020, ["a"])).toEqual({ ok: true });
    expect(validateStructuredOutput(tuple2020, ["a", 2]).ok).toBe(false);

    const schema2019 = {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      type: "object",
      dependentRequired: { a: ["b"] },
    };
    expect(validateStructuredOutput(schema2019, { a: 1 }).ok).toBe(false);
    expect(validateStructuredOutput(schema2019, { a: 1, b: 2 })).toEqual({ ok: true });
  });

  it("treats format as an annotation and tolerates unknown keywords", () => {
    const schema = {
      type: "object",
      properties: { at: { type: "string", format: "date-time", nullable: true } },
    };
    expect(validateStructuredOutput(schema, { at: "not a date" })).toEqual({ ok: true });
  });

  it("follows local $refs", () => {
    const schema = {
      type: "object",
      $defs: { item: { type: "object", properties: { id: { type: "number" } }, required: ["id"] } },
      properties: { items: { type: "array", items: { $ref: "#/$defs/item" } } },
    };
    expect(validateStructuredOutput(schema, { items: [{ id: 1 }] })).toEqual({ ok: true });
    expect(validateStructuredOutput(schema, { items: [{}] }).ok).toBe(false);
  });

  it("answers ok:false with a clear message for a schema that is not valid, never throwing", () => {
    const bad = validateStructuredOutput({ type: "no-such-type" }, {});
    expect(bad).toEqual({
      ok: false,
      message: expect.stringMatching(/^the schema is not a valid JSON Schema: schema is invalid/),
    });
    expect(validateStructuredOutput({ $ref: "#/nowhere" }, {})).toEqual({
      ok: false,
      message: expect.stringContaining("can't resolve reference #/nowhere"),
    });
    expect(
      validateStructuredOutput({ $schema: "http://json-schema.org/draft-04/schema#" }, {}),
    ).toEqual({ ok: false, message: expect.stringContaining("draft-04") });
    expect(validateStructuredOutput(null, {})).toEqual({
      ok: false,
      message: "the schema is not a JSON Schema object (null)",
    });
  });

  it("compiles two schemas with the same $id independently", () => {
    const a = { $id: "https://example.test/s", type: "object", required: ["a"] };
    const b = { $id: "https://example.test/s", type: "object", required: ["b"] };
    expect(validateStructuredOutput(a, { a: 1 })).toEqual({ ok: true });
    expect(validateStructuredOutput(b, { b: 1 })).toEqual({ ok: true });
    expect(validateStructuredOutput(b, { a: 1 }).ok).toBe(false);
  });

  it("reuses the compiled schema for the same object", () => {
    const schema = { type: "object", required: ["x"] };
    expect(validateStructuredOutput(schema, { x: 1 })).toEqual({ ok: true });
    // Changing the object after its first use does not change the compiled check.
    (schema as { required: string[] }).required = ["y"];
    expect(validateStructuredOutput(schema, { x: 1 })).toEqual({ ok: true });
  });

  it("never throws, whatever the schema and the value", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), fc.anything(), (schema, value) => {
        const result = validateStructuredOutput(schema, value);
        expect(typeof result.ok).toBe("boolean");
        if (!result.ok) expect(result.message).not.toBe("");
      }),
      { numRuns: 300 },
    );
  });
});

describe("schemaProblem", () => {
  it("is undefined for a valid schema and says why otherwise", () => {
    expect(schemaProblem(PERSON)).toBeUndefined();
    expect(schemaProblem({ type: 5 })).toMatch(/schema is invalid/);
    expect(schemaProblem([])).toBe("a JSON Schema must be an object, got an array");
  });
});

describe("checkJsonSchemaFormat", () => {
  it("accepts a json_schema format, with or without retryCount", () => {
    expect(
      fieldOf(() => checkJsonSchemaFormat({ type: "json_schema", schema: PERSON }, "format", fail)),
    ).toBeUndefined();
    expect(
      fieldOf(() =>
        checkJsonSchemaFormat(
          { type: "json_schema", schema: PERSON, retryCount: 0 },
          "format",
          fail,
        ),
      ),
    ).toBeUndefined();
    expect(
      fieldOf(() => checkJsonSchemaFormat({ type: "json_schema", schema: {} }, "format", fail)),
    ).toBeUndefined();
  });

  it.each([
    ["not an object", "yes", "format"],
    ["null", null, "format"],
    ["an unknown key", { type: "json_schema", schema: PERSON, strict: true }, "format.strict"],
    ["another type", { type: "text", schema: PERSON }, "format.type"],
    ["no schema", { type: "json_schema" }, "format.schema"],
    ["a schema that is an array", { type: "json_schema", schema: [] }, "format.schema"],
    ["an invalid schema", { type: "json_schema", schema: { type: "nope" } }, "format.schema"],
    [
      "a schema whose root is not an object",
      { type: "json_schema", schema: { type: "string" } },
      "format.schema.type",
    ],
    [
      "a negative retryCount",
      { type: "json_schema", schema: PERSON, retryCount: -1 },
      "format.retryCount",
    ],
    [
      "a fractional retryCount",
      { type: "json_schema", schema: PERSON, retryCount: 1.5 },
      "format.retryCount",
    ],
    [
      "a string retryCount",
      { type: "json_schema", schema: PERSON, retryCount: "2" },
      "format.retryCount",
    ],
  ])("refuses %s, naming the field", (_label, value, field) => {
    expect(fieldOf(() => checkJsonSchemaFormat(value, "format", fail))).toBe(field);
  });

  it("refuses a schema that is not plain JSON", () => {
    const cyclic: Record<string, unknown> = { type: "object" };
    cyclic.self = cyclic;
    expect(
      fieldOf(() =>
        checkJsonSchemaFormat({ type: "json_schema", schema: cyclic }, "turn.format", fail),
      ),
    ).toBe("turn.format.schema");
  });

  it("says what a bad schema does wrong in the message", () => {
    expect(() =>
      checkJsonSchemaFormat({ type: "json_schema", schema: { required: "name" } }, "format", fail),
    ).toThrow(/format\.schema is not a valid JSON Schema: .*required must be array/);
  });
});

import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeLiteLLM, misfitOf, type Rule, sampleOf, startFakeLiteLLM } from "../src/index.js";
import { type ChunkJson, chunksOf, postCompletion } from "./sse.js";

const KEY = "sk-structured";
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false, logger: false });
let llm: FakeLiteLLM;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY] });
});
afterAll(async () => {
  await llm.close();
});
afterEach(() => {
  llm.reset();
});

const PERSON = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 2 },
    age: { type: "integer", minimum: 18, maximum: 120 },
    email: { type: "string", format: "email" },
    role: { enum: ["admin", "user"] },
    tags: { type: "array", items: { type: "string" }, minItems: 2, uniqueItems: true },
    address: {
      type: "object",
      properties: { city: { type: "string" }, zip: { type: "string", maxLength: 5 } },
      required: ["city"],
      additionalProperties: false,
    },
    active: { type: "boolean" },
    score: { type: "number", exclusiveMinimum: 0, multipleOf: 0.5 },
  },
  required: ["name", "age", "address"],
  additionalProperties: false,
};

/** The schemas the generator must handle: each row a schema and what it exercises. */
const SCHEMAS: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["nested objects, bounds, enum, formats", PERSON],
  [
    "no required keys, extra keys forbidden",
    { type: "object", properties: { a: { type: "number" } }, additionalProperties: false },
  ],
  [
    "const and nullable types",
    {
      type: "object",
      properties: { v: { const: 3 }, n: { type: ["null", "string"] } },
      required: ["v", "n"],
    },
  ],
  [
    "local $ref",
    {
      type: "object",
      $defs: {
        item: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
      },
      properties: { items: { type: "array", items: { $ref: "#/$defs/item" } } },
      required: ["items"],
    },
  ],
  [
    "tuples",
    {
      type: "object",
      properties: {
        pair: {
          type: "array",
          prefixItems: [{ type: "string" }, { type: "number" }],
          items: false,
        },
      },
      required: ["pair"],
    },
  ],
  [
    "anyOf and allOf",
    {
      type: "object",
      allOf: [
        { properties: { a: { type: "string" } }, required: ["a"] },
        {
          properties: { b: { anyOf: [{ type: "integer" }, { type: "string" }] } },
          required: ["b"],
        },
      ],
    },
  ],
  ["a required key without a property schema", { type: "object", required: ["free"] }],
  [
    "negative bounds",
    { type: "object", properties: { t: { type: "number", maximum: -5 } }, required: ["t"] },
  ],
];

async function completion(
  tools: unknown[],
  text = "answer in the format",
): Promise<{ chunks: ChunkJson[]; args: string; content: string }> {
  const response = await postCompletion(llm.url, KEY, text, { tools, tool_choice: "required" });
  const chunks = await chunksOf(response);
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
  return {
    chunks,
    args: deltas.map((d) => d.function.arguments ?? "").join(""),
    content: chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""),
  };
}

const structuredTool = (schema: unknown) => ({
  type: "function",
  function: { name: "StructuredOutput", description: "Answer with JSON", parameters: schema },
});
const bashTool = { type: "function", function: { name: "bash", parameters: { type: "object" } } };

describe("the schema sampler", () => {
  it.each(SCHEMAS)("makes an object that fits: %s", (_label, schema) => {
    const value = sampleOf(schema);
    expect(ajv.validate(schema, value), ajv.errorsText()).toBe(true);
  });

  it.each(SCHEMAS.filter(([label]) => !label.startsWith("no required")))(
    "makes an object that does not fit: %s",
    (_label, schema) => {
      expect(ajv.validate(schema, misfitOf(schema))).toBe(false);
    },
  );

  it("breaks a schema without required keys through a property's type", () => {
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(misfitOf(schema)).toEqual({ a: "not a number" });
    expect(ajv.validate(schema, misfitOf(schema))).toBe(false);
  });

  it("is deterministic", () => {
    expect(sampleOf(PERSON)).toEqual(sampleOf(PERSON));
  });
});

describe("structured output", () => {
  it("answers a request offering StructuredOutput by calling it with an object that fits", async () => {
    const { chunks, args } = await completion([bashTool, structuredTool(PERSON)]);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]?.function.name).toBe("StructuredOutput");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(ajv.validate(PERSON, JSON.parse(args)), ajv.errorsText()).toBe(true);
    expect(llm.requests[0]?.structuredSchema).toEqual(PERSON);
  });

  it("records no schema for a request without the tool", async () => {
    await completion([bashTool]);
    expect(llm.requests[0]?.structuredSchema).toBeUndefined();
  });

  it("on cue, calls it with an object that does not fit", async () => {
    llm.setRules([{ match: "bad json", reply: { structured: { invalid: true } } }]);
    const { args } = await completion([structuredTool(PERSON)], "give me bad json");
    expect(ajv.validate(PERSON, JSON.parse(args))).toBe(false);
  });

  it("sends a given object as is", async () => {
    const value = { anything: ["goes", 1] };
    llm.setRules([{ reply: { structured: { value } } }]);
    const { args } = await completion([structuredTool(PERSON)]);
    expect(JSON.parse(args)).toEqual(value);
  });

  it("on cue, answers with text and no tool call", async () => {
    llm.setRules([{ reply: { structured: { skip: true, text: "No JSON today." } } }]);
    const { chunks, content } = await completion([structuredTool(PERSON)]);
    expect(content).toBe("No JSON today.");
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls !== undefined)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("lets a text rule win over the generated object", async () => {
    llm.setRules([{ match: "plain", reply: { text: "plain words" } }]);
    expect((await completion([structuredTool(PERSON)], "plain please")).content).toBe(
      "plain words",
    );
  });

  it("rejects contradictory or ill-typed structured scripts, naming the field", () => {
    const bad: Array<[Rule, RegExp]> = [
      [
        { reply: { structured: { value: { a: 1 }, invalid: true } } },
        /"rules\[0\]\.reply\.structured"/,
      ],
      [{ reply: { structured: { value: [] as never } } }, /"rules\[0\]\.reply\.structured\.value"/],
      [
        { reply: { structured: { skip: "yes" as never } } },
        /"rules\[0\]\.reply\.structured\.skip"/,
      ],
    ];
    for (const [rule, field] of bad) expect(() => llm.setRules([rule])).toThrow(field);
  });
});

describe("function replies", () => {
  it("builds the script from the request", async () => {
    llm.setRules([{ reply: (request) => ({ text: `tools: ${request.tools.join(",")}` }) }]);
    expect((await completion([bashTool])).content).toBe("tools: bash");
  });

  it("answers 500 when the function returns a script that is not valid", async () => {
    llm.setRules([{ reply: () => ({ text: "x", chunks: 0 }) }]);
    const res = await fetch(`${llm.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("reply().chunks");
  });
});

import type { DefaultScript, Reply, Rule, Script, UsageOverride } from "./types.js";

/** A bad option given to `startFakeLiteLLM`; `field` names it. */
export class FakeLiteLLMOptionsError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`fake-litellm: option "${field}" ${problem}`);
    this.name = "FakeLiteLLMOptionsError";
    this.field = field;
  }
}

function fail(field: string, problem: string): never {
  throw new FakeLiteLLMOptionsError(field, problem);
}
const isCount = (n: unknown): boolean => typeof n === "number" && Number.isInteger(n) && n >= 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function validateKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined) return ["sk-test"];
  if (!Array.isArray(keys) || keys.length === 0) {
    fail("keys", "must be a non-empty array of strings");
  }
  keys.forEach((key, i) => {
    if (typeof key !== "string" || key === "" || /\s/.test(key)) {
      fail(`keys[${i}]`, "must be a non-empty string without spaces");
    }
  });
  return keys;
}

export function validateModels(models: readonly string[] | undefined): readonly string[] {
  if (models === undefined) return ["fake-model"];
  if (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m === "")) {
    fail("models", "must be an array of non-empty strings");
  }
  return models;
}

export function validateDefaultScript(value: DefaultScript | undefined): DefaultScript {
  if (value === undefined) return "echo";
  if (value !== "echo" && value !== "agent") fail("defaultScript", 'must be "echo" or "agent"');
  return value;
}

export function validateRules(list: readonly Rule[], field: string): readonly Rule[] {
  if (!Array.isArray(list)) fail(field, "must be an array");
  list.forEach((rule, i) => {
    const name = field === "rule" ? "rule" : `${field}[${i}]`;
    if (typeof rule !== "object" || rule === null) fail(name, "must be an object");
    const m = rule.match;
    if (
      m !== undefined &&
      typeof m !== "string" &&
      typeof m !== "function" &&
      !(m instanceof RegExp)
    ) {
      fail(`${name}.match`, "must be a string, RegExp or function");
    }
    validateReply(rule.reply, `${name}.reply`);
  });
  return [...list];
}

/** A function reply is checked when it is called (its script), not here. */
export function validateReply(reply: Reply | undefined, field: string): void {
  if (typeof reply === "function") return;
  validateScript(reply, field);
}

export function validateScript(script: Script | undefined, field: string): void {
  if (typeof script !== "object" || script === null) fail(field, "must be a script object");
  if ("toolCalls" in script) {
    if (!Array.isArray(script.toolCalls) || script.toolCalls.length === 0) {
      fail(`${field}.toolCalls`, "must be a non-empty array");
    }
    script.toolCalls.forEach((call, i) => {
      if (typeof call?.name !== "string" || call.name === "") {
        fail(`${field}.toolCalls[${i}].name`, "must be a non-empty string");
      }
    });
    if (script.reasoning !== undefined && typeof script.reasoning !== "string") {
      fail(`${field}.reasoning`, "must be a string");
    }
    if (script.text !== undefined && typeof script.text !== "string") {
      fail(`${field}.text`, "must be a string");
    }
    if (script.then !== undefined) validateReply(script.then, `${field}.then`);
    validateUsage(script.usage, `${field}.usage`);
  } else if ("structured" in script) {
    validateStructured(script.structured, `${field}.structured`);
  } else if ("error" in script) {
    const status = script.error?.status;
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      fail(`${field}.error.status`, "must be an HTTP error status (400-599)");
    }
  } else if ("stall" in script) {
    if (!isCount(script.stall?.ms)) fail(`${field}.stall.ms`, "must be a non-negative integer");
    if (script.stall.afterChunks !== undefined && !isCount(script.stall.afterChunks)) {
      fail(`${field}.stall.afterChunks`, "must be a non-negative integer");
    }
  } else if ("hangUp" in script) {
    if (script.hangUp?.afterChunks !== undefined && !isCount(script.hangUp.afterChunks)) {
      fail(`${field}.hangUp.afterChunks`, "must be a non-negative integer");
    }
  } else if ("text" in script) {
    if (typeof script.text !== "string") fail(`${field}.text`, "must be a string");
    if (script.chunks !== undefined && !(isCount(script.chunks) && script.chunks > 0)) {
      fail(`${field}.chunks`, "must be a positive integer");
    }
    if (script.chunkDelayMs !== undefined && !isCount(script.chunkDelayMs)) {
      fail(`${field}.chunkDelayMs`, "must be a non-negative integer");
    }
    validateUsage(script.usage, `${field}.usage`);
  } else {
    fail(field, "needs text, toolCalls, structured, error, stall or hangUp");
  }
}

function validateStructured(spec: unknown, field: string): void {
  if (!isObject(spec)) fail(field, "must be an object ({}, { value }, { invalid } or { skip })");
  const chosen = ["value", "invalid", "skip"].filter((k) => spec[k] !== undefined);
  if (chosen.length > 1)
    fail(field, `takes one of value, invalid and skip, not ${chosen.join(" and ")}`);
  if (spec.value !== undefined && !isObject(spec.value)) {
    fail(`${field}.value`, "must be an object (the tool's arguments)");
  }
  for (const key of ["invalid", "skip"]) {
    if (spec[key] !== undefined && typeof spec[key] !== "boolean") {
      fail(`${field}.${key}`, "must be a boolean");
    }
  }
  if (spec.text !== undefined && typeof spec.text !== "string")
    fail(`${field}.text`, "must be a string");
}

function validateUsage(usage: UsageOverride | undefined, field: string): void {
  if (usage === undefined) return;
  if (typeof usage !== "object" || usage === null) fail(field, "must be an object of token counts");
  for (const name of ["prompt_tokens", "completion_tokens", "total_tokens"] as const) {
    const n = usage[name];
    if (n !== undefined && !isCount(n)) fail(`${field}.${name}`, "must be a non-negative integer");
  }
}

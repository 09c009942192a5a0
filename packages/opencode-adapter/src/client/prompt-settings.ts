/**
 * The settings a prompt may carry (agent, system, variant, tools, format, policies,
 * limits, callbacks): checked the same way whether they come from the adapter's config
 * (the defaults) or from one prompt's options (which win).
 */

import { describeValue } from "@taos/internal";
import { checkJsonSchemaFormat } from "../structured.js";
import type { ResolvedPromptSettings } from "./config.js";
import { fail } from "./errors.js";

/** No config, no options: reject every ask, 60 s per ask, 3 retries. */
export const DEFAULT_PROMPT_SETTINGS: ResolvedPromptSettings = {
  permission: "reject",
  question: "reject",
  askTimeoutMs: 60_000,
  maxRetries: 3,
};

const PERMISSION_REPLIES = new Set<unknown>(["once", "always", "reject"]);
const STRING_FIELDS = ["agent", "system", "variant"] as const;
const FUNCTION_FIELDS = ["onDecision", "onStatus"] as const;

/**
 * `input`'s prompt settings over `base`. A bad field throws `OpenCodeAdapterConfigError`
 * naming it (`prefix` + field, e.g. `options.agent`).
 */
export function resolvePromptSettings(
  input: Readonly<Record<string, unknown>>,
  base: ResolvedPromptSettings,
  prefix: string,
): ResolvedPromptSettings {
  const out: Record<string, unknown> = { ...base };
  const name = (field: string): string => `${prefix}${field}`;
  for (const field of STRING_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== "string")
      fail(name(field), `must be a string, got ${describeValue(value)}`);
    if (value.trim() === "") fail(name(field), "must not be empty");
    out[field] = value;
  }
  for (const field of FUNCTION_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== "function")
      fail(name(field), `must be a function, got ${describeValue(value)}`);
    out[field] = value;
  }
  if (input.tools !== undefined) out.tools = checkTools(input.tools, name("tools"));
  if (input.format !== undefined) out.format = checkFormat(input.format, name("format"));
  if (input.permission !== undefined)
    out.permission = checkPermission(input.permission, name("permission"));
  if (input.question !== undefined) {
    const question = input.question;
    if (typeof question !== "function" && question !== "reject") {
      fail(name("question"), `must be "reject" or a function, got ${describeValue(question)}`);
    }
    out.question = question;
  }
  if (input.askTimeoutMs !== undefined) {
    const ms = input.askTimeoutMs;
    // A timer cannot wait longer than about 24.8 days (setTimeout's limit).
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || ms > 2 ** 31 - 1) {
      fail(
        name("askTimeoutMs"),
        `must be a positive number of milliseconds, got ${describeValue(ms)}`,
      );
    }
    out.askTimeoutMs = ms;
  }
  if (input.maxRetries !== undefined) {
    const n = input.maxRetries;
    if (
      typeof n !== "number" ||
      !(Number.isInteger(n) || n === Number.POSITIVE_INFINITY) ||
      n < 0
    ) {
      fail(name("maxRetries"), `must be a whole number >= 0 or Infinity, got ${describeValue(n)}`);
    }
    out.maxRetries = n;
  }
  return out as unknown as ResolvedPromptSettings;
}

function checkTools(value: unknown, field: string): Readonly<Record<string, boolean>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, `must be an object of tool names to true/false, got ${describeValue(value)}`);
  }
  for (const [tool, on] of Object.entries(value)) {
    if (typeof on !== "boolean")
      fail(`${field}.${tool}`, `must be true or false, got ${describeValue(on)}`);
  }
  return { ...(value as Record<string, boolean>) };
}

function checkFormat(value: unknown, field: string): ResolvedPromptSettings["format"] {
  checkJsonSchemaFormat(value, field, fail);
  const { schema, retryCount } = value;
  return { type: "json_schema", schema, ...(retryCount === undefined ? {} : { retryCount }) };
}

function checkPermission(value: unknown, field: string): ResolvedPromptSettings["permission"] {
  if (typeof value !== "function" && !PERMISSION_REPLIES.has(value)) {
    fail(field, `must be "reject", "once", "always" or a function, got ${describeValue(value)}`);
  }
  return value as ResolvedPromptSettings["permission"];
}

import { isAbsolute, join } from "node:path";
import { describeValue, type Fail, fieldFailer, isRecord } from "@taos/internal";
import { ConfigValidationError } from "./validation-error.js";

export const OPENCODE_CONFIG_SCHEMA = "https://opencode.ai/config.json";

/** What opencode does when a tool needs permission. */
export type PermissionAction = "allow" | "ask" | "deny";

/**
 * opencode's `permission` block: one action for everything, or per tool
 * (`bash`, `edit`, `webfetch`, ...), where a tool may take per-pattern actions.
 */
export type PermissionConfig =
  | PermissionAction
  | Readonly<Record<string, PermissionAction | Readonly<Record<string, PermissionAction>>>>;

/** opencode's per-model settings; what a host declares about each model behind the proxy. */
export interface OpenCodeModelSettings {
  /** The model id the proxy knows, e.g. a LiteLLM model name. */
  readonly id: string;
  /** Display name. */
  readonly name?: string;
  /**
   * Token limits. opencode compacts a session when it nears `context`, so give the real
   * window of the model behind the proxy.
   */
  readonly limit?: { readonly context: number; readonly output: number };
  /** Provider options of this model (e.g. `reasoningEffort`), passed to opencode as they are. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A plain model id, or a model with its settings. */
export type OpenCodeModel = string | OpenCodeModelSettings;

export interface OpenCodeConfigOptions {
  /** The LiteLLM proxy's OpenAI-compatible base URL, e.g. `http://litellm:4000/v1`. */
  readonly baseURL: string;
  /** The agent's own LiteLLM virtual key. Never logged, never put in an error message. */
  readonly apiKey: string;
  /**
   * The models the agent may use, in order: plain ids, or `{ id, name?, limit?, options? }`
   * with opencode's per-model settings. The first is the default model of the layers above.
   */
  readonly modelIds: readonly OpenCodeModel[];
  /** The provider id opencode knows the proxy by. @default "litellm" */
  readonly providerId?: string;
  /** The provider's display name. @default "LiteLLM" */
  readonly providerName?: string;
  /** opencode's `permission` block, written only when given. */
  readonly permission?: PermissionConfig;
  /**
   * More top-level opencode config keys, merged under ours: `provider`,
   * `permission` and `$schema` always come from the options above. `share`
   * defaults to `"disabled"` (sessions never leave the host); `extra.share` overrides it.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface OpenCodeProviderConfig {
  readonly npm: "@ai-sdk/openai-compatible";
  readonly name: string;
  readonly options: { readonly baseURL: string; readonly apiKey: string };
  /** One entry per model id: `{}` for a plain id, else its settings without the id. */
  readonly models: Readonly<Record<string, Readonly<Omit<OpenCodeModelSettings, "id">>>>;
}

/** The `opencode.json` we write. */
export interface OpenCodeConfigFile {
  readonly $schema: string;
  readonly provider: Readonly<Record<string, OpenCodeProviderConfig>>;
  readonly permission?: PermissionConfig;
  readonly [key: string]: unknown;
}

const PERMISSION_ACTIONS = new Set<unknown>(["allow", "ask", "deny"]);
const MODEL_KEYS = new Set(["id", "name", "limit", "options"]);
const PROVIDER_ONLY_KEYS = new Set(["baseurl", "apikey", "headers", "fetch"]);
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// Whitespace or control characters would corrupt the Authorization header.
const BAD_KEY_CHAR = /[\s\u0000-\u001f\u007f]/;

const fail: Fail = fieldFailer((field, message) => new ConfigValidationError({ field, message }));

function requireString(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, `must be a string, got ${describeValue(value)}`);
  if (value.trim() === "") fail(field, "must not be empty");
  return value;
}

function validatePermission(value: unknown): void {
  if (PERMISSION_ACTIONS.has(value)) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(
      "permission",
      `must be "allow", "ask", "deny" or an object of them, got ${describeValue(value)}`,
    );
  }
  for (const [tool, action] of Object.entries(value)) {
    if (PERMISSION_ACTIONS.has(action)) continue;
    if (action !== null && typeof action === "object" && !Array.isArray(action)) {
      for (const [pattern, inner] of Object.entries(action)) {
        if (!PERMISSION_ACTIONS.has(inner)) {
          fail(`permission.${tool}.${pattern}`, 'must be "allow", "ask" or "deny"');
        }
      }
      continue;
    }
    fail(`permission.${tool}`, 'must be "allow", "ask", "deny" or an object of them');
  }
}

function positiveInteger(value: unknown, field: string): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    fail(field, `must be a positive integer, got ${describeValue(value)}`);
  }
}

/** Checks one `{ id, name?, limit?, options? }` entry and returns its id. */
function validateModel(model: unknown, field: string): string {
  if (!isRecord(model)) {
    fail(
      field,
      `must be a model id or { id, name?, limit?, options? }, got ${describeValue(model)}`,
    );
  }
  const id = requireString(model.id, `${field}.id`);
  for (const key of Object.keys(model)) {
    if (!MODEL_KEYS.has(key))
      fail(`${field}.${key}`, "is not a model setting (id, name, limit, options)");
  }
  if (model.name !== undefined) requireString(model.name, `${field}.name`);
  if (model.limit !== undefined) {
    if (!isRecord(model.limit)) fail(`${field}.limit`, "must be { context, output }");
    positiveInteger(model.limit.context, `${field}.limit.context`);
    positiveInteger(model.limit.output, `${field}.limit.output`);
  }
  if (model.options !== undefined) {
    if (!isRecord(model.options)) {
      fail(`${field}.options`, `must be an object, got ${describeValue(model.options)}`);
    }
    // Model options reach the provider's calls: they must not redirect the proxy or the key.
    for (const key of Object.keys(model.options)) {
      if (PROVIDER_ONLY_KEYS.has(key.toLowerCase())) {
        fail(
          `${field}.options.${key}`,
          "is set by the provider (baseURL, apiKey) and cannot be overridden per model",
        );
      }
    }
  }
  return id;
}

/** The id of a model entry: the string itself, or its `id`. */
export function modelIdOf(model: OpenCodeModel): string {
  return typeof model === "string" ? model : model.id;
}

/**
 * Checks every option and throws a `ConfigValidationError` naming the first bad
 * one. Accepts `unknown` so that callers holding untyped input get the same checks.
 */
export function validateOpenCodeConfigOptions(
  options: unknown,
): asserts options is OpenCodeConfigOptions {
  if (options === null || typeof options !== "object") {
    fail("options", `must be an object, got ${describeValue(options)}`);
  }
  const o = options as Record<string, unknown>;

  const baseURL = requireString(o.baseURL, "baseURL");
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    fail("baseURL", "must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail("baseURL", `must use http or https, got "${url.protocol}"`);
  }
  if (url.username || url.password) fail("baseURL", "must not carry credentials");

  // The key's value never reaches a message: only what is wrong with it.
  if (typeof o.apiKey !== "string")
    fail("apiKey", `must be a string, got ${describeValue(o.apiKey)}`);
  if (o.apiKey === "") fail("apiKey", "must not be empty");
  if (BAD_KEY_CHAR.test(o.apiKey))
    fail("apiKey", "must not contain whitespace or control characters");

  if (!Array.isArray(o.modelIds))
    fail("modelIds", `must be an array, got ${describeValue(o.modelIds)}`);
  if (o.modelIds.length === 0) fail("modelIds", "must name at least one model");
  const seen = new Set<string>();
  o.modelIds.forEach((model: unknown, index: number) => {
    const field = `modelIds[${index}]`;
    const id =
      typeof model === "string" ? requireString(model, field) : validateModel(model, field);
    if (seen.has(id)) fail(field, `duplicate model id "${id}"`);
    seen.add(id);
  });

  if (o.providerId !== undefined) {
    const id = requireString(o.providerId, "providerId");
    if (!PROVIDER_ID.test(id)) {
      fail(
        "providerId",
        "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'",
      );
    }
  }
  if (o.providerName !== undefined) requireString(o.providerName, "providerName");
  if (o.permission !== undefined) validatePermission(o.permission);
  if (
    o.extra !== undefined &&
    (o.extra === null || typeof o.extra !== "object" || Array.isArray(o.extra))
  ) {
    fail("extra", `must be an object, got ${describeValue(o.extra)}`);
  }
}

function modelEntry(model: OpenCodeModel): [string, Omit<OpenCodeModelSettings, "id">] {
  if (typeof model === "string") return [model, {}];
  const { id, name, limit, options } = model;
  return [
    id,
    {
      ...(name === undefined ? {} : { name }),
      ...(limit === undefined ? {} : { limit: { context: limit.context, output: limit.output } }),
      ...(options === undefined ? {} : { options: { ...options } }),
    },
  ];
}

/** Builds opencode's config for a LiteLLM provider. Pure; validates first. */
export function buildOpenCodeConfig(options: OpenCodeConfigOptions): OpenCodeConfigFile {
  validateOpenCodeConfigOptions(options);
  const providerId = options.providerId ?? "litellm";
  // fromEntries defines own keys, so even an id like "__proto__" stays a model.
  const models = Object.fromEntries(options.modelIds.map(modelEntry));
  const provider: OpenCodeProviderConfig = {
    npm: "@ai-sdk/openai-compatible",
    name: options.providerName ?? "LiteLLM",
    options: { baseURL: options.baseURL, apiKey: options.apiKey },
    models,
  };
  return {
    // Sessions never leave the host. The config key, not OPENCODE_DISABLE_SHARE: with that
    // variable set, opencode 1.18.33 fails every prompt after an early abort (see the README).
    share: "disabled",
    ...options.extra,
    $schema: OPENCODE_CONFIG_SCHEMA,
    provider: { [providerId]: provider },
    ...(options.permission === undefined ? {} : { permission: options.permission }),
  };
}

/** Where opencode reads its global config for a given home: `<home>/.config/opencode/opencode.json`. */
export function opencodeConfigPath(home: string): string {
  return join(requireHome(home), ".config", "opencode", "opencode.json");
}

/** Checks that `home` is an absolute path and returns it. */
export function requireHome(home: unknown): string {
  const value = requireString(home, "home");
  if (!isAbsolute(value)) fail("home", `must be an absolute path, got "${value}"`);
  return value;
}

/**
 * The config as an environment variable, for callers that want no file on disk.
 * opencode reads `OPENCODE_CONFIG_CONTENT` on top of its config files.
 */
export function toConfigEnv(options: OpenCodeConfigOptions): { OPENCODE_CONFIG_CONTENT: string } {
  return { OPENCODE_CONFIG_CONTENT: JSON.stringify(buildOpenCodeConfig(options)) };
}

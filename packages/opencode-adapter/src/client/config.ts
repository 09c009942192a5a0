import { isAbsolute } from "node:path";
import { describeValue, loggerProblem, type OpenCodeLogger, silentLogger } from "@taos/internal";
import type { JsonSchemaFormat } from "../structured.js";
import type { TurnStatusUpdate } from "../turn/status.js";
import type { AskDecision, PermissionPolicy, QuestionPolicy } from "./ask-types.js";
import { fail } from "./errors.js";
import { DEFAULT_PROMPT_SETTINGS, resolvePromptSettings } from "./prompt-settings.js";

/** Structured output: opencode makes the model answer with an object of this JSON Schema. */
export type OutputFormat = JsonSchemaFormat;

/** The per-prompt settings that the config may give defaults for. */
export interface PromptDefaults {
  /** opencode agent name, e.g. `build` or `plan`; opencode's default when unset. */
  readonly agent?: string;
  /** A system prompt added to the turn. */
  readonly system?: string;
  /** The model's variant (reasoning effort), e.g. `high`. */
  readonly variant?: string;
  /** Tools to enable (true) or disable (false) by name, e.g. `{ bash: false }`. */
  readonly tools?: Readonly<Record<string, boolean>>;
  /** Structured output: the final carries the object, checked against the schema. */
  readonly format?: OutputFormat;
  /** @default "reject" (with a message saying no one can approve it) */
  readonly permission?: PermissionPolicy;
  /** @default "reject" */
  readonly question?: QuestionPolicy;
  /** How long a permission or question policy may take; past it the ask is rejected. @default 60000 */
  readonly askTimeoutMs?: number;
  /**
   * How many model-call retries opencode may make before the turn gives up with one
   * `upstream_unavailable` error. `Infinity` keeps opencode's own behaviour. @default 3
   */
  readonly maxRetries?: number;
  /** Called with each permission or question answer sent. */
  readonly onDecision?: (decision: AskDecision) => void;
  /** Called when the session goes busy, retries a model call, or goes idle. */
  readonly onStatus?: (update: TurnStatusUpdate) => void;
}

export interface OpenCodeAdapterConfig extends PromptDefaults {
  /** Where `opencode serve` listens, e.g. `http://127.0.0.1:4096` (no credentials in it). */
  readonly baseUrl: string;
  /** Basic auth user name. @default "opencode" */
  readonly username?: string;
  /** The server password (`OPENCODE_SERVER_PASSWORD`); sent on every request, never logged. */
  readonly password?: string;
  /** @default "litellm" */
  readonly providerId?: string;
  readonly modelId: string;
  /** An existing session to continue; checked to exist by `ensureSession()`. */
  readonly sessionId?: string;
  /** The working directory of new sessions (absolute); the server's own directory when unset. */
  readonly directory?: string;
  /** Opening the event stream (up to `server.connected`) and each TCP connect. @default 10000 */
  readonly connectTimeoutMs?: number;
  /**
   * No event at all, heartbeats included, for this long fails the turn. opencode sends a
   * heartbeat every 10 s. @default 30000
   */
  readonly silenceTimeoutMs?: number;
  /** Headers and body of each plain request. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** After an abort, how long to wait for opencode's own end before ending the turn here. @default 2000 */
  readonly abortGraceMs?: number;
  /**
   * Talk to a server whose `/global/health` reports a version outside
   * `SUPPORTED_OPENCODE_RANGE` (a warning is logged) instead of refusing it with
   * `UnsupportedServerVersionError`. @default false
   */
  readonly allowUnsupportedVersion?: boolean;
  /** pino-compatible; silent when unset. */
  readonly logger?: OpenCodeLogger;
}

/** The config after validation, defaults applied. */
export interface ResolvedAdapterConfig {
  readonly baseUrl: URL;
  readonly username: string;
  readonly password: string | undefined;
  readonly providerId: string;
  readonly modelId: string;
  readonly sessionId: string | undefined;
  readonly directory: string | undefined;
  /** The prompt defaults, checked (policies and limits with their defaults applied). */
  readonly prompt: ResolvedPromptSettings;
  readonly connectTimeoutMs: number;
  readonly silenceTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly abortGraceMs: number;
  readonly allowUnsupportedVersion: boolean;
  readonly logger: OpenCodeLogger;
}

/** Prompt settings after validation: config defaults, then the prompt's own values. */
export interface ResolvedPromptSettings extends PromptDefaults {
  readonly permission: PermissionPolicy;
  readonly question: QuestionPolicy;
  readonly askTimeoutMs: number;
  readonly maxRetries: number;
}

// Session ids go into URL paths; opencode's look like `ses_0123abcXYZ`.
const SESSION_ID = /^[A-Za-z0-9_-]+$/;
const BAD_HEADER_CHAR = /[\u0000-\u001f\u007f]/;

export function optionalString(config: Record<string, unknown>, field: string): string | undefined {
  const value = config[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string") fail(field, `must be a string, got ${describeValue(value)}`);
  if (value.trim() === "") fail(field, "must not be empty");
  return value;
}

function requiredString(config: Record<string, unknown>, field: string): string {
  const value = optionalString(config, field);
  if (value === undefined) fail(field, "is required");
  return value;
}

export function duration(config: Record<string, unknown>, field: string, fallback: number): number {
  const value = config[field];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    fail(field, `must be a positive number of milliseconds, got ${describeValue(value)}`);
  }
  return value;
}

function parseBaseUrl(value: unknown): URL {
  if (typeof value !== "string") fail("baseUrl", `must be a string, got ${describeValue(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail("baseUrl", "must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail("baseUrl", `must use http or https, got ${url.protocol}`);
  }
  // Credentials in the URL would end up in error messages: they go in username/password.
  if (url.username || url.password) fail("baseUrl", "must not contain credentials");
  if (url.search || url.hash) fail("baseUrl", "must not have a query or fragment");
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

function validateLogger(value: unknown): OpenCodeLogger {
  if (value === undefined) return silentLogger;
  const problem = loggerProblem(value);
  if (problem !== undefined) fail("logger", problem);
  return value as OpenCodeLogger;
}

/** The fields of a config that reach the server's shared connection, checked. */
export type ResolvedConnectionConfig = Pick<
  ResolvedAdapterConfig,
  "baseUrl" | "username" | "password" | "connectTimeoutMs" | "requestTimeoutMs" | "logger"
>;

function requireObject(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    fail("config", `must be an object, got ${describeValue(input)}`);
  }
  return input as Record<string, unknown>;
}

/** Checks where the server is and how to reach it (the adapter's and `holdConnection`'s). */
export function resolveConnectionConfig(input: unknown): ResolvedConnectionConfig {
  const config = requireObject(input);
  const baseUrl = parseBaseUrl(config.baseUrl);
  const username = optionalString(config, "username") ?? "opencode";
  if (username.includes(":") || BAD_HEADER_CHAR.test(username)) {
    fail("username", "must not contain ':' or control characters");
  }
  const password = config.password;
  if (password !== undefined) {
    // Never echo the value: it is a secret.
    if (typeof password !== "string")
      fail("password", `must be a string, got ${describeValue(password)}`);
    if (password === "") fail("password", "must not be empty (leave it unset instead)");
    if (BAD_HEADER_CHAR.test(password)) fail("password", "must not contain control characters");
  }
  return {
    baseUrl,
    username,
    password: password as string | undefined,
    connectTimeoutMs: duration(config, "connectTimeoutMs", 10_000),
    requestTimeoutMs: duration(config, "requestTimeoutMs", 30_000),
    logger: validateLogger(config.logger),
  };
}

/** Checks every field of an adapter config and applies the defaults. */
export function resolveAdapterConfig(input: unknown): ResolvedAdapterConfig {
  const connection = resolveConnectionConfig(input);
  const config = input as Record<string, unknown>;
  const sessionId = optionalString(config, "sessionId");
  if (sessionId !== undefined && !SESSION_ID.test(sessionId)) {
    fail("sessionId", "must be an opencode session id like ses_...");
  }
  const directory = optionalString(config, "directory");
  if (directory !== undefined && !isAbsolute(directory))
    fail("directory", "must be an absolute path");

  return {
    ...connection,
    providerId: optionalString(config, "providerId") ?? "litellm",
    modelId: requiredString(config, "modelId"),
    sessionId,
    directory,
    prompt: resolvePromptSettings(config, DEFAULT_PROMPT_SETTINGS, ""),
    silenceTimeoutMs: duration(config, "silenceTimeoutMs", 30_000),
    abortGraceMs: duration(config, "abortGraceMs", 2_000),
    allowUnsupportedVersion: optionalBoolean(config, "allowUnsupportedVersion") ?? false,
  };
}

function optionalBoolean(config: Record<string, unknown>, field: string): boolean | undefined {
  const value = config[field];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") fail(field, `must be a boolean, got ${describeValue(value)}`);
  return value;
}

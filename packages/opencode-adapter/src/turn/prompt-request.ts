/**
 * What one prompt sends and runs: its settings (the config's defaults, its own options
 * over them), the `prompt_async` body, and the turn that follows it.
 */
import type { Attachment } from "../client/attachments.js";
import { toFileParts } from "../client/attachments.js";
import type {
  PromptDefaults,
  ResolvedAdapterConfig,
  ResolvedPromptSettings,
} from "../client/config.js";
import type { ServerConnection } from "../client/connection.js";
import { OpenCodeAdapterConfigError } from "../client/errors.js";
import { resolvePromptSettings } from "../client/prompt-settings.js";
import type { Sink } from "../reply.js";
import { checkStructured } from "./check-structured.js";
import type { SessionRef } from "./recovery.js";
import { Turn } from "./turn.js";

/**
 * One prompt's options. The prompt settings (`agent`, `system`, `variant`, `tools`,
 * `format`, the policies, `askTimeoutMs`, `maxRetries`, `onDecision`, `onStatus`)
 * override the adapter config's defaults for this turn only.
 */
export interface PromptOptions extends PromptDefaults {
  /** Put on every reply as `trace_id`; a random UUID when unset. */
  readonly traceId?: string;
  readonly attachments?: readonly Attachment[];
  /** Aborts the turn: opencode is told to stop, and the turn ends `aborted`. */
  readonly signal?: AbortSignal;
}

/** The config's prompt defaults with this prompt's own settings over them (checked). */
export function settingsOf(
  config: ResolvedAdapterConfig,
  options: PromptOptions,
): ResolvedPromptSettings {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new OpenCodeAdapterConfigError({ field: "options", message: "must be an object" });
  }
  return resolvePromptSettings(
    (options ?? {}) as Record<string, unknown>,
    config.prompt,
    "options.",
  );
}

export function newTurn(
  config: ResolvedAdapterConfig,
  sink: Sink,

  connection: ServerConnection,
  session: SessionRef,
  settings: ResolvedPromptSettings,
  turn: { traceId: string; signal: AbortSignal | undefined; userMessageId: string },
): Turn {
  const { http } = connection;
  const { logger, requestTimeoutMs, abortGraceMs } = config;
  const query = { directory: session.directory };
  const sessionPath = `/session/${encodeURIComponent(session.id)}`;
  return new Turn({
    ...turn,
    session,
    http,
    sink,
    logger,
    requestTimeoutMs,
    abortGraceMs,
    maxRetries: settings.maxRetries,
    policies: settings,
    onDecision: settings.onDecision,
    onStatus: settings.onStatus,
    checkStructured: (value) => checkStructured(settings.format, value),
    request: (action, body) =>
      http.json("POST", `${sessionPath}/${action}`, {
        query,
        body,
        timeoutMs: action === "abort" ? abortGraceMs : requestTimeoutMs,
        sessionId: session.id,
      }),
    send: (path, body) => http.json("POST", path, { query, body, timeoutMs: requestTimeoutMs }),
  });
}

/** The prompt's body, less the message id; a bad `text` or attachment throws naming the field. */
export function promptBody(
  config: ResolvedAdapterConfig,
  text: unknown,
  options: PromptOptions,
  settings: ResolvedPromptSettings,
): Record<string, unknown> {
  if (typeof text !== "string") {
    throw new OpenCodeAdapterConfigError({ field: "text", message: "must be a string" });
  }
  const files = toFileParts(options?.attachments);
  if (text === "" && files.length === 0) {
    throw new OpenCodeAdapterConfigError({
      field: "text",
      message: "must not be empty when there are no attachments",
    });
  }
  const { providerId, modelId } = config;
  const { agent, system, variant, tools, format } = settings;
  const parts: unknown[] = text === "" ? [] : [{ type: "text", text }];
  parts.push(...files);
  return {
    model: { providerID: providerId, modelID: modelId },
    parts,
    ...(agent === undefined ? {} : { agent }),
    ...(system === undefined ? {} : { system }),
    ...(variant === undefined ? {} : { variant }),
    ...(tools === undefined ? {} : { tools }),
    ...(format === undefined ? {} : { format }),
  };
}

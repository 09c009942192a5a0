import type { Attributes } from "@opentelemetry/api";
import { isErrorType } from "./telemetry-api.js";

/**
 * What a turn's span reads of a taOS reply (the adapter's `Reply` fits). Only names, ids,
 * codes and counts are read: never text, arguments or tool output.
 */
export interface TelemetryReply {
  readonly kind: string;
  readonly tool?: string;
  readonly call_id?: string;
  readonly success?: boolean;
  readonly code?: string;
  /** opencode's own name for the error (`APIError`, ...), beside `code`. */
  readonly opencode_error?: string;
  readonly usage?: {
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly reasoning_tokens?: number;
    readonly cache_read_tokens?: number;
    readonly cache_write_tokens?: number;
    readonly cost?: number;
  };
}

/** A permission or question answer (the adapter's `AskDecision` fits). */
export interface TelemetryDecision {
  readonly kind: "permission" | "question";
  readonly requestId: string;
  readonly permission?: string;
  readonly reply: string;
}

/** How the turn ended (the adapter's `TurnResult` fits). */
export interface TelemetryTurnResult {
  readonly status: "completed" | "error" | "aborted";
  readonly sessionId?: string;
  readonly usage?: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly reasoningTokens?: number;
    readonly cacheReadTokens?: number;
    readonly cost?: number;
  };
  readonly decisions?: readonly TelemetryDecision[];
}

/** What a turn's span needs to know at its start. */
export interface TurnSpanInfo {
  /** The taOS trace id stamped on every reply. */
  readonly traceId: string;
  readonly modelId: string;
  readonly providerId: string;
  /** The session continued, when known at the start. */
  readonly sessionId?: string;
  /** The `opencode serve` URL; only its host and port are recorded. */
  readonly baseUrl?: string;
  /** The opencode agent asked for (`build`, `plan`, ...), when not opencode's default. */
  readonly agent?: string;
}

/** The attributes every span and metric of a turn carries. */
export function baseAttributes(info: TurnSpanInfo): Attributes {
  return {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.provider.name": info.providerId,
    "gen_ai.request.model": info.modelId,
  };
}

/** `server.address` and `server.port` of the opencode URL (never its credentials). */
export function serverAttributes(baseUrl: string | undefined): Attributes {
  if (baseUrl === undefined) return {};
  try {
    const url = new URL(baseUrl);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    return { "server.address": url.hostname, "server.port": port };
  } catch {
    return {};
  }
}

export interface TurnUsageSummary {
  readonly input: number | undefined;
  readonly output: number | undefined;
  readonly attributes: Attributes;
}

/** Token counts and cost from the result, or from the final reply when the result has none. */
export function turnUsage(
  result: TelemetryTurnResult,
  finalUsage: TelemetryReply["usage"],
): TurnUsageSummary {
  const fromResult = result.usage;
  const usage = fromResult
    ? {
        input: fromResult.inputTokens,
        output: fromResult.outputTokens,
        reasoning: fromResult.reasoningTokens,
        cacheRead: fromResult.cacheReadTokens,
        cost: fromResult.cost,
      }
    : finalUsage
      ? {
          input: finalUsage.input_tokens,
          output: finalUsage.output_tokens,
          reasoning: finalUsage.reasoning_tokens,
          cacheRead: finalUsage.cache_read_tokens,
          cost: finalUsage.cost,
        }
      : undefined;
  if (usage === undefined) return { input: undefined, output: undefined, attributes: {} };
  const attributes: Attributes = {
    "gen_ai.usage.input_tokens": usage.input,
    "gen_ai.usage.output_tokens": usage.output,
  };
  if (usage.reasoning !== undefined) attributes["taos.usage.reasoning_tokens"] = usage.reasoning;
  if (usage.cacheRead !== undefined) {
    attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cacheRead;
  }
  if (usage.cost !== undefined) attributes["taos.usage.cost"] = usage.cost;
  return { input: usage.input, output: usage.output, attributes };
}

export interface TurnOutcome {
  readonly outcome: TelemetryTurnResult["status"];
  readonly errorType: string | undefined;
  readonly attributes: Attributes;
}

/**
 * The outcome attributes of a turn. A failed or aborted turn carries `error.type`: the
 * error's stable code (never its message, which may quote upstream text), `_OTHER` when none;
 * and `taos.opencode.error`, opencode's name for the error, when it gave one.
 */
export function turnOutcome(
  status: TelemetryTurnResult["status"],
  errorCode: string | undefined,
  opencodeError?: string,
): TurnOutcome {
  if (status === "completed") {
    return { outcome: status, errorType: undefined, attributes: { "taos.turn.outcome": status } };
  }
  const errorType =
    errorCode !== undefined && isErrorType(errorCode)
      ? errorCode
      : status === "aborted"
        ? "aborted"
        : "_OTHER";
  const attributes: Attributes = { "taos.turn.outcome": status, "error.type": errorType };
  if (opencodeError !== undefined && isErrorType(opencodeError)) {
    attributes["taos.opencode.error"] = opencodeError;
  }
  return { outcome: status, errorType, attributes };
}

import type { Attributes, Span } from "@opentelemetry/api";
import { type OtelApi, otelInstruments, otelTracer, quietly } from "./telemetry-api.js";
import {
  baseAttributes,
  serverAttributes,
  type TelemetryDecision,
  type TelemetryReply,
  type TelemetryTurnResult,
  type TurnOutcome,
  type TurnSpanInfo,
  type TurnUsageSummary,
  turnOutcome,
  turnUsage,
} from "./telemetry-turn-rules.js";

/** The span and metrics of one turn. Every method is a no-op without `@opentelemetry/api`. */
export interface TurnTelemetry {
  /** Feed every reply of the turn, in order. */
  onReply(reply: TelemetryReply): void;
  /** Feed every permission or question answer as it is sent. */
  onDecision(decision: TelemetryDecision): void;
  setSessionId(sessionId: string): void;
  /** Runs `fn` with the turn's span active, so spans started inside are its children. */
  within<T>(fn: () => T): T;
  /** Ends the span and records the metrics; later calls do nothing. */
  end(result: TelemetryTurnResult): void;
}

/** Span and attribute names of a turn. */
export const TurnSpan = {
  Name: "invoke_agent opencode",
  AgentName: "opencode",
  ToolEvent: "taos.tool_call",
  PermissionEvent: "taos.permission_decision",
  QuestionEvent: "taos.question_decision",
} as const;

const noopTurn: TurnTelemetry = {
  onReply: () => undefined,
  onDecision: () => undefined,
  setSessionId: () => undefined,
  within: (fn) => fn(),
  end: () => undefined,
};

/**
 * Starts the `invoke_agent opencode` span of one turn (GenAI semantic conventions, kind
 * CLIENT: opencode runs in its own process), as a child of the caller's active context.
 */
export function startTurnSpan(info: TurnSpanInfo): TurnTelemetry {
  const found = otelTracer();
  if (found === undefined) return noopTurn;
  const { api, tracer } = found;
  const base = baseAttributes(info);
  try {
    const span = tracer.startSpan(
      TurnSpan.Name,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          ...base,
          "gen_ai.agent.name": TurnSpan.AgentName,
          "taos.trace_id": info.traceId,
          ...serverAttributes(info.baseUrl),
          ...(info.sessionId ? { "gen_ai.conversation.id": info.sessionId } : {}),
          ...(info.agent ? { "taos.opencode.agent": info.agent } : {}),
        },
      },
      api.context.active(),
    );
    return guarded(new SpanTurn(api, span, base));
  } catch {
    return noopTurn;
  }
}

/**
 * Telemetry must never break a turn: a failing SDK or exporter is swallowed here, and
 * `within` still runs its function (once) when the context API fails.
 */
function guarded(turn: TurnTelemetry): TurnTelemetry {
  return {
    onReply: (reply) => quietly(() => turn.onReply(reply)),
    onDecision: (decision) => quietly(() => turn.onDecision(decision)),
    setSessionId: (sessionId) => quietly(() => turn.setSessionId(sessionId)),
    end: (result) => quietly(() => turn.end(result)),
    within<T>(fn: () => T): T {
      let ran = false;
      try {
        return turn.within(() => {
          ran = true;
          return fn();
        });
      } catch (error) {
        if (ran) throw error;
        return fn();
      }
    },
  };
}

class SpanTurn implements TurnTelemetry {
  private readonly started = performance.now();
  private readonly toolStarts = new Map<string, { tool: string; at: number }>();
  private readonly decided = new Set<string>();
  private finalUsage: TelemetryReply["usage"];
  private errorCode: string | undefined;
  private opencodeError: string | undefined;
  private ended = false;

  constructor(
    private readonly api: OtelApi,
    private readonly span: Span,
    private readonly base: Attributes,
  ) {}

  onReply(reply: TelemetryReply): void {
    if (this.ended) return;
    if (reply.kind === "tool_call" && reply.call_id !== undefined) {
      this.toolStarts.set(reply.call_id, { tool: reply.tool ?? "unknown", at: performance.now() });
    } else if (reply.kind === "tool_result" && reply.call_id !== undefined) {
      const start = this.toolStarts.get(reply.call_id);
      this.toolStarts.delete(reply.call_id);
      this.toolEvent(
        reply.tool ?? start?.tool ?? "unknown",
        reply.call_id,
        reply.success === false ? "error" : "completed",
        start === undefined ? undefined : performance.now() - start.at,
      );
    } else if (reply.kind === "final") {
      this.finalUsage = reply.usage;
    } else if (reply.kind === "error") {
      this.errorCode = reply.code;
      this.opencodeError = reply.opencode_error;
    }
  }

  onDecision(decision: TelemetryDecision): void {
    if (this.ended || this.decided.has(decision.requestId)) return;
    this.decided.add(decision.requestId);
    const attributes: Attributes = {
      "taos.ask.request_id": decision.requestId,
      "taos.ask.reply": decision.reply,
    };
    if (decision.kind === "permission") {
      attributes["taos.ask.permission"] = decision.permission ?? "unknown";
    }
    this.span.addEvent(
      decision.kind === "permission" ? TurnSpan.PermissionEvent : TurnSpan.QuestionEvent,
      attributes,
    );
  }

  setSessionId(sessionId: string): void {
    if (!this.ended && sessionId !== "")
      this.span.setAttribute("gen_ai.conversation.id", sessionId);
  }

  within<T>(fn: () => T): T {
    const { context, trace } = this.api;
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  end(result: TelemetryTurnResult): void {
    if (this.ended) return;
    for (const decision of result.decisions ?? []) this.onDecision(decision);
    this.ended = true;
    for (const [callId, start] of this.toolStarts) {
      this.toolEvent(start.tool, callId, "unfinished", performance.now() - start.at);
    }
    if (result.sessionId) this.span.setAttribute("gen_ai.conversation.id", result.sessionId);
    const usage = turnUsage(result, this.finalUsage);
    const outcome = turnOutcome(result.status, this.errorCode, this.opencodeError);
    this.span.setAttributes({ ...usage.attributes, ...outcome.attributes });
    if (result.status === "error") {
      this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: outcome.errorType });
    }
    this.span.end();
    this.record(usage, outcome);
  }

  private toolEvent(tool: string, callId: string, status: string, ms: number | undefined): void {
    const attributes: Attributes = {
      "gen_ai.tool.name": tool,
      "gen_ai.tool.call.id": callId,
      "taos.tool.status": status,
    };
    if (ms !== undefined) attributes["taos.tool.duration_ms"] = Math.round(ms);
    this.span.addEvent(TurnSpan.ToolEvent, attributes);
  }

  private record(usage: TurnUsageSummary, outcome: TurnOutcome): void {
    const instruments = otelInstruments();
    if (instruments === undefined) return;
    const failed = outcome.errorType === undefined ? {} : { "error.type": outcome.errorType };
    const seconds = (performance.now() - this.started) / 1000;
    instruments.turnDuration.record(seconds, { ...this.base, ...failed });
    instruments.turns.add(1, { ...this.base, ...failed, "taos.turn.outcome": outcome.outcome });
    if (usage.input !== undefined) {
      instruments.tokenUsage.record(usage.input, { ...this.base, "gen_ai.token.type": "input" });
    }
    if (usage.output !== undefined) {
      instruments.tokenUsage.record(usage.output, { ...this.base, "gen_ai.token.type": "output" });
    }
  }
}

import type { OpenCodeLogger } from "@taos/internal";
import type { AskDecision } from "../client/ask-types.js";
import type { HttpClient } from "../client/http.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import type { Sink, TurnResult } from "../reply.js";
import type { AskPolicies } from "./asks.js";
import type { SessionRef } from "./recovery.js";
import type { TurnStatusUpdate } from "./status.js";

/** How a turn ended, with what the adapter answered to permission and question asks. */
export interface OpenCodeTurnResult extends TurnResult {
  readonly traceId: string;
  /** Every permission or question answer sent during the turn, in order. */
  readonly decisions: readonly AskDecision[];
}

/** Everything one turn needs, settled by the adapter from its config and the prompt's options. */
export interface TurnOptions {
  readonly session: SessionRef;
  readonly http: HttpClient;
  readonly sink: Sink;
  readonly traceId: string;
  readonly signal: AbortSignal | undefined;
  /** The id the prompt's user message is created with. */
  readonly userMessageId: string;
  readonly logger: OpenCodeLogger;
  readonly requestTimeoutMs: number;
  readonly abortGraceMs: number;
  readonly maxRetries: number;
  readonly policies: AskPolicies;
  readonly onDecision: ((decision: AskDecision) => void) | undefined;
  readonly onStatus: ((update: TurnStatusUpdate) => void) | undefined;
  /** Checks the structured output (when the prompt asked for one); a failure ends the turn with it. */
  checkStructured(value: unknown): TurnFailure | undefined;
  /** `POST /session/:id/<action>`. */
  request(action: "prompt_async" | "abort", body: unknown): Promise<unknown>;
  /** `POST <path>` with the session's directory (ask answers). */
  send(path: string, body: unknown): Promise<unknown>;
}

/** The result of an ended turn. */
export function resultOf(state: TurnState, decisions: readonly AskDecision[]): OpenCodeTurnResult {
  return {
    sessionId: state.sessionId,
    traceId: state.traceId,
    status: state.status === "running" ? "error" : state.status,
    text: state.text,
    ...(state.usage === undefined ? {} : { usage: state.usage }),
    ...(state.error === undefined ? {} : { error: state.error }),
    ...(state.code === undefined ? {} : { code: state.code }),
    ...(state.opencodeError === undefined ? {} : { opencodeError: state.opencodeError }),
    ...(state.opencodeRef === undefined ? {} : { opencodeRef: state.opencodeRef }),
    ...(state.structured === undefined ? {} : { structured: state.structured }),
    decisions,
  };
}

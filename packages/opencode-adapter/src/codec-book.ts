/** The state of one turn in the codec, and the private book it keeps beside it. */
import { isRecord } from "@taos/internal";
import type { ReplyErrorCode } from "./error-codes.js";
import type { TurnUsage } from "./reply.js";

export interface TurnState {
  readonly sessionId: string;
  readonly traceId: string;
  /**
   * The answer text so far: the text parts in order, distinct parts separated by a
   * blank line; always the concatenated deltas unless some were lost.
   */
  text: string;
  status: "running" | "completed" | "error" | "aborted";
  /** True once the turn has ended (idle or session.error); later events add nothing. */
  done: boolean;
  /** The message when status is "error" or "aborted". */
  error?: string;
  /** The error's code, when status is "error" or "aborted". */
  code?: ReplyErrorCode;
  /** opencode's own error name, when opencode reported the failure. */
  opencodeError?: string;
  /** opencode's reference of a server error (`err_...`, also in its log). */
  opencodeRef?: string;
  /** Summed over the turn's step-finish parts. */
  usage?: TurnUsage;
  /** The structured output (`structured` of the assistant message), when the prompt asked for one. */
  structured?: unknown;
}

export interface TurnStateOptions {
  /** Put on every reply as `trace_id`. Default: the session id. */
  readonly traceId?: string;
}

export interface TurnFailure {
  readonly error: string;
  /** The reply code. */
  readonly code?: ReplyErrorCode;
  /** opencode's own error name, when opencode reported the failure. */
  readonly opencodeError?: string;
  /** opencode's reference of a server error (`err_...`, also in its log). */
  readonly opencodeRef?: string;
  /** The turn was stopped on purpose: status "aborted" rather than "error". */
  readonly aborted?: boolean;
  /** Attached to the error reply (a structured output that failed its schema). */
  readonly structured?: unknown;
}

export interface PartTrack {
  reasoning: boolean;
  /** Known to be output of the assistant (its message is, or it had deltas). */
  live: boolean;
  /** Never answer text: synthetic, ignored, or part of a compaction summary. */
  excluded: boolean;
  /** What has gone out as replies for this part (its separator aside). */
  sent: string;
  /** Trailing whitespace held back: opencode trims a finished part, so it may never count. */
  held: string;
  /** Known when the stream dropped: its deltas may have gaps and are left out. */
  gap: boolean;
}

export interface StepUsage {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}

/** What an assistant message of the turn is: the answer, or a compaction summary (never answer text). */
export type AssistantRole = "answer" | "summary";

/** An assistant message that is a compaction summary, whose text is never the answer. */
export function isSummaryMessage(info: Record<string, unknown>): boolean {
  return info.summary === true || info.mode === "compaction";
}

export interface Book {
  /**
   * The turn's assistant messages by id: the one record of them. A turn's ownership
   * rule fills it (see `turn/ownership.ts`); the codec alone fills it from the events.
   */
  readonly assistants: Map<string, AssistantRole>;
  readonly parts: Map<string, PartTrack>;
  readonly calls: Set<string>;
  readonly results: Set<string>;
  readonly steps: Map<string, StepUsage>;
  readonly total: StepUsage;
  /** Whether some text (or reasoning) part has sent anything: the next one opens with a blank line. */
  textOpened: boolean;
  reasoningOpened: boolean;
  /** `info.error` of an assistant message, for a turn that goes idle with no session.error. */
  messageError?: TurnFailure;
}

const BOOK: unique symbol = Symbol("taos.opencode.turnBook");

export interface InternalState extends TurnState {
  [BOOK]?: Book;
}

function newBook(): Book {
  return {
    assistants: new Map(),
    parts: new Map(),
    calls: new Set(),
    results: new Set(),
    steps: new Map(),
    total: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 },
    textOpened: false,
    reasoningOpened: false,
  };
}

export function bookOf(state: InternalState): Book {
  let book = state[BOOK];
  if (book === undefined) {
    book = newBook();
    Object.defineProperty(state, BOOK, { value: book, enumerable: false });
  }
  return book;
}

/** The codec's record of a turn's assistant messages, for the turn to share. */
export function assistantsOf(state: TurnState): Map<string, AssistantRole> {
  return bookOf(state as InternalState).assistants;
}

/** A new turn of `sessionId`, running, with no text yet. */
export function createTurnState(sessionId: string, options?: TurnStateOptions): TurnState {
  const state: InternalState = {
    sessionId,
    traceId: options?.traceId ?? sessionId,
    text: "",
    status: "running",
    done: false,
  };
  Object.defineProperty(state, BOOK, { value: newBook(), enumerable: false });
  return state;
}

export function isStateUsable(state: unknown): state is InternalState {
  return isRecord(state) && typeof state.sessionId === "string" && state.done !== true;
}

/**
 * Marks every text and reasoning part seen so far as having gaps (the stream dropped):
 * their deltas are left out, their text comes from whole-part updates.
 */
export function markPartGaps(state: TurnState): void {
  for (const track of bookOf(state as InternalState).parts.values()) track.gap = true;
}

/**
 * A turn's side of the ask path: which sessions' asks are its own (its session and the
 * subagent sessions it started), which asks it answered, and the decisions it made.
 */
import type { OpenCodeLogger } from "@taos/internal";
import type { AskDecision } from "../client/ask-types.js";
import { errorField } from "../client/logger.js";
import { type AskContext, type AskPolicies, handleAsk } from "./asks.js";

export interface AskDeskOptions {
  readonly sessionId: string;
  readonly policies: AskPolicies;
  readonly logger: OpenCodeLogger;
  readonly onDecision: ((decision: AskDecision) => void) | undefined;
  /** Ends with the turn: a policy still deciding is abandoned (and its ask rejected). */
  readonly signal: AbortSignal;
  send(path: string, body: unknown): Promise<unknown>;
}

export class AskDesk {
  /** Every answer sent, in order. */
  readonly decisions: AskDecision[] = [];
  /** The turn's session and the subagent sessions it started. */
  readonly sessions: Set<string> = new Set<string>();
  private readonly context: AskContext;

  constructor(private readonly options: AskDeskOptions) {
    this.sessions.add(options.sessionId);
    this.context = {
      policies: options.policies,
      logger: options.logger,
      sessions: this.sessions,
      answered: new Set<string>(),
      signal: options.signal,
      record: (decision) => this.record(decision),
      send: (path, body) => options.send(path, body),
    };
  }

  /** A `permission.asked` / `question.asked` event's properties (or a pending entry). */
  ask(type: string, properties: unknown): void {
    handleAsk(type, properties, this.context);
  }

  /** A `session.created` event's info: a subagent of ours is ours. Returns its id when new. */
  sessionCreated(info: unknown): string | undefined {
    if (typeof info !== "object" || info === null) return undefined;
    const { id, parentID } = info as { id?: unknown; parentID?: unknown };
    if (typeof id !== "string" || typeof parentID !== "string") return undefined;
    if (!this.sessions.has(parentID) || this.sessions.has(id)) return undefined;
    this.sessions.add(id);
    return id;
  }

  private record(decision: AskDecision): void {
    this.decisions.push(decision);
    const { logger, onDecision } = this.options;
    const { sessionId, requestId, kind, reply } = decision;
    logger.info({ sessionId, requestId, kind, reply }, `answered a ${kind} ask`);
    try {
      onDecision?.(decision);
    } catch (error) {
      logger.warn({ err: errorField(error) }, "onDecision threw; ignored");
    }
  }
}

/**
 * One prompt on one session. It reads each frame once: ownership says whether the
 * frame is this turn's, the codec turns it into replies, and the replies go to the sink
 * in order. Asks go to the one ask path; a dropped stream to recovery. The turn's life
 * is one phase value.
 */
import { OrderedDelivery } from "@taos/internal";
import type { AskDecision } from "../client/config.js";
import type { OpenCodeEventStreamError } from "../client/errors.js";
import type { HubListener } from "../client/event-hub.js";
import { errorField } from "../client/logger.js";
import { finishTurn, mapFrame } from "../codec.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import { createTurnState } from "../codec-book.js";
import { ReplyErrorCode, streamFailureCode } from "../error-codes.js";
import { ABORTED } from "../failure.js";
import type { Frame } from "../frame.js";
import type { Reply } from "../reply.js";
import { handleAsk } from "./asks.js";
import { factsOf, type Learned, ownership, type TurnMessages } from "./ownership.js";
import { catchUp, lastAnswerFailure, type RecoveryContext } from "./recovery.js";
import { statusOf, TurnStatusWatch } from "./status.js";
import type { OpenCodeTurnResult, TurnOptions } from "./turn-options.js";

/**
 * `ready` → `waiting_user_message` (prompt sent) → `running` (its user message seen)
 * → `aborting` (abort sent, or the retry budget spent) → `ending` (an end check is
 * under way) → `done`. `recovering` holds frames while a catch-up runs.
 */
export type TurnPhase =
  | "ready"
  | "waiting_user_message"
  | "running"
  | "aborting"
  | "ending"
  | "done";

interface MutableMessages extends TurnMessages {
  userMessageSeen: boolean;
  readonly addedUsers: Set<string>;
  readonly assistants: Set<string>;
}

export class Turn implements HubListener {
  readonly state: TurnState;
  readonly decisions: AskDecision[] = [];
  /** Our session and the subagent sessions it started: their asks are ours to answer. */
  readonly sessions: Set<string> = new Set<string>();
  onChildSession: ((sessionId: string) => void) | undefined;
  private phase: TurnPhase = "ready";
  /** How an aborting turn ends (aborted, or an upstream failure past the retry budget). */
  private abortFailure: TurnFailure = ABORTED;
  private readonly messages: MutableMessages;
  private readonly delivery: OrderedDelivery<Reply>;
  private readonly status: TurnStatusWatch;
  private readonly ended = new AbortController();
  private readonly answered = new Set<string>();
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private posting: Promise<unknown> | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  /** Frames held while a catch-up runs; replayed after it. */
  private held: Frame[] | undefined;
  private catchingUp: Promise<void> | undefined;
  /** After a drop, deltas may have gaps: text then comes from whole-part updates only. */
  private gap = false;
  private readonly onAbort = (): void => this.abort(ABORTED);

  constructor(private readonly options: TurnOptions) {
    this.state = createTurnState(options.session.id, { traceId: options.traceId });
    this.sessions.add(options.session.id);
    this.messages = {
      userMessageId: options.userMessageId,
      userMessageSeen: false,
      addedUsers: new Set(),
      assistants: new Set(),
    };
    this.delivery = new OrderedDelivery<Reply>(options.sink, (reply, error) =>
      options.logger.warn(
        { traceId: this.state.traceId, kind: reply.kind, err: errorField(error) },
        "the reply sink failed; the turn goes on",
      ),
    );
    this.status = new TurnStatusWatch(options.onStatus, options.logger);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get finished(): boolean {
    return this.isDone();
  }

  /** A method, not a field read: the phase changes across awaits. */
  private isDone(): boolean {
    return this.phase === "done";
  }

  /** Sends the prompt (the caller has subscribed already) and resolves when the turn has ended. */
  async run(body: unknown): Promise<void> {
    const { signal } = this.options;
    if (signal?.aborted) {
      this.finish(ABORTED);
      return this.settled();
    }
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.phase = "waiting_user_message";
    this.posting = this.options.request("prompt_async", body);
    await this.posting;
    return this.settled();
  }

  /** Ends the turn here (close, failure before the prompt): one error reply. */
  fail(failure: TurnFailure): void {
    this.finish(failure);
  }

  /** Resolves once the turn has ended and the sink has taken every reply. */
  async settled(): Promise<void> {
    await this.done;
    await this.delivery.settled();
  }

  result(): OpenCodeTurnResult {
    const { state } = this;
    return {
      sessionId: state.sessionId,
      traceId: state.traceId,
      status: state.status === "running" ? "error" : state.status,
      text: state.text,
      ...(state.usage === undefined ? {} : { usage: state.usage }),
      ...(state.error === undefined ? {} : { error: state.error }),
      ...(state.code === undefined ? {} : { code: state.code }),
      ...(state.opencodeError === undefined ? {} : { opencodeError: state.opencodeError }),
      ...(state.structured === undefined ? {} : { structured: state.structured }),
      decisions: this.decisions,
    };
  }

  // HubListener

  onEvent(frame: Frame): void {
    if (this.phase === "done" || this.phase === "ending") return;
    if (this.held !== undefined) this.held.push(frame);
    else this.handle(frame);
  }

  onDropped(): void {
    if (this.phase === "done") return;
    this.gap = true;
    this.held ??= [];
  }

  onResubscribed(): void {
    if (this.phase === "done") return;
    this.options.logger.warn(
      { sessionId: this.state.sessionId },
      "the event stream dropped and was resubscribed; catching up on missed events",
    );
    this.gap = true;
    this.held ??= [];
    const previous = this.catchingUp ?? Promise.resolve();
    this.catchingUp = previous.then(() => this.recover());
  }

  onFailure(error: OpenCodeEventStreamError): void {
    this.finish({ error: error.message, code: streamFailureCode(error.reason) });
  }

  /** Best effort stop of a running turn (adapter closing): asks opencode to abort, waits briefly. */
  async stop(failure: TurnFailure): Promise<void> {
    if (this.phase === "done") return;
    const running = this.phase !== "ready";
    this.finish(failure);
    if (!running) return;
    await this.afterPrompt();
    await this.options.request("abort", undefined).catch(() => undefined);
  }

  private handle(frame: Frame): void {
    if (frame.type === "permission.asked" || frame.type === "question.asked") {
      handleAsk(frame.type, propertiesOf(frame.parse()), this.askContext());
      return;
    }
    if (frame.type === "session.created") {
      this.onSessionCreated(frame.parse());
      return;
    }
    if (frame.sessionId !== undefined && frame.sessionId !== this.state.sessionId) return;
    const verdict = ownership(this.messages, factsOf(frame));
    if (verdict.learned !== undefined) this.learn(verdict.learned);
    if (!verdict.owned) return;
    switch (frame.type) {
      case "session.status":
        this.onStatus(frame);
        return;
      case "session.idle":
        this.onIdle(frame);
        return;
      case "session.error":
        if (this.phase === "aborting") this.finish(this.abortFailure);
        else this.deliver(mapFrame(frame, this.state));
        return;
      case "message.part.delta":
        if (!this.gap) this.deliver(mapFrame(frame, this.state));
        return;
      default:
        this.deliver(mapFrame(frame, this.state));
    }
  }

  private learn(learned: Learned): void {
    const messages = this.messages;
    if ("userSeen" in learned) {
      messages.userMessageSeen = true;
      if (this.phase === "waiting_user_message") this.phase = "running";
    } else if ("assistant" in learned) messages.assistants.add(learned.assistant);
    else if ("addedUser" in learned) messages.addedUsers.add(learned.addedUser);
    else messages.addedUsers.delete(learned.notAddedUser);
  }

  private onStatus(frame: Frame): void {
    const update = statusOf(frame.parse());
    if (update === undefined) return;
    if (update.type === "idle") {
      this.onIdle(frame);
      return;
    }
    const spent = this.status.seen(update, this.options.maxRetries, this.state.sessionId);
    if (spent !== undefined) this.abort(spent);
  }

  private onIdle(frame: Frame): void {
    if (this.phase === "done" || this.phase === "ending") return;
    this.status.idle();
    // Aborted during a retry back-off, opencode just goes idle (no session.error).
    if (this.phase === "aborting") {
      this.finish(this.abortFailure);
      return;
    }
    if (this.state.structured !== undefined) {
      const invalid = this.options.checkStructured(this.state.structured);
      if (invalid !== undefined) {
        this.finish(invalid);
        return;
      }
    }
    if (this.state.text !== "" || this.state.structured !== undefined) {
      this.deliver(mapFrame(frame, this.state));
      return;
    }
    // No output: opencode sometimes fails without session.error; the cause is on the message.
    this.phase = "ending";
    void this.endFromMessages(frame);
  }

  private async endFromMessages(frame: Frame): Promise<void> {
    let failure: TurnFailure | undefined;
    try {
      failure = await lastAnswerFailure(this.recoveryContext());
    } catch (error) {
      this.options.logger.warn(
        { sessionId: this.state.sessionId, err: errorField(error) },
        "could not read the last message after an empty turn",
      );
    }
    if (this.isDone()) return;
    // A later check runs on "ending"; the codec's own end (final, or the message's error) otherwise.
    this.phase = "running";
    if (failure === undefined) this.deliver(mapFrame(frame, this.state));
    this.finish(failure);
  }

  private async recover(): Promise<void> {
    if (this.phase === "done") return;
    await this.afterPrompt();
    try {
      const outcome = await catchUp(this.recoveryContext());
      if (outcome.ended && !this.isDone()) {
        this.options.logger.info(
          { sessionId: this.state.sessionId },
          "the turn ended while the event stream was down",
        );
        this.finish(this.phase === "aborting" ? this.abortFailure : outcome.failure);
      }
    } catch (error) {
      this.options.logger.warn(
        { sessionId: this.state.sessionId, err: errorField(error) },
        "catching up after a resubscribe failed",
      );
      this.finish({
        error: `lost events of the turn and could not catch up: ${errorField(error).message}`,
        code: ReplyErrorCode.EventStreamLost,
      });
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) {
      if (this.isDone() || this.phase === "ending") break;
      this.handle(frame);
    }
  }

  private recoveryContext(): RecoveryContext {
    return {
      http: this.options.http,
      session: this.options.session,
      requestTimeoutMs: this.options.requestTimeoutMs,
      messages: () => this.messages,
      replay: (frame) => this.handle(frame),
      answerPending: (type, item) => handleAsk(type, item, this.askContext()),
    };
  }

  private askContext() {
    return {
      policies: this.options.policies,
      logger: this.options.logger,
      sessions: this.sessions,
      answered: this.answered,
      signal: this.ended.signal,
      record: (decision: AskDecision) => this.record(decision),
      send: (path: string, body: unknown) => this.options.send(path, body),
    };
  }

  private onSessionCreated(event: unknown): void {
    const info = propertiesOf(event)?.info;
    if (!isObject(info) || typeof info.id !== "string" || typeof info.parentID !== "string") return;
    if (!this.sessions.has(info.parentID) || this.sessions.has(info.id)) return;
    this.sessions.add(info.id);
    this.onChildSession?.(info.id);
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

  private abort(failure: TurnFailure): void {
    if (this.phase === "done" || this.phase === "aborting") return;
    if (this.phase === "ready" || this.phase === "ending") {
      this.finish(failure);
      return;
    }
    this.phase = "aborting";
    this.abortFailure = failure;
    const { logger, abortGraceMs } = this.options;
    // opencode may wait for a running tool before it stops; do not wait for it past the grace.
    this.abortTimer = setTimeout(() => {
      logger.warn(
        { sessionId: this.state.sessionId, graceMs: abortGraceMs },
        "opencode did not end the aborted turn in time; ending it here",
      );
      this.finish(this.abortFailure);
    }, abortGraceMs);
    void this.afterPrompt()
      .then(() => this.options.request("abort", undefined))
      .catch((error: unknown) => {
        logger.warn(
          { sessionId: this.state.sessionId, err: errorField(error) },
          "POST /session/:id/abort failed",
        );
      });
  }

  /** Settles when the prompt POST has (successful or not). */
  private async afterPrompt(): Promise<void> {
    await this.posting?.catch(() => undefined);
  }

  /** Ends the turn once. */
  private finish(failure: TurnFailure | undefined): void {
    if (this.phase === "done") return;
    this.deliver(finishTurn(this.state, failure));
  }

  private deliver(replies: readonly Reply[]): void {
    for (const reply of replies) this.delivery.push(reply);
    if (this.state.done && this.phase !== "done") this.complete();
  }

  private complete(): void {
    this.phase = "done";
    if (this.abortTimer !== undefined) clearTimeout(this.abortTimer);
    this.abortTimer = undefined;
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.ended.abort();
    this.held = undefined;
    this.resolveDone();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function propertiesOf(event: unknown): Record<string, unknown> | undefined {
  return isObject(event) && isObject(event.properties) ? event.properties : undefined;
}

/**
 * One prompt on one session. It reads each frame once: ownership says whether the
 * frame is this turn's, the codec turns it into replies, and the replies go to the sink
 * in order. Asks go to the one ask path; a dropped stream to recovery. The turn's life
 * is one phase value.
 */
import { OrderedDelivery } from "@taos/internal";
import type { OpenCodeEventStreamError } from "../client/errors.js";
import type { HubListener } from "../client/hub-listener.js";
import { errorField } from "../client/logger.js";
import { finishTurn, mapRoutedFrame } from "../codec.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import { assistantsOf, createTurnState } from "../codec-book.js";
import { streamFailureCode } from "../error-codes.js";
import { ABORTED, failureOf } from "../failure.js";
import type { Frame } from "../frame.js";
import type { Reply } from "../reply.js";
import { AskDesk } from "./ask-desk.js";
import { LATE_ERROR_GRACE_MS, LateSessionError, withLateError } from "./late-error.js";
import {
  factsOf,
  type KnownMessages,
  type Learned,
  learn,
  newKnownMessages,
  ownership,
  propertiesOf,
} from "./ownership.js";
import type { RecoveryContext } from "./recovery.js";
import { RecoveryGate } from "./recovery-gate.js";
import { statusOf, TurnStatusWatch } from "./status.js";
import { abortedBy, requestAbort } from "./turn-abort.js";
import { endEmptyTurn, idleEnding, NO_ANSWER } from "./turn-end.js";
import { type OpenCodeTurnResult, resultOf, type TurnOptions } from "./turn-options.js";
import { ignoresFrames, type TurnPhase } from "./turn-phase.js";

export class Turn implements HubListener {
  readonly state: TurnState;
  onChildSession: ((sessionId: string) => void) | undefined;
  private phase: TurnPhase = "ready";
  /** How an aborting turn ends (aborted, or an upstream failure past the retry budget). */
  private abortFailure: TurnFailure = ABORTED;
  private readonly messages: KnownMessages;
  private readonly delivery: OrderedDelivery<Reply>;
  private readonly status: TurnStatusWatch;
  private readonly ended = new AbortController();
  private readonly asks: AskDesk;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private posting: Promise<unknown> | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  private readonly gate: RecoveryGate;
  private readonly onAbort = (): void => this.abort(ABORTED);
  private readonly late = new LateSessionError();

  constructor(private readonly options: TurnOptions) {
    this.state = createTurnState(options.session.id, { traceId: options.traceId });
    this.asks = new AskDesk({
      sessionId: options.session.id,
      policies: options.policies,
      logger: options.logger,
      onDecision: options.onDecision,
      signal: this.ended.signal,
      send: options.send,
    });
    this.messages = newKnownMessages(options.userMessageId, assistantsOf(this.state));
    this.delivery = new OrderedDelivery<Reply>(options.sink, (reply, error) =>
      options.logger.warn(
        { traceId: this.state.traceId, kind: reply.kind, err: errorField(error) },
        "the reply sink failed; the turn goes on",
      ),
    );
    this.status = new TurnStatusWatch(options.onStatus, options.logger);
    this.gate = new RecoveryGate({
      state: this.state,
      logger: options.logger,
      closed: () => ignoresFrames(this.phase),
      handle: (frame) => this.handle(frame),
      endedWhileDown: (failure) =>
        this.finish(this.phase === "aborting" ? this.abortFailure : failure),
      fail: (failure) => this.finish(failure),
      afterPrompt: () => this.afterPrompt(),
      recoveryContext: () => this.recoveryContext(),
    });
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
    return resultOf(this.state, this.asks.decisions);
  }

  // HubListener: the turn's own session

  onEvent(frame: Frame): void {
    if (ignoresFrames(this.phase)) {
      if (this.phase === "ending" && frame.type === "session.error") this.noteLateError(frame);
      return;
    }
    const held = this.gate.held;
    if (held === undefined) this.handle(frame);
    else held.push(frame);
  }

  onDropped(): void {
    if (this.phase !== "done") this.gate.dropped();
  }

  onResubscribed(): void {
    if (this.phase !== "done") this.gate.resubscribed();
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
      this.asks.ask(frame.type, propertiesOf(frame.parse()));
      return;
    }
    if (frame.type === "session.created") {
      const child = this.asks.sessionCreated(propertiesOf(frame.parse())?.info);
      if (child !== undefined) this.onChildSession?.(child);
      return;
    }
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
        if (this.phase === "aborting") this.finish(abortedBy(this.abortFailure, frame));
        else this.deliver(mapRoutedFrame(frame, this.state));
        return;
      default:
        this.deliver(mapRoutedFrame(frame, this.state));
    }
  }

  private learn(learned: Learned): void {
    learn(this.messages, learned);
    if ("userSeen" in learned && this.phase === "waiting_user_message") this.phase = "running";
  }

  private onStatus(frame: Frame): void {
    const update = statusOf(frame.parse());
    if (update === undefined) return;
    if (update.type === "idle") {
      this.onIdle(frame);
      return;
    }
    // Once the turn is giving up, opencode's later retries are not the caller's news.
    if (this.phase === "aborting") return;
    const spent = this.status.seen(update, this.options.maxRetries, this.state.sessionId);
    if (spent !== undefined) this.abort(spent);
  }

  private onIdle(frame: Frame): void {
    if (ignoresFrames(this.phase)) return;
    this.status.idle();
    const aborting = this.phase === "aborting" ? this.abortFailure : undefined;
    const ending = idleEnding(aborting, this.state, this.options.checkStructured);
    if (ending.kind === "fail") this.finish(ending.failure);
    else if (ending.kind === "answer") this.deliver(mapRoutedFrame(frame, this.state));
    else {
      this.phase = "ending";
      void this.endFromLastMessage(frame);
    }
  }

  private async endFromLastMessage(frame: Frame): Promise<void> {
    const { logger } = this.options;
    const ending = await endEmptyTurn(this.recoveryContext(), logger, this.state.sessionId);
    if (this.isDone()) return;
    if (ending.kind === "failed" && ending.failure === NO_ANSWER) {
      const late = await this.late.wait(LATE_ERROR_GRACE_MS, this.ended.signal);
      if (this.isDone()) return;
      this.phase = "running";
      this.finish(withLateError(NO_ANSWER, late));
      return;
    }
    // A later check runs on "ending"; the codec's own end (final, or the failure) otherwise.
    this.phase = "running";
    if (ending.kind === "emptyAnswer") this.deliver(mapRoutedFrame(frame, this.state));
    this.finish(ending.kind === "failed" ? ending.failure : undefined);
  }

  private noteLateError(frame: Frame): void {
    if (frame.sessionId !== this.state.sessionId) return;
    this.late.note(failureOf(propertiesOf(frame.parse())?.error));
  }

  private recoveryContext(): RecoveryContext {
    return {
      http: this.options.http,
      session: this.options.session,
      requestTimeoutMs: this.options.requestTimeoutMs,
      messages: () => this.messages,
      replay: (frame) => this.handle(frame),
      answerPending: (type, item) => this.asks.ask(type, item),
    };
  }

  private abort(failure: TurnFailure): void {
    if (this.phase === "done" || this.phase === "aborting") return;
    if (this.phase === "ready" || this.phase === "ending") {
      this.finish(failure);
      return;
    }
    this.phase = "aborting";
    this.abortFailure = failure;
    this.abortTimer = requestAbort({
      sessionId: this.state.sessionId,
      graceMs: this.options.abortGraceMs,
      logger: this.options.logger,
      afterPrompt: () => this.afterPrompt(),
      postAbort: () => this.options.request("abort", undefined),
      graceOver: () => this.finish(this.abortFailure),
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
    this.gate.clear();
    this.resolveDone();
  }
}

import type { TurnFailure, TurnState } from "../codec.js";
import {
  createTurnState,
  failureOf,
  finishTurn,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
} from "../codec.js";
import type { Reply, Sink, TurnResult } from "../reply.js";
import {
  decidePermission,
  decideQuestion,
  toPermissionRequest,
  toQuestionRequest,
} from "./asks.js";
import type { AskDecision, ResolvedAdapterConfig } from "./config.js";
import type { EventStreamFailure, OpenCodeEventStreamError } from "./errors.js";
import type { HubEvent, HubListener } from "./event-hub.js";
import type { HttpClient } from "./http.js";
import { errorField } from "./logger.js";

/** A session and the directory it lives in (sent with every session-scoped request). */
export interface SessionRef {
  readonly id: string;
  readonly directory: string | undefined;
}

/** How a turn ended, with what the adapter answered to permission and question asks. */
export interface OpenCodeTurnResult extends TurnResult {
  readonly traceId: string;
  /** Every permission or question answer sent during the turn, in order. */
  readonly decisions: readonly AskDecision[];
}

/** Error codes of failures found on this side (opencode's own error names pass through). */
export const ErrorCode = {
  Aborted: "MessageAbortedError",
  InvalidInput: "invalid_input",
  Closed: "adapter_closed",
  SessionNotFound: "session_not_found",
  Unauthorized: "unauthorized",
  Http: "http_error",
  StreamConnect: "event_stream_connect",
  StreamSilence: "event_stream_silence",
  StreamLost: "event_stream_lost",
} as const;

/** The reply code of an event stream failure. */
export function streamErrorCode(reason: EventStreamFailure): string {
  if (reason === "silence") return ErrorCode.StreamSilence;
  if (reason === "lost") return ErrorCode.StreamLost;
  return ErrorCode.StreamConnect;
}

interface OpenCodeMessage {
  readonly info?: {
    readonly id?: string;
    readonly parentID?: string;
    readonly role?: string;
    readonly error?: unknown;
    readonly time?: { readonly completed?: number };
  };
  readonly parts?: readonly unknown[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

// The first messageID of a delta event is its own (`properties.messageID`).
const MESSAGE_ID = /"messageID":"([^"\\]*)"/;

function messageIdOf(event: unknown): string | undefined {
  const properties = isRecord(event) ? event.properties : undefined;
  return isRecord(properties) && typeof properties.messageID === "string"
    ? properties.messageID
    : undefined;
}

const ABORTED: TurnFailure = { error: "Aborted", code: ErrorCode.Aborted, aborted: true };

export interface TurnOptions {
  readonly config: ResolvedAdapterConfig;
  readonly http: HttpClient;
  readonly session: SessionRef;
  readonly sink: Sink;
  readonly traceId: string;
  readonly signal: AbortSignal | undefined;
}

/**
 * One prompt on one session: listens to the session's events (through the shared hub),
 * maps them with the codec, answers asks, handles abort, resubscribe and silence, and
 * feeds the sink in order.
 */
export class Turn implements HubListener {
  readonly state: TurnState;
  readonly decisions: AskDecision[] = [];
  /** Our session and the subagent sessions it started: their asks are ours to answer. */
  readonly sessions: Set<string> = new Set<string>();
  private readonly options: TurnOptions;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** Turn-end events count only after our prompt made the session busy (older ones are stale). */
  private sawBusy = false;
  /** After a resubscribe, deltas may have gaps: text then comes from whole-part updates only. */
  private deltasOff = false;
  /** Events held from a drop until the catch-up after the resubscribe is done, replayed then. */
  private held: HubEvent[] | undefined;
  private catchingUp = false;
  private catchUpAgain = false;
  /** The caller's signal fired after the prompt went out: the turn ends aborted, whatever follows. */
  private aborting = false;
  /** An async end check (silent failure) is running; later events are moot. */
  private ending = false;
  private promptSent = false;
  /** The prompt POST: an abort is sent only after it, or it could overtake the prompt. */
  private posting: Promise<unknown> | undefined;
  private abortTimer: NodeJS.Timeout | undefined;
  /** Our prompt's user message, and the assistant messages answering it. */
  private userMessageId: string | undefined;
  private readonly ours = new Set<string>();
  private readonly answered = new Set<string>();
  private sinkTail: Promise<void> | undefined;
  private readonly onAbort = (): void => this.abort();
  onChildSession: ((sessionId: string) => void) | undefined;

  constructor(options: TurnOptions) {
    this.options = options;
    this.state = createTurnState(options.session.id, { traceId: options.traceId });
    this.sessions.add(options.session.id);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get finished(): boolean {
    return this.state.done;
  }

  /** Sends the prompt (the caller has subscribed already) and resolves when the turn has ended. */
  async run(body: unknown): Promise<void> {
    const { signal } = this.options;
    if (signal?.aborted) {
      this.finish(ABORTED);
      return this.settled();
    }
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.promptSent = true;
    this.posting = this.request("POST", "prompt_async", body);
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
    while (this.sinkTail !== undefined) await this.sinkTail;
  }

  result(): OpenCodeTurnResult {
    const { state } = this;
    const status = state.status === "running" ? "error" : state.status;
    return {
      sessionId: state.sessionId,
      traceId: state.traceId,
      status,
      text: state.text,
      ...(state.usage === undefined ? {} : { usage: state.usage }),
      ...(state.error === undefined ? {} : { error: state.error }),
      decisions: this.decisions,
    };
  }

  // HubListener

  onEvent(event: HubEvent): void {
    if (this.state.done || this.ending) return;
    if (this.held !== undefined) {
      this.held.push(event);
      return;
    }
    this.handle(event);
  }

  onDropped(): void {
    if (this.state.done) return;
    // The new stream's first events come after a gap: hold them until the catch-up is done.
    this.deltasOff = true;
    this.held ??= [];
  }

  onResubscribed(): void {
    if (this.state.done) return;
    this.options.config.logger.warn(
      { sessionId: this.state.sessionId },
      "the event stream dropped and was resubscribed; catching up on missed events",
    );
    this.deltasOff = true;
    this.held ??= [];
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    this.catchingUp = true;
    void this.catchUp().finally(() => {
      this.catchingUp = false;
    });
  }

  onFailure(error: OpenCodeEventStreamError): void {
    this.finish({ error: error.message, code: streamErrorCode(error.reason) });
  }

  private handle(event: HubEvent): void {
    const { type } = event;
    switch (type) {
      case "permission.asked":
        this.onPermissionAsked(event.event());
        return;
      case "question.asked":
        this.onQuestionAsked(event.event());
        return;
      case "session.created":
        this.onSessionCreated(event.event());
        return;
    }
    const sessionId = event.sessionId;
    if (sessionId !== undefined && sessionId !== this.state.sessionId) return;
    switch (type) {
      case "session.status": {
        const parsed = event.event();
        const status =
          isRecord(parsed) && isRecord(parsed.properties) ? parsed.properties.status : undefined;
        const kind = isRecord(status) ? status.type : undefined;
        if (kind === "busy" || kind === "retry") {
          this.sawBusy = true;
          if (kind === "retry" && isRecord(status)) this.onRetry(status);
          return;
        }
        if (kind === "idle") this.onIdle(parsed);
        return;
      }
      case "session.idle":
        this.onIdle(event.event());
        return;
      case "session.error":
        // An error left over from the previous turn on this session is not ours.
        if (!this.sawBusy) return;
        if (this.aborting) {
          this.finish(ABORTED);
          return;
        }
        break;
      case "message.updated":
        if (!this.acceptMessage(event.event())) return;
        this.map(event.event());
        return;
      case "message.part.updated": {
        const parsed = event.event();
        const part =
          isRecord(parsed) && isRecord(parsed.properties) ? parsed.properties.part : undefined;
        if (!isRecord(part) || !this.ours.has(part.messageID as string)) return;
        this.map(parsed);
        return;
      }
      case "message.part.delta": {
        if (this.deltasOff) return;
        const messageId =
          event.data !== undefined ? MESSAGE_ID.exec(event.data)?.[1] : messageIdOf(event.event());
        if (messageId === undefined || !this.ours.has(messageId)) return;
        break;
      }
    }
    if (event.data !== undefined) this.deliver(mapOpenCodeEventData(event.data, this.state));
    else this.deliver(mapOpenCodeEvent(event.event(), this.state));
    if (this.state.done) this.complete();
  }

  private map(event: unknown): void {
    this.deliver(mapOpenCodeEvent(event, this.state));
    if (this.state.done) this.complete();
  }

  /**
   * Whether a `message.updated` belongs to this turn. Our prompt's user message is the
   * newest user message announced after the prompt was sent (opencode's ids ascend; late
   * updates of older messages carry smaller ids); this turn's assistant messages are the
   * replies to it (`parentID`). Anything else (the tail of an aborted turn, another
   * client's prompt on the session) is not ours.
   */
  private acceptMessage(event: unknown): boolean {
    const info = isRecord(event) && isRecord(event.properties) ? event.properties.info : undefined;
    if (!isRecord(info) || typeof info.id !== "string") return false;
    if (info.role === "user") {
      if (this.promptSent && (this.userMessageId === undefined || info.id > this.userMessageId)) {
        this.userMessageId = info.id;
      }
      return false;
    }
    if (info.role !== "assistant" || this.userMessageId === undefined) return false;
    if (info.parentID !== this.userMessageId) return false;
    this.ours.add(info.id);
    return true;
  }

  private onRetry(status: Record<string, unknown>): void {
    this.options.config.logger.debug(
      {
        sessionId: this.state.sessionId,
        attempt: status.attempt,
        reason: status.message,
        next: status.next,
      },
      "opencode is retrying the model call",
    );
  }

  private onIdle(event: unknown): void {
    if (!this.sawBusy) {
      this.options.config.logger.debug(
        { sessionId: this.state.sessionId },
        "ignored an idle event from before this turn",
      );
      return;
    }
    // Aborted during a retry back-off, opencode just goes idle (no session.error).
    if (this.aborting) {
      this.finish(ABORTED);
      return;
    }
    if (this.state.text !== "") {
      this.deliver(mapOpenCodeEvent(event, this.state));
      this.complete();
      return;
    }
    // No output: opencode sometimes fails without session.error; the cause is on the message.
    this.ending = true;
    void this.endFromMessages(event);
  }

  private async endFromMessages(idleEvent: unknown): Promise<void> {
    let failure: TurnFailure | undefined;
    try {
      const messages = await this.messages(1);
      const last = messages?.[messages.length - 1];
      const ofThisTurn =
        this.userMessageId === undefined || last?.info?.parentID === this.userMessageId;
      if (last?.info?.role === "assistant" && ofThisTurn && isRecord(last.info.error)) {
        failure = failureOf(last.info.error);
      }
    } catch (error) {
      this.options.config.logger.warn(
        { sessionId: this.state.sessionId, err: errorField(error) },
        "could not read the last message after an empty turn",
      );
    }
    if (this.aborting) failure = ABORTED;
    else if (failure === undefined) this.deliver(mapOpenCodeEvent(idleEvent, this.state));
    this.finish(failure);
  }

  private onSessionCreated(event: unknown): void {
    const info = isRecord(event) && isRecord(event.properties) ? event.properties.info : undefined;
    if (!isRecord(info) || typeof info.id !== "string" || typeof info.parentID !== "string") return;
    if (!this.sessions.has(info.parentID) || this.sessions.has(info.id)) return;
    this.sessions.add(info.id);
    this.onChildSession?.(info.id);
  }

  private onPermissionAsked(event: unknown): void {
    const request = toPermissionRequest(isRecord(event) ? event.properties : undefined);
    if (request === undefined || !this.sessions.has(request.sessionId)) return;
    if (this.answered.has(request.id)) return;
    this.answered.add(request.id);
    void this.answerPermission(request);
  }

  private async answerPermission(
    request: NonNullable<ReturnType<typeof toPermissionRequest>>,
  ): Promise<void> {
    const { config } = this.options;
    const { answer, failure } = await decidePermission(config.permission, request);
    if (failure !== undefined) {
      config.logger.warn(
        { sessionId: request.sessionId, requestId: request.id, err: errorField(failure) },
        "permission policy failed; rejecting",
      );
    }
    this.record({
      kind: "permission",
      requestId: request.id,
      sessionId: request.sessionId,
      permission: request.permission,
      patterns: request.patterns,
      reply: answer.reply,
      ...(answer.message === undefined ? {} : { message: answer.message }),
    });
    try {
      await this.options.http.json("POST", `/permission/${encodeURIComponent(request.id)}/reply`, {
        query: { directory: this.options.session.directory },
        body: answer,
        timeoutMs: config.requestTimeoutMs,
      });
    } catch (error) {
      config.logger.error(
        { sessionId: request.sessionId, requestId: request.id, err: errorField(error) },
        "could not answer a permission ask",
      );
    }
  }

  private onQuestionAsked(event: unknown): void {
    const request = toQuestionRequest(isRecord(event) ? event.properties : undefined);
    if (request === undefined || !this.sessions.has(request.sessionId)) return;
    if (this.answered.has(request.id)) return;
    this.answered.add(request.id);
    void this.answerQuestion(request);
  }

  private async answerQuestion(
    request: NonNullable<ReturnType<typeof toQuestionRequest>>,
  ): Promise<void> {
    const { config } = this.options;
    const { answers, failure } = await decideQuestion(config.question, request);
    if (failure !== undefined) {
      config.logger.warn(
        { sessionId: request.sessionId, requestId: request.id, err: errorField(failure) },
        "question policy failed; rejecting",
      );
    }
    this.record({
      kind: "question",
      requestId: request.id,
      sessionId: request.sessionId,
      questions: request.questions.map((item) => item.question),
      reply: answers === undefined ? "reject" : "answer",
      ...(answers === undefined ? {} : { answers }),
    });
    const id = encodeURIComponent(request.id);
    try {
      await this.options.http.json(
        "POST",
        answers === undefined ? `/question/${id}/reject` : `/question/${id}/reply`,
        {
          query: { directory: this.options.session.directory },
          body: answers === undefined ? {} : { answers },
          timeoutMs: config.requestTimeoutMs,
        },
      );
    } catch (error) {
      config.logger.error(
        { sessionId: request.sessionId, requestId: request.id, err: errorField(error) },
        "could not answer a question ask",
      );
    }
  }

  private record(decision: AskDecision): void {
    this.decisions.push(decision);
    const { logger, onDecision } = this.options.config;
    logger.info(
      {
        sessionId: decision.sessionId,
        requestId: decision.requestId,
        kind: decision.kind,
        reply: decision.reply,
      },
      `answered a ${decision.kind} ask`,
    );
    if (onDecision === undefined) return;
    try {
      onDecision(decision);
    } catch (error) {
      logger.warn({ err: errorField(error) }, "onDecision threw; ignored");
    }
  }

  /**
   * After a resubscribe: events were missed and opencode has no replay. Catch up from
   * the session's status and messages, answer asks still pending, then replay what
   * arrived meanwhile.
   */
  private async catchUp(): Promise<void> {
    const { config } = this.options;
    const sessionId = this.state.sessionId;
    await this.afterPrompt();
    do {
      this.catchUpAgain = false;
      try {
        const [statuses, messages] = await Promise.all([
          this.options.http.json<Record<string, { type?: string }>>("GET", "/session/status", {
            query: { directory: this.options.session.directory },
            timeoutMs: config.requestTimeoutMs,
          }),
          this.messages(100),
        ]);
        if (this.state.done) return;
        const status = statuses?.[sessionId]?.type;
        if (status === "busy" || status === "retry") this.sawBusy = true;
        const turnMessages = this.messagesOfTurn(messages ?? []);
        this.replay(turnMessages);
        const last = turnMessages[turnMessages.length - 1];
        const ended =
          status === undefined || status === "idle"
            ? this.sawBusy ||
              last?.info?.time?.completed !== undefined ||
              isRecord(last?.info?.error)
            : false;
        if (ended && !this.state.done) {
          config.logger.info({ sessionId }, "the turn ended while the event stream was down");
          if (this.aborting) this.finish(ABORTED);
          else this.finish(isRecord(last?.info?.error) ? failureOf(last.info.error) : undefined);
          return;
        }
        await this.answerPending();
      } catch (error) {
        config.logger.warn(
          { sessionId, err: errorField(error) },
          "catching up after a resubscribe failed",
        );
        this.finish({
          error: `lost events of the turn and could not catch up: ${errorField(error).message}`,
          code: ErrorCode.StreamLost,
        });
        return;
      }
    } while (this.catchUpAgain && !this.state.done);
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) {
      if (this.state.done || this.ending) break;
      this.handle(event);
    }
  }

  /**
   * This turn's assistant messages in a snapshot: the replies to our user message (the
   * one seen on the stream, else the last user message of the snapshot).
   */
  private messagesOfTurn(messages: readonly OpenCodeMessage[]): OpenCodeMessage[] {
    if (!messages.some((message) => message.info?.id === this.userMessageId)) {
      const lastUser = messages.findLast((message) => message.info?.role === "user");
      if (lastUser?.info?.id === undefined) return [];
      this.userMessageId = lastUser.info.id;
    }
    const turn = messages.filter(
      (message) =>
        message.info?.role === "assistant" && message.info.parentID === this.userMessageId,
    );
    for (const message of turn) if (message.info?.id !== undefined) this.ours.add(message.info.id);
    return turn;
  }

  /** Feeds messages to the codec as the events that would have carried them. */
  private replay(messages: readonly OpenCodeMessage[]): void {
    const sessionID = this.state.sessionId;
    for (const message of messages) {
      const info = { ...message.info };
      // An error is left for the end decision, so it is not reported twice.
      delete (info as { error?: unknown }).error;
      const replies = mapOpenCodeEvent(
        { type: "message.updated", properties: { sessionID, info } },
        this.state,
      );
      this.deliver(replies);
      for (const part of message.parts ?? []) {
        this.deliver(
          mapOpenCodeEvent(
            { type: "message.part.updated", properties: { sessionID, part } },
            this.state,
          ),
        );
      }
    }
  }

  private async answerPending(): Promise<void> {
    const { config, http, session } = this.options;
    const query = { directory: session.directory };
    const [permissions, questions] = await Promise.all([
      http.json<unknown[]>("GET", "/permission", { query, timeoutMs: config.requestTimeoutMs }),
      http.json<unknown[]>("GET", "/question", { query, timeoutMs: config.requestTimeoutMs }),
    ]);
    for (const item of permissions ?? []) {
      this.onPermissionAsked({ type: "permission.asked", properties: item });
    }
    for (const item of questions ?? []) {
      this.onQuestionAsked({ type: "question.asked", properties: item });
    }
  }

  private async messages(limit: number): Promise<OpenCodeMessage[] | undefined> {
    const { config, http, session } = this.options;
    return http.json<OpenCodeMessage[]>(
      "GET",
      `/session/${encodeURIComponent(session.id)}/message`,
      {
        query: { directory: session.directory, limit: String(limit) },
        timeoutMs: config.requestTimeoutMs,
        sessionId: session.id,
      },
    );
  }

  private abort(): void {
    if (this.state.done) return;
    const { config } = this.options;
    if (!this.promptSent) {
      this.finish(ABORTED);
      return;
    }
    this.aborting = true;
    // opencode may wait for a running tool before it stops; do not wait for it past the grace.
    this.abortTimer = setTimeout(() => {
      config.logger.warn(
        { sessionId: this.state.sessionId, graceMs: config.abortGraceMs },
        "opencode did not end the aborted turn in time; ending it here",
      );
      this.finish(ABORTED);
    }, config.abortGraceMs);
    void this.afterPrompt()
      .then(() => this.request("POST", "abort", undefined, config.abortGraceMs))
      .catch((error: unknown) => {
        config.logger.warn(
          { sessionId: this.state.sessionId, err: errorField(error) },
          "POST /session/:id/abort failed",
        );
      });
  }

  /** Best effort stop of a running turn (adapter closing): asks opencode to abort, waits briefly. */
  async stop(failure: TurnFailure): Promise<void> {
    if (this.state.done) return;
    const running = this.promptSent;
    this.finish(failure);
    if (!running) return;
    const { config } = this.options;
    await this.afterPrompt();
    await this.request("POST", "abort", undefined, config.abortGraceMs).catch(() => undefined);
  }

  /** Settles when the prompt POST has (successful or not). */
  private async afterPrompt(): Promise<void> {
    await this.posting?.catch(() => undefined);
  }

  private request(
    method: "POST",
    action: "prompt_async" | "abort",
    body: unknown,
    timeoutMs?: number,
  ): Promise<unknown> {
    const { config, http, session } = this.options;
    return http.json(method, `/session/${encodeURIComponent(session.id)}/${action}`, {
      query: { directory: session.directory },
      body,
      timeoutMs: timeoutMs ?? config.requestTimeoutMs,
      sessionId: session.id,
    });
  }

  /** Ends the turn once (a later call only completes it). */
  private finish(failure: TurnFailure | undefined): void {
    if (!this.state.done) this.deliver(finishTurn(this.state, failure));
    this.complete();
  }

  private complete(): void {
    if (this.abortTimer !== undefined) clearTimeout(this.abortTimer);
    this.abortTimer = undefined;
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.held = undefined;
    this.resolveDone();
  }

  /** Hands replies to the sink in order; a sink that throws or rejects is logged and skipped. */
  private deliver(replies: readonly Reply[]): void {
    for (const reply of replies) {
      if (this.sinkTail !== undefined) {
        const tail: Promise<void> = this.sinkTail.then(() => this.callSink(reply));
        this.track(tail);
        continue;
      }
      const pending = this.callSinkSync(reply);
      if (pending !== undefined) this.track(pending);
    }
  }

  private track(tail: Promise<void>): void {
    this.sinkTail = tail;
    void tail.then(() => {
      if (this.sinkTail === tail) this.sinkTail = undefined;
    });
  }

  /** Calls a sync sink at once; returns a promise only when the sink returned one. */
  private callSinkSync(reply: Reply): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = this.options.sink(reply);
    } catch (error) {
      this.sinkFailed(reply, error);
      return undefined;
    }
    if (result === undefined || typeof (result as Promise<void>).then !== "function")
      return undefined;
    return Promise.resolve(result).then(
      () => undefined,
      (error: unknown) => this.sinkFailed(reply, error),
    );
  }

  private async callSink(reply: Reply): Promise<void> {
    try {
      await this.options.sink(reply);
    } catch (error) {
      this.sinkFailed(reply, error);
    }
  }

  private sinkFailed(reply: Reply, error: unknown): void {
    this.options.config.logger.warn(
      { traceId: this.state.traceId, kind: reply.kind, err: errorField(error) },
      "the reply sink failed; the turn goes on",
    );
  }
}

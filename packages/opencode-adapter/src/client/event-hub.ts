import { abortable, type OpenCodeLogger } from "@taos/internal";
import { readGlobalFrame } from "../frame.js";
import { OpenCodeEventStreamError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { type HubListener, SessionRoutes } from "./hub-routes.js";
import { openEventStream } from "./hub-stream.js";
import { SilenceWatchdog } from "./hub-watchdog.js";
import { confirmLive, type Probe } from "./live-check.js";
import { errorField } from "./logger.js";

export interface EventHubOptions {
  readonly connectTimeoutMs: number;
  readonly logger: OpenCodeLogger;
}

type State = "idle" | "connecting" | "open" | "closed";

/**
 * The one event subscription of one server, shared by every adapter and turn on it.
 * Each event is routed by its session id to the listeners of that session only. It
 * watches for silence, resubscribes once when the stream drops, and tells the
 * listeners what happened. `generation` moves on with each stream the hub lets go
 * of, so a late callback of an old stream changes nothing.
 */
export class EventHub {
  /** Streams opened so far (tests and diagnostics). */
  connects = 0;
  private state: State = "idle";
  private connecting: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private generation = 0;
  private probe: Probe | undefined;
  private readonly routes: SessionRoutes;
  private readonly watchdog: SilenceWatchdog;

  constructor(
    private readonly http: HttpClient,
    private readonly options: EventHubOptions,
  ) {
    this.routes = new SessionRoutes(options.logger);
    this.watchdog = new SilenceWatchdog(
      () => this.state === "open",
      (limit) => this.probeQuietStream(limit),
      (quietMs) => this.onSilence(quietMs),
    );
  }

  /** Routes the events of `sessionId` to `listener` until the returned function is called. */
  listen(sessionId: string, listener: HubListener): () => void {
    return this.routes.listen(sessionId, listener);
  }

  /** Registers a user's silence limit; the shortest one of all users applies. */
  setSilenceLimit(user: object, ms: number | undefined): void {
    this.watchdog.setLimit(user, ms);
    if (this.state === "open") this.watchdog.arm();
  }

  /** Resolves once the stream is open and opencode has said `server.connected`. */
  async ready(signal?: AbortSignal): Promise<void> {
    if (this.state === "closed") {
      throw new OpenCodeEventStreamError({ reason: "connect", message: "the event hub is closed" });
    }
    if (this.state === "open") return;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    await abortable(this.connecting, signal);
  }

  /** Ends the stream for good. Idempotent. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.generation++;
    this.watchdog.clear();
    this.controller?.abort();
    this.controller = undefined;
    this.routes.clear();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    this.state = "connecting";
    this.connects++;
    await openEventStream({
      http: this.http,
      logger: this.options.logger,
      controller,
      timeoutMs: this.options.connectTimeoutMs,
      onData: (data, connected) => this.onData(data, generation, connected),
      onProbe: (probe) => {
        this.probe = probe;
      },
      onEnd: (opened, error, rejectOpening) =>
        this.onStreamEnd(generation, opened, error, rejectOpening),
      onFailed: () => {
        // close() moves the generation on, so an unchanged one means "not closed".
        if (this.generation !== generation) return;
        this.state = "idle";
        this.controller = undefined;
      },
    });
    if (this.generation !== generation) return;
    this.state = "open";
    this.watchdog.activity();
    this.watchdog.arm();
  }

  private onData(data: string, generation: number, onConnected: () => void): void {
    if (generation !== this.generation) return;
    if (this.probe !== undefined && data.includes(this.probe.token)) {
      this.watchdog.activity(false);
      this.probe.seen();
      return;
    }
    this.watchdog.activity();
    const event = readGlobalFrame(data);
    if (event === undefined) {
      this.options.logger.debug({ bytes: data.length }, "skipped an event");
      return;
    }
    if (event.type === "server.connected") onConnected();
    else if (event.type !== "server.heartbeat") this.routes.route(event);
  }

  private onStreamEnd(
    generation: number,
    opened: boolean,
    error: unknown,
    rejectConnect: (error: unknown) => void,
  ): void {
    if (generation !== this.generation || this.state === "closed") return;
    if (!opened) {
      rejectConnect(
        new OpenCodeEventStreamError({
          reason: "connect",
          message: "the event stream ended before it was open",
          cause: error,
        }),
      );
      return;
    }
    this.letGo("ended");
    this.options.logger.warn(
      { server: this.http.origin, ...(error === undefined ? {} : { err: errorField(error) }) },
      "opencode event stream dropped; resubscribing once",
    );
    this.routes.notifyAll((listener) => listener.onDropped());
    void this.resubscribe(error);
  }

  private async resubscribe(dropCause: unknown): Promise<void> {
    try {
      await this.ready();
    } catch (error) {
      const failure = new OpenCodeEventStreamError({
        reason: "lost",
        message: `the event stream dropped and resubscribing failed: ${errorField(error).message}`,
        cause: dropCause ?? error,
      });
      this.options.logger.error(
        { server: this.http.origin, err: errorField(error) },
        failure.message,
      );
      this.routes.notifyAll((listener) => listener.onFailure(failure));
      return;
    }
    this.options.logger.info({ server: this.http.origin }, "opencode event stream resubscribed");
    this.routes.notifyAll((listener) => listener.onResubscribed());
  }

  /** Whether a probe comes back through the quiet stream within `limit` (the server lives). */
  private async probeQuietStream(limit: number): Promise<boolean> {
    const { controller } = this;
    if (controller === undefined) return false;
    this.options.logger.warn(
      { server: this.http.origin, quietMs: limit },
      "opencode event stream quiet past the silence limit; probing it",
    );
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), limit);
    try {
      const signal = AbortSignal.any([controller.signal, deadline.signal]);
      await confirmLive(this.http, this.options.logger, signal, (probe) => {
        this.probe = probe;
      });
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private onSilence(limit: number): void {
    // A silent stream means a hung server: drop it; the next turn opens a fresh one.
    this.letGo("silent");
    const failure = new OpenCodeEventStreamError({
      reason: "silence",
      message: `no event from opencode (not even a heartbeat) for ${Math.round(limit)} ms`,
    });
    this.options.logger.error({ server: this.http.origin }, failure.message);
    this.routes.notifyAll((listener) => listener.onFailure(failure));
  }

  /**
   * Lets the current stream go: back to `idle`, ready to connect again. A silent
   * stream is still open and is aborted; an ended one is over already.
   */
  private letGo(why: "ended" | "silent"): void {
    this.generation++;
    this.state = "idle";
    this.watchdog.clear();
    if (why === "silent") this.controller?.abort();
    this.controller = undefined;
  }
}

import { abortable, type OpenCodeLogger } from "@taos/internal";
import { readGlobalFrame } from "../frame.js";
import { OpenCodeEventStreamError } from "./errors.js";
import { openEventStream } from "./event-stream.js";
import type { HttpClient } from "./http.js";
import { type HubListener, SessionRoutes } from "./hub-routes.js";
import { SilenceWatchdog } from "./hub-watchdog.js";
import { confirmLive, type Probe } from "./live-check.js";
import { errorField } from "./logger.js";

export interface EventHubOptions {
  readonly connectTimeoutMs: number;
  readonly logger: OpenCodeLogger;
}

type State = "idle" | "connecting" | "open" | "closed";

function openingError(error: unknown): OpenCodeEventStreamError {
  if (OpenCodeEventStreamError.isInstance(error)) return error;
  return new OpenCodeEventStreamError({
    reason: "connect",
    message: `the event stream could not be opened: ${errorField(error).message}`,
    cause: error,
  });
}

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

  /** Opens a stream within the connect timeout; on failure the hub is back to `idle`. */
  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    this.state = "connecting";
    this.connects++;
    try {
      await this.withinConnectTimeout(this.open(controller, generation), controller);
    } catch (error) {
      controller.abort();
      // close() moves the generation on, so an unchanged one means "not closed".
      if (this.generation === generation) {
        this.state = "idle";
        this.controller = undefined;
      }
      throw openingError(error);
    }
    if (this.generation !== generation) return;
    this.state = "open";
    this.watchdog.activity();
    this.watchdog.arm();
  }

  /**
   * Requests the stream and reads it from here on; resolves once opencode has said
   * `server.connected` and a live probe has come back through it. A stream that ends
   * before that fails the opening; one that ends after is the hub's to mend.
   */
  private async open(controller: AbortController, generation: number): Promise<void> {
    const { http, options } = this;
    const frames = await openEventStream(http, controller.signal, options.connectTimeoutMs);
    let opened = false;
    let connected!: () => void;
    const serverConnected = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const endedEarly = this.read(frames, generation, () => connected()).then((error) => {
      if (opened) this.onStreamEnd(generation, error);
      throw new OpenCodeEventStreamError({
        reason: "connect",
        message: "the event stream ended before it was open",
        cause: error,
      });
    });
    endedEarly.catch(() => undefined);
    await Promise.race([serverConnected, endedEarly]);
    const live = confirmLive(http, options.logger, controller.signal, (probe) => {
      this.probe = probe;
    });
    live.catch(() => undefined);
    await Promise.race([live, endedEarly]);
    opened = true;
  }

  /** Reads the stream to its end: the error that broke it, or undefined when opencode ended it. */
  private async read(
    frames: AsyncIterable<string>,
    generation: number,
    connected: () => void,
  ): Promise<unknown> {
    try {
      for await (const data of frames)
        if (generation === this.generation) this.onData(data, connected);
      return undefined;
    } catch (error) {
      return error ?? new Error("the event stream broke");
    }
  }

  private async withinConnectTimeout(
    opening: Promise<void>,
    controller: AbortController,
  ): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new OpenCodeEventStreamError({
          reason: "connect",
          message: `the event stream did not open (server.connected and a live subscription) within ${timeoutMs} ms`,
        });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    opening.catch(() => undefined);
    try {
      await Promise.race([opening, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private onData(data: string, onConnected: () => void): void {
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

  /** An open stream ended (`error` undefined: opencode ended it): resubscribe once. */
  private onStreamEnd(generation: number, error: unknown): void {
    if (generation !== this.generation || this.state === "closed") return;
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

import { abortable, isRecord, type OpenCodeLogger } from "@taos/internal";
import { eventSessionId } from "../events.js";
import { type Frame, readGlobalFrame } from "../frame.js";
import { OpenCodeEventStreamError } from "./errors.js";
import type { HttpClient } from "./http.js";
import { confirmLive, type Probe } from "./live-check.js";
import { errorField } from "./logger.js";
import { pumpServerSentEvents } from "./sse.js";

/**
 * `/global/event` rather than `/event`: `/event` carries only the events of one
 * directory (the server's, unless `?directory=` says otherwise), so one subscription
 * there could not serve sessions living in different directories. `/global/event`
 * carries every directory, each event wrapped as `{directory, project, payload}`.
 */
export const GLOBAL_EVENT_PATH = "/global/event";

export interface HubListener {
  /** An event of the session this listener was registered for. */
  onEvent(frame: Frame): void;
  /**
   * The stream dropped; a new one is being opened. Its events may reach the listener
   * before `onResubscribed` (the live check takes a round trip), after a gap.
   */
  onDropped(): void;
  /** The stream dropped and a new one is up: events may have been missed. */
  onResubscribed(): void;
  /** The stream failed for good (silence, or a drop the resubscribe could not mend). */
  onFailure(error: OpenCodeEventStreamError): void;
}

export interface EventHubOptions {
  readonly connectTimeoutMs: number;
  readonly logger: OpenCodeLogger;
}

type State = "idle" | "connecting" | "open" | "closed";

/**
 * The one event subscription of one server, shared by every adapter and turn on it.
 * Each event is routed by its session id to the listeners of that session only, so N
 * concurrent turns cost one parse per event, not N. It watches for silence, resubscribes
 * once when the stream drops, and tells the listeners what happened.
 */
export class EventHub {
  /** Streams opened so far (tests and diagnostics). */
  connects = 0;
  private state: State = "idle";
  private connecting: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private generation = 0;
  private lastActivity = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly listeners = new Map<string, Set<HubListener>>();
  private readonly silenceLimits = new Map<object, number>();
  private probe: Probe | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly options: EventHubOptions,
  ) {}

  /** Routes the events of `sessionId` to `listener` until the returned function is called. */
  listen(sessionId: string, listener: HubListener): () => void {
    let set = this.listeners.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(sessionId);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(sessionId);
    };
  }

  /** Registers a user's silence limit; the shortest one of all users applies. */
  setSilenceLimit(user: object, ms: number | undefined): void {
    if (ms === undefined) this.silenceLimits.delete(user);
    else this.silenceLimits.set(user, ms);
    if (this.state === "open") this.armWatchdog();
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
    this.clearWatchdog();
    this.controller?.abort();
    this.controller = undefined;
    this.listeners.clear();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    this.state = "connecting";
    this.connects++;
    const timeoutMs = this.options.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          const error = new OpenCodeEventStreamError({
            reason: "connect",
            message: `the event stream did not open (server.connected and a live subscription) within ${timeoutMs} ms`,
          });
          controller.abort(error);
          reject(error);
        }, timeoutMs);
        let connected = false;
        let opened = false;
        this.http.stream(GLOBAL_EVENT_PATH, controller.signal, timeoutMs).then((response) => {
          const onConnected = (): void => {
            if (connected) return;
            connected = true;
            confirmLive(this.http, this.options.logger, controller.signal, (probe) => {
              this.probe = probe;
            }).then(() => {
              opened = true;
              resolve();
            }, reject);
          };
          pumpServerSentEvents(response.body, (data) =>
            this.onData(data, generation, onConnected),
          ).then(
            () => this.onStreamEnd(generation, opened, undefined, reject),
            (error: unknown) => this.onStreamEnd(generation, opened, error, reject),
          );
        }, reject);
      });
    } catch (error) {
      controller.abort();
      // close() moves the generation on, so an unchanged one means "not closed".
      if (this.generation === generation) {
        this.state = "idle";
        this.controller = undefined;
      }
      if (OpenCodeEventStreamError.isInstance(error)) throw error;
      throw new OpenCodeEventStreamError({
        reason: "connect",
        message: `the event stream could not be opened: ${errorField(error).message}`,
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
    if (this.generation !== generation) return;
    this.state = "open";
    this.lastActivity = performance.now();
    this.armWatchdog();
  }

  private onData(data: string, generation: number, onConnected: () => void): void {
    if (generation !== this.generation) return;
    this.lastActivity = performance.now();
    if (this.probe !== undefined && data.includes(this.probe.token)) {
      this.probe.seen();
      return;
    }
    const event = readGlobalFrame(data);
    if (event === undefined) {
      this.options.logger.debug({ bytes: data.length }, "skipped an event");
      return;
    }
    switch (event.type) {
      case "server.connected":
        onConnected();
        return;
      case "server.heartbeat":
        return;
      case "session.created":
        this.routeChild(event);
        break;
    }
    let sessionId = event.sessionId;
    if (sessionId === undefined) {
      // The header only sees a leading properties.sessionID; the part's or info's needs a parse.
      if (event.data === undefined) return;
      sessionId = eventSessionId(event.parse());
      if (sessionId === undefined) return;
    }
    const set = this.listeners.get(sessionId);
    if (set === undefined) return;
    for (const listener of set) this.deliver(listener, event);
  }

  /** A subagent's session announces itself with its parent's id: tell the parent's listeners. */
  private routeChild(event: Frame): void {
    const parsed = event.parse();
    if (!isRecord(parsed) || !isRecord(parsed.properties)) return;
    const info = parsed.properties.info;
    if (!isRecord(info) || typeof info.parentID !== "string") return;
    const set = this.listeners.get(info.parentID);
    if (set === undefined) return;
    for (const listener of set) this.deliver(listener, event);
  }

  /** One listener's bug must not break the stream every other turn reads: it is logged. */
  private deliver(listener: HubListener, event: Frame): void {
    try {
      listener.onEvent(event);
    } catch (error) {
      this.options.logger.error(
        { type: event.type, err: errorField(error) },
        "an event listener threw; the stream goes on",
      );
    }
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
    this.clearWatchdog();
    this.state = "idle";
    this.controller = undefined;
    this.generation++;
    this.options.logger.warn(
      { server: this.http.origin, ...(error === undefined ? {} : { err: errorField(error) }) },
      "opencode event stream dropped; resubscribing once",
    );
    this.notify((listener) => listener.onDropped());
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
      this.notify((listener) => listener.onFailure(failure));
      return;
    }
    this.options.logger.info({ server: this.http.origin }, "opencode event stream resubscribed");
    this.notify((listener) => listener.onResubscribed());
  }

  private notify(call: (listener: HubListener) => void): void {
    const all = new Set<HubListener>();
    for (const set of this.listeners.values()) for (const listener of set) all.add(listener);
    for (const listener of all) call(listener);
  }

  private silenceLimit(): number | undefined {
    let min: number | undefined;
    for (const ms of this.silenceLimits.values()) if (min === undefined || ms < min) min = ms;
    return min;
  }

  private armWatchdog(): void {
    this.clearWatchdog();
    const limit = this.silenceLimit();
    if (limit === undefined) return;
    const check = (): void => {
      this.watchdog = undefined;
      if (this.state !== "open") return;
      const quiet = performance.now() - this.lastActivity;
      if (quiet < limit) {
        this.watchdog = setTimeout(check, limit - quiet);
        return;
      }
      this.onSilence(limit);
    };
    this.watchdog = setTimeout(check, limit);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private onSilence(limit: number): void {
    // A silent stream means a hung server: drop it; the next turn opens a fresh one.
    this.generation++;
    this.state = "idle";
    this.controller?.abort();
    this.controller = undefined;
    const failure = new OpenCodeEventStreamError({
      reason: "silence",
      message: `no event from opencode (not even a heartbeat) for ${Math.round(limit)} ms`,
    });
    this.options.logger.error({ server: this.http.origin }, failure.message);
    this.notify((listener) => listener.onFailure(failure));
  }
}

import { abortable, isRecord, type OpenCodeLogger } from "@taos/internal";
import { eventSessionId } from "../events.js";
import { type Frame, readFrames } from "../frame.js";
import { OpenCodeEventStreamError } from "./errors.js";
import type { HttpClient } from "./http.js";
import type { HubListener } from "./hub-listener.js";
import { SilenceWatchdog } from "./hub-watchdog.js";
import { confirmLive, type Probe, probeWithin, withinConnectTimeout } from "./live-check.js";
import { errorField } from "./logger.js";

/**
 * `/global/event` rather than `/event`: `/event` carries only the events of one
 * directory (the server's, unless `?directory=` says otherwise), so one subscription
 * there could not serve sessions living in different directories. `/global/event`
 * carries every directory, each event wrapped as `{directory, project, payload}`.
 */
export const GLOBAL_EVENT_PATH = "/global/event";

export interface EventHubOptions {
  readonly connectTimeoutMs: number;
  readonly logger: OpenCodeLogger;
}

type State = "idle" | "connecting" | "open" | "closed";

/**
 * The one event subscription of one server, shared by every adapter and turn on it.
 * Its loop reads the stream's frames and routes each by its session id to the
 * listeners of that session only (N concurrent turns cost one read per event, not N).
 * It watches for silence, resubscribes once when the stream drops, and tells the
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
  private readonly listeners = new Map<string, Set<HubListener>>();
  private readonly watchdog: SilenceWatchdog;
  private readonly setProbe = (probe: Probe | undefined): void => {
    this.probe = probe;
  };

  constructor(
    private readonly http: HttpClient,
    private readonly options: EventHubOptions,
  ) {
    this.watchdog = new SilenceWatchdog(
      () => this.state === "open",
      (limit) => this.probeQuietStream(limit),
      (quietMs) => this.onSilence(quietMs),
    );
  }

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
    this.listeners.clear();
  }

  /** Opens a stream within the connect timeout; on failure the hub is back to `idle`. */
  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const controller = new AbortController();
    this.controller = controller;
    this.state = "connecting";
    this.connects++;
    const opening = this.open(controller, generation);
    try {
      await withinConnectTimeout(opening, controller, this.options.connectTimeoutMs);
    } catch (error) {
      controller.abort();
      // close() moves the generation on, so an unchanged one means "not closed".
      if (this.generation === generation) {
        this.state = "idle";
        this.controller = undefined;
      }
      throw error;
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
    const response = await http.stream(
      GLOBAL_EVENT_PATH,
      controller.signal,
      options.connectTimeoutMs,
    );
    let opened = false;
    let connected!: () => void;
    const serverConnected = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const endedEarly = this.read(response.body, generation, () => connected()).then((error) => {
      if (opened) this.onStreamEnd(generation, error);
      throw new OpenCodeEventStreamError({
        reason: "connect",
        message: "the event stream ended before it was open",
        cause: error,
      });
    });
    endedEarly.catch(() => undefined);
    await Promise.race([serverConnected, endedEarly]);
    const live = confirmLive(http, options.logger, controller.signal, this.setProbe);
    live.catch(() => undefined);
    await Promise.race([live, endedEarly]);
    opened = true;
  }

  /**
   * The hub's one loop: reads the stream's frames to its end and routes each (a stream
   * of an earlier generation is ignored). Resolves to the error that broke the stream,
   * or undefined when opencode ended it.
   */
  private async read(
    body: ReadableStream<Uint8Array>,
    generation: number,
    connected: () => void,
  ): Promise<unknown> {
    const onSkipped = (bytes: number): void => {
      if (generation !== this.generation) return;
      this.watchdog.activity();
      this.options.logger.debug({ bytes }, "skipped an event");
    };
    try {
      for await (const frame of readFrames(body, onSkipped))
        if (generation === this.generation) this.onFrame(frame, connected);
      return undefined;
    } catch (error) {
      return error ?? new Error("the event stream broke");
    }
  }

  private onFrame(frame: Frame, onConnected: () => void): void {
    // The probe's echo is a toast, an event of no session.
    const probe = frame.sessionId === undefined ? this.probe : undefined;
    const text = probe === undefined ? "" : (frame.data ?? JSON.stringify(frame.parse()) ?? "");
    if (probe !== undefined && text.includes(probe.token)) {
      this.watchdog.activity(false);
      probe.seen();
      return;
    }
    this.watchdog.activity();
    if (frame.type === "server.connected") onConnected();
    else if (frame.type !== "server.heartbeat") this.route(frame);
  }

  /**
   * **The one session filter**: a frame goes to the listeners of its session only (a
   * subagent's creation also to its parent's). The head only sees a leading
   * `properties.sessionID`; a part's or an info's needs a parse.
   */
  private route(frame: Frame): void {
    if (frame.type === "session.created") {
      const parsed = frame.parse();
      const info = isRecord(parsed) && isRecord(parsed.properties) && parsed.properties.info;
      if (isRecord(info) && typeof info.parentID === "string") this.deliver(info.parentID, frame);
    }
    const sessionId =
      frame.sessionId ?? (frame.data === undefined ? undefined : eventSessionId(frame.parse()));
    if (sessionId !== undefined) this.deliver(sessionId, frame);
  }

  /** One listener's bug must not break the stream every other turn reads: it is logged. */
  private deliver(sessionId: string, frame: Frame): void {
    const set = this.listeners.get(sessionId);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener.onEvent(frame);
      } catch (error) {
        this.options.logger.error(
          { type: frame.type, err: errorField(error) },
          "an event listener threw; the stream goes on",
        );
      }
    }
  }

  /** Calls `call` once for every listener, whatever its sessions. */
  private notifyAll(call: (listener: HubListener) => void): void {
    const all = new Set<HubListener>();
    for (const set of this.listeners.values()) for (const listener of set) all.add(listener);
    for (const listener of all) call(listener);
  }

  /** An open stream ended (`error` undefined: opencode ended it): resubscribe once. */
  private onStreamEnd(generation: number, error: unknown): void {
    if (generation !== this.generation || this.state === "closed") return;
    this.letGo("ended");
    this.options.logger.warn(
      { server: this.http.origin, ...(error === undefined ? {} : { err: errorField(error) }) },
      "opencode event stream dropped; resubscribing once",
    );
    this.notifyAll((listener) => listener.onDropped());
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
      this.notifyAll((listener) => listener.onFailure(failure));
      return;
    }
    this.options.logger.info({ server: this.http.origin }, "opencode event stream resubscribed");
    this.notifyAll((listener) => listener.onResubscribed());
  }

  /** Whether a probe comes back through the quiet stream within `limit` (the server lives). */
  private async probeQuietStream(limit: number): Promise<boolean> {
    const { controller, http, options } = this;
    if (controller === undefined) return false;
    return probeWithin(http, options.logger, controller.signal, limit, this.setProbe);
  }

  private onSilence(limit: number): void {
    // A silent stream means a hung server: drop it; the next turn opens a fresh one.
    this.letGo("silent");
    const failure = new OpenCodeEventStreamError({
      reason: "silence",
      message: `no event from opencode (not even a heartbeat) for ${Math.round(limit)} ms`,
    });
    this.options.logger.error({ server: this.http.origin }, failure.message);
    this.notifyAll((listener) => listener.onFailure(failure));
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

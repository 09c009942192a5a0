import { isRecord, type OpenCodeLogger } from "@taos/internal";
import { eventSessionId } from "../events.js";
import type { Frame } from "../frame.js";
import type { OpenCodeEventStreamError } from "./errors.js";
import { errorField } from "./logger.js";

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

/**
 * The listeners of each session. An event goes to the listeners of its own session
 * only, so N concurrent turns cost one parse per event, not N.
 */
export class SessionRoutes {
  private readonly listeners = new Map<string, Set<HubListener>>();

  constructor(private readonly logger: OpenCodeLogger) {}

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

  /** Hands an event to the listeners of its session (and a subagent's creation to its parent's). */
  route(event: Frame): void {
    if (event.type === "session.created") this.routeChild(event);
    let sessionId = event.sessionId;
    if (sessionId === undefined) {
      // The header only sees a leading properties.sessionID; the part's or info's needs a parse.
      if (event.data === undefined) return;
      sessionId = eventSessionId(event.parse());
      if (sessionId === undefined) return;
    }
    this.deliverTo(sessionId, event);
  }

  /** Calls `call` once for every listener, whatever its sessions. */
  notifyAll(call: (listener: HubListener) => void): void {
    const all = new Set<HubListener>();
    for (const set of this.listeners.values()) for (const listener of set) all.add(listener);
    for (const listener of all) call(listener);
  }

  clear(): void {
    this.listeners.clear();
  }

  /** A subagent's session announces itself with its parent's id: tell the parent's listeners. */
  private routeChild(event: Frame): void {
    const parsed = event.parse();
    if (!isRecord(parsed) || !isRecord(parsed.properties)) return;
    const info = parsed.properties.info;
    if (!isRecord(info) || typeof info.parentID !== "string") return;
    this.deliverTo(info.parentID, event);
  }

  private deliverTo(sessionId: string, event: Frame): void {
    const set = this.listeners.get(sessionId);
    if (set === undefined) return;
    for (const listener of set) this.deliver(listener, event);
  }

  /** One listener's bug must not break the stream every other turn reads: it is logged. */
  private deliver(listener: HubListener, event: Frame): void {
    try {
      listener.onEvent(event);
    } catch (error) {
      this.logger.error(
        { type: event.type, err: errorField(error) },
        "an event listener threw; the stream goes on",
      );
    }
  }
}

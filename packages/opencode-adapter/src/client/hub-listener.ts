import type { Frame } from "../frame.js";
import type { OpenCodeEventStreamError } from "./errors.js";

/** What the event hub tells each listener: its session's events and the stream's fate. */
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

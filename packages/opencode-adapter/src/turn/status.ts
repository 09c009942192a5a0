/**
 * The session's status as the caller sees it (`onStatus`: busy, retry, idle) and the
 * retry budget: opencode retries a failing model call with back-off for a minute and
 * more; past `maxRetries` the turn gives up with opencode's last retry message.
 */
import type { OpenCodeLogger } from "@taos/internal";
import type { TurnFailure } from "../codec-book.js";
import { ReplyErrorCode } from "../error-codes.js";
import { redactSecrets } from "../failure.js";

/** What `onStatus` gets. */
export type TurnStatusUpdate =
  | { readonly type: "busy" }
  | {
      readonly type: "retry";
      /** opencode's attempt number (1 for the first retry). */
      readonly attempt: number;
      /** Why the last call failed, as opencode says it. */
      readonly message: string;
      /** When opencode tries again (epoch ms), when it says. */
      readonly next?: number;
    }
  | { readonly type: "idle" };

export type StatusUpdate = TurnStatusUpdate;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The update a `session.status` event carries; undefined for an unknown status. */
export function statusOf(event: unknown): StatusUpdate | undefined {
  const properties = isObject(event) && isObject(event.properties) ? event.properties : undefined;
  const status = properties?.status;
  if (!isObject(status)) return undefined;
  if (status.type === "busy" || status.type === "idle") return { type: status.type };
  if (status.type !== "retry") return undefined;
  const attempt = typeof status.attempt === "number" ? status.attempt : 1;
  const message = typeof status.message === "string" ? redactSecrets(status.message) : "";
  return typeof status.next === "number"
    ? { type: "retry", attempt, message, next: status.next }
    : { type: "retry", attempt, message };
}

/** Tells the caller about status changes and counts retries. */
export class TurnStatusWatch {
  private last: string | undefined;

  constructor(
    private readonly onStatus: ((update: TurnStatusUpdate) => void) | undefined,
    private readonly logger: OpenCodeLogger,
  ) {}

  /** A busy or retry status of the turn; returns the failure to end with once the budget is spent. */
  seen(update: StatusUpdate, maxRetries: number, sessionId: string): TurnFailure | undefined {
    if (update.type === "retry") {
      this.logger.info(
        { sessionId, attempt: update.attempt, reason: update.message, next: update.next },
        "opencode is retrying the model call",
      );
      this.tell(update, `retry ${update.attempt}`);
      if (update.attempt > maxRetries) {
        return {
          error: `the model call still failed after ${maxRetries} retries: ${update.message}`,
          code: ReplyErrorCode.UpstreamUnavailable,
        };
      }
      return undefined;
    }
    this.tell(update, update.type);
    return undefined;
  }

  idle(): void {
    this.tell({ type: "idle" }, "idle");
  }

  private tell(update: TurnStatusUpdate, key: string): void {
    if (this.last === key) return;
    this.last = key;
    if (this.onStatus === undefined) return;
    try {
      this.onStatus(update);
    } catch (error) {
      this.logger.warn({ err: String(error) }, "onStatus threw; ignored");
    }
  }
}

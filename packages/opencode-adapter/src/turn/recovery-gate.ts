/**
 * A turn's handling of a dropped stream: frames that arrive while a catch-up runs are
 * held and replayed after it, catch-ups run one after the other, and the deltas of parts
 * that may have gaps are left out (their text comes from whole-part updates).
 */
import type { OpenCodeLogger } from "@taos/internal";
import { errorField } from "../client/logger.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import { markPartGaps } from "../codec-book.js";
import { ReplyErrorCode } from "../error-codes.js";
import type { Frame } from "../frame.js";
import { catchUp, type RecoveryContext } from "./recovery.js";

/** What the gate needs of its turn. */
export interface GateHost {
  readonly state: TurnState;
  readonly logger: OpenCodeLogger;
  /** The turn takes no more frames (done, or an end check is under way). */
  closed(): boolean;
  /** Handles a frame as if it came live. */
  handle(frame: Frame): void;
  /** The catch-up found the turn ended: end it (`aborting` turns their own way). */
  endedWhileDown(failure: TurnFailure | undefined): void;
  fail(failure: TurnFailure): void;
  /** Settles once the prompt POST has. */
  afterPrompt(): Promise<void>;
  recoveryContext(): RecoveryContext;
}

export class RecoveryGate {
  /**
   * The frames that wait while a catch-up is pending or running: the turn pushes a
   * live frame here when it is defined (a field, so a live frame runs no code here).
   */
  held: Frame[] | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly host: GateHost) {}

  dropped(): void {
    this.markGap();
    this.held ??= [];
  }

  resubscribed(): void {
    this.host.logger.warn(
      { sessionId: this.host.state.sessionId },
      "the event stream dropped and was resubscribed; catching up on missed events",
    );
    this.markGap();
    this.held ??= [];
    const previous = this.running ?? Promise.resolve();
    this.running = previous.then(() => this.recover());
  }

  /** The turn ended: nothing more to hold. */
  clear(): void {
    this.held = undefined;
  }

  /** Parts known before a drop or in a catch-up's snapshot: their deltas may have gaps. */
  private markGap(): void {
    markPartGaps(this.host.state);
  }

  private async recover(): Promise<void> {
    const { host } = this;
    if (host.closed()) return;
    await host.afterPrompt();
    try {
      const outcome = await catchUp(host.recoveryContext());
      this.markGap();
      if (outcome.ended && !host.closed()) {
        host.logger.info(
          { sessionId: host.state.sessionId },
          "the turn ended while the event stream was down",
        );
        host.endedWhileDown(outcome.failure);
      }
    } catch (error) {
      host.logger.warn(
        { sessionId: host.state.sessionId, err: errorField(error) },
        "catching up after a resubscribe failed",
      );
      host.fail({
        error: `lost events of the turn and could not catch up: ${errorField(error).message}`,
        code: ReplyErrorCode.EventStreamLost,
      });
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) {
      if (host.closed()) break;
      host.handle(frame);
    }
  }
}

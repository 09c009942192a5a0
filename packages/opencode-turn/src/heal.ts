/**
 * Healing a wedged server. opencode can break so that it takes every prompt and answers
 * none (`no_answer`) or fails them with 5xx (`opencode_server_error`); its health check
 * still passes. A runtime or pool counts such turns per server, restarts the server once
 * they come `wedgedAfter` times in a row, and sends the turn that tipped it again once on
 * the fresh server: it is safe to, since opencode never started it (nothing but the error
 * reached the sink). A turn that produced anything is never sent again.
 */
import { type Reply, ReplyErrorCode, type Sink, type TurnResult } from "@taos/opencode-adapter";

/** How many such turns in a row make a server wedged, unless configured. */
export const DEFAULT_WEDGED_AFTER = 2;

/**
 * Checks a `wedgedAfter` option (a whole number >= 0; undefined is the default) and
 * returns it; `fail` throws the caller's option error with this message.
 */
export function wedgedAfterOption(value: unknown, fail: (message: string) => never): number {
  if (value === undefined) return DEFAULT_WEDGED_AFTER;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    fail(`must be a whole number >= 0 (0: never restart), got ${String(value)}`);
  return value;
}

const WEDGE_CODES: ReadonlySet<string> = new Set([
  ReplyErrorCode.NoAnswer,
  ReplyErrorCode.OpenCodeServerError,
]);

/** True for a turn opencode took and failed without starting it: a sign of a wedged server. */
export function isWedgeSign(result: {
  readonly status: TurnResult["status"];
  readonly code?: string | undefined;
}): boolean {
  return result.status === "error" && result.code !== undefined && WEDGE_CODES.has(result.code);
}

/** The count of wedge signs in a row of one server. `wedgedAfter: 0` never heals. */
export class WedgeWatch {
  #inRow = 0;
  readonly #wedgedAfter: number;

  constructor(wedgedAfter: number = DEFAULT_WEDGED_AFTER) {
    this.#wedgedAfter = wedgedAfter;
  }

  /** Signs in a row so far. */
  get inRow(): number {
    return this.#inRow;
  }

  /** Records a turn's end; true when the server is to be healed now (the count starts over). */
  record(result: Pick<TurnResult, "status" | "code">): boolean {
    if (!isWedgeSign(result)) {
      // An aborted turn says nothing about the server; anything else ends the row.
      if (result.status !== "aborted") this.#inRow = 0;
      return false;
    }
    this.#inRow += 1;
    if (this.#wedgedAfter === 0 || this.#inRow < this.#wedgedAfter) return false;
    this.#inRow = 0;
    return true;
  }
}

/** Why a server is being healed: the code of the turn that tipped it, and the count. */
export interface WedgedTurn {
  readonly code: string;
  readonly turns: number;
  readonly traceId: string;
}

/** One turn that heals its server: how to run it, and how to restart the server. */
export interface HealingTurn {
  readonly traceId: string;
  readonly sink: Sink;
  readonly watch: WedgeWatch;
  /** Runs the turn once on the current server, replies to `sink`. Never rejects. */
  run(sink: Sink): Promise<TurnResult>;
  /** Restarts the server; resolves whether it runs again. Never rejects. */
  heal(wedged: WedgedTurn): Promise<boolean>;
}

/**
 * Runs a turn; when it tips its server into `wedged`, heals the server and sends the
 * turn once more on it, provided nothing but its error reached the sink.
 */
export async function runHealingTurn(turn: HealingTurn): Promise<TurnResult> {
  const held = new HeldSink(turn.sink);
  const first = await turn.run(held.sink);
  const inRow = turn.watch.inRow + 1;
  if (!turn.watch.record(first)) return held.flushed(first);
  const code = first.code ?? ReplyErrorCode.NoAnswer;
  const healed = await turn.heal({ code, turns: inRow, traceId: turn.traceId });
  if (!healed || held.forwarded > 0) return held.flushed(first);
  held.drop();
  const second = await turn.run(turn.sink);
  turn.watch.record(second);
  return second;
}

/** Forwards replies, but holds back a terminal error that signals a wedge until told. */
class HeldSink {
  forwarded = 0;
  #held: Reply | undefined;
  readonly #target: Sink;

  constructor(target: Sink) {
    this.#target = target;
  }

  /** Not async: a sync sink behind it stays sync (the adapter's one queue stays sync too). */
  readonly sink = (reply: Reply): void | Promise<void> => {
    if (reply.kind === "error" && isWedgeSign({ status: "error", code: reply.code })) {
      this.#held = reply;
      return;
    }
    this.forwarded += 1;
    return this.#target(reply);
  };

  /** Forwards the held error (sink failures are the turn's, already logged below: ignored). */
  async flushed(result: TurnResult): Promise<TurnResult> {
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) await Promise.resolve(this.#target(held)).catch(() => undefined);
    return result;
  }

  drop(): void {
    this.#held = undefined;
  }
}

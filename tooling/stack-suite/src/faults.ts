import type { Rule, Script } from "@taos/fake-litellm";
import { scaled } from "@taos/testkit";
import type { Random } from "./random.js";
import { uniqueText } from "./scripts.js";

/**
 * One fault and where it strikes. `transient` faults heal (opencode retries a 500 or a
 * hang-up with back-off and the stand-in answers the retry); the others last until the
 * turn's deadline aborts it.
 */
export type FaultSpec =
  | { readonly kind: "kill"; readonly afterChunks: number; readonly delayMs: number }
  | { readonly kind: "http500"; readonly transient: boolean }
  | { readonly kind: "hangUp"; readonly afterChunks: number; readonly transient: boolean }
  | { readonly kind: "stall"; readonly afterChunks: number; readonly ms: number }
  | { readonly kind: "streamCut"; readonly afterDeltas: number };

export type FaultKind = FaultSpec["kind"];
export const FAULT_KINDS: readonly FaultKind[] = [
  "kill",
  "http500",
  "hangUp",
  "stall",
  "streamCut",
];

export type ExpectedStatus = "completed" | "error" | "aborted";

/** A fault turn: its prompt, the stand-in rules that play the fault, and what must happen. */
export interface FaultPlan {
  readonly spec: FaultSpec;
  readonly prompt: string;
  /** The text of a successful answer (transient faults, short stalls, a cut stream). */
  readonly text: string;
  readonly rules: readonly Rule[];
  /** The abort deadline the turn gets. */
  readonly deadlineMs: number;
  readonly expected: ExpectedStatus;
}

/** A stall that outlasts any deadline here; the stand-in drops it when it closes. */
const FOREVER_MS = 10 * 60_000;

/** Draws the parameters of one fault of `kind`. */
export function drawFault(kind: FaultKind, random: Random): FaultSpec {
  switch (kind) {
    case "kill":
      return { kind, afterChunks: random.int(0, 3), delayMs: random.int(0, 300) };
    case "http500":
      return { kind, transient: random.next() < 0.5 };
    case "hangUp":
      return { kind, afterChunks: random.int(0, 3), transient: random.next() < 0.5 };
    case "stall":
      return {
        kind,
        afterChunks: random.int(0, 3),
        ms: random.next() < 0.5 ? random.int(200, 1500) : FOREVER_MS,
      };
    case "streamCut":
      return { kind, afterDeltas: random.int(1, 600) };
  }
}

/** The fault turn for `spec`: rules matching only its own prompt, a deadline and the expected end. */
export function planFault(tag: string, spec: FaultSpec, random: Random): FaultPlan {
  const prompt = `fault ${tag} ${spec.kind}`;
  const text = uniqueText(tag, random.int(10, 40), random);
  const mine = (request: { readonly lastUserText: string }): boolean =>
    request.lastUserText === prompt;
  // A short deadline for faults that only an abort ends; room for a retry or a restart otherwise.
  // The abort is meant to land on the fault (a stall, a hang-up), not on opencode's set-up of
  // the turn: a slower machine gets a later abort. (Seen with both cores busy: an abort that
  // came during the set-up was ignored, the stalled model call went on, and the next prompt
  // of that session waited behind it.)
  const abortMs = scaled(random.int(1_500, 4_000));
  const turn: FaultTurn = { tag, text, mine, random, abortMs };
  return { spec, prompt, ...faultTurnOf(spec, turn) };
}

/** What a fault's plan is made from, drawn before its kind is looked at. */
interface FaultTurn {
  readonly tag: string;
  readonly text: string;
  readonly mine: (request: { readonly lastUserText: string }) => boolean;
  readonly random: Random;
  readonly abortMs: number;
}

type FaultOutcome = Omit<FaultPlan, "spec" | "prompt">;

/** Room for a retry or a restart: a liveness deadline, so it scales with the machine. */
const GENEROUS_MS = scaled(20_000);

function faultTurnOf(spec: FaultSpec, turn: FaultTurn): FaultOutcome {
  const { text, mine } = turn;
  switch (spec.kind) {
    case "kill":
      return {
        text,
        rules: [
          {
            match: mine,
            reply: { stall: { ms: FOREVER_MS, afterChunks: spec.afterChunks, text } },
          },
        ],
        deadlineMs: GENEROUS_MS,
        expected: "error",
      };
    case "http500":
    case "hangUp":
      return retriedFault(spec, turn);
    case "stall": {
      const heals = spec.ms < FOREVER_MS;
      return {
        text,
        rules: [
          { match: mine, reply: { stall: { ms: spec.ms, afterChunks: spec.afterChunks, text } } },
        ],
        deadlineMs: heals ? GENEROUS_MS : turn.abortMs,
        expected: heals ? "completed" : "aborted",
      };
    }
    case "streamCut": {
      // A dense stream (1 500 chunks, 1 ms apart: 1.5 to 3 s), so the cut lands mid-turn
      // with events flowing, the case where a resubscribe has most to catch up on.
      const long = uniqueText(turn.tag, 1_600, turn.random);
      return {
        text: long,
        rules: [{ match: mine, reply: { text: long, chunks: 1_500, chunkDelayMs: 1 } }],
        deadlineMs: GENEROUS_MS,
        expected: "completed",
      };
    }
  }
}

/** An HTTP 500 or a hang-up: opencode retries both with back-off. */
function retriedFault(
  spec: Extract<FaultSpec, { readonly kind: "http500" | "hangUp" }>,
  turn: FaultTurn,
): FaultOutcome {
  const { text, mine } = turn;
  // A function matcher with a count: the first request fails; when transient, the retry
  // gets the text, else every request fails.
  let failures = 0;
  const failing: Script =
    spec.kind === "http500"
      ? { error: { status: 500 } }
      : { hangUp: { afterChunks: spec.afterChunks, text } };
  return {
    text,
    rules: [
      {
        match: (request) => mine(request) && (!spec.transient || failures++ < 1),
        reply: failing,
      },
      { match: mine, reply: { text } },
    ],
    deadlineMs: spec.transient ? GENEROUS_MS : turn.abortMs,
    expected: spec.transient ? "completed" : "aborted",
  };
}

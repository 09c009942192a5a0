/** Recorded fixtures and checks shared by the codec tests. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import {
  createTurnState,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  type TurnState,
} from "../src/index.js";
import { isTurnEndEvent } from "../src/internals.js";
import type { Reply } from "../src/reply.js";

export const FIXTURE_DIR: string = join(import.meta.dirname, "fixtures");
export const TRACE = "trace-1";

export interface Fixture {
  readonly name: string;
  /** The raw `data` lines, as the stream carried them. */
  readonly lines: readonly string[];
  readonly events: readonly Record<string, unknown>[];
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith(".jsonl"))
    .map((file) => file.slice(0, -".jsonl".length))
    .sort();
}

export function loadFixture(name: string): Fixture {
  const lines = readFileSync(join(FIXTURE_DIR, `${name}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean);
  return { name, lines, events: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export interface Replay {
  readonly replies: Reply[];
  readonly state: TurnState;
}

/** Feeds every event to a fresh turn of `sessionId`, parsed or raw. */
export function replay(
  fixture: Fixture,
  sessionId: string,
  via: "object" | "data" = "object",
): Replay {
  const state = createTurnState(sessionId, { traceId: TRACE });
  const replies =
    via === "object"
      ? fixture.events.flatMap((event) => mapOpenCodeEvent(event, state))
      : fixture.lines.flatMap((line) => mapOpenCodeEventData(line, state));
  return { replies, state };
}

export function ofKind<K extends Reply["kind"]>(
  replies: readonly Reply[],
  kind: K,
): Extract<Reply, { kind: K }>[] {
  return replies.filter((reply): reply is Extract<Reply, { kind: K }> => reply.kind === kind);
}

/** The invariants every turn's replies keep, whatever the events were. */
export function expectTurnInvariants(replies: readonly Reply[], state: TurnState): void {
  for (const reply of replies) expect(reply.trace_id).toBe(state.traceId);
  const ends = replies.filter((reply) => reply.kind === "final" || reply.kind === "error");
  expect(ends.length).toBeLessThanOrEqual(1);
  if (ends.length === 1) {
    expect(replies.at(-1)).toBe(ends[0]);
    expect(state.done).toBe(true);
  }
  const text = ofKind(replies, "delta")
    .map((reply) => reply.content)
    .join("");
  expect(state.text).toBe(text);
  const final = ofKind(replies, "final")[0];
  if (final !== undefined) {
    expect(final.content).toBe(text);
    expect(state.status).toBe("completed");
  }
  const error = ofKind(replies, "error")[0];
  if (error !== undefined) {
    expect(["error", "aborted"]).toContain(state.status);
    expect(state.error).toBe(error.error);
  }
  const calls = ofKind(replies, "tool_call").map((reply) => reply.call_id);
  expect(new Set(calls).size).toBe(calls.length);
  const results = ofKind(replies, "tool_result").map((reply) => reply.call_id);
  expect(new Set(results).size).toBe(results.length);
  for (const id of results) {
    const call = replies.findIndex((reply) => reply.kind === "tool_call" && reply.call_id === id);
    const result = replies.findIndex(
      (reply) => reply.kind === "tool_result" && reply.call_id === id,
    );
    expect(call).toBeGreaterThanOrEqual(0);
    expect(call).toBeLessThan(result);
  }
}

/** Token sums of a session's step-finish parts, read straight from the recording (last update per part wins). */
export function recordedUsage(
  fixture: Fixture,
  sessionId: string,
): Record<string, number> | undefined {
  const steps = new Map<string, Record<string, unknown>>();
  // Only the first turn: the codec ends at its idle (some recordings hold two turns).
  const end = fixture.events.findIndex((event) => isTurnEndEvent(event, sessionId));
  for (const event of end < 0 ? fixture.events : fixture.events.slice(0, end + 1)) {
    const properties = event.properties as
      | { sessionID?: string; part?: Record<string, unknown> }
      | undefined;
    const part = properties?.part;
    if (event.type !== "message.part.updated" || properties?.sessionID !== sessionId) continue;
    if (part?.type === "step-finish") steps.set(part.id as string, part);
  }
  if (steps.size === 0) return undefined;
  const sum = {
    input_tokens: 0,
    output_tokens: 0,
    reasoning_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost: 0,
  };
  for (const part of steps.values()) {
    const tokens = part.tokens as {
      input: number;
      output: number;
      reasoning: number;
      cache: { read: number; write: number };
    };
    sum.input_tokens += tokens.input;
    sum.output_tokens += tokens.output;
    sum.reasoning_tokens += tokens.reasoning;
    sum.cache_read_tokens += tokens.cache.read;
    sum.cache_write_tokens += tokens.cache.write;
    sum.cost += part.cost as number;
  }
  return sum;
}

/** The types of the recorded events of one session, in order. */
export function typesOf(fixture: Fixture, sessionId: string): string[] {
  return fixture.events
    .filter(
      (event) => (event.properties as { sessionID?: string } | undefined)?.sessionID === sessionId,
    )
    .map((event) => event.type as string);
}

/** The tool_call the recordings' `echo hi` bash call gives. */
export const ECHO_HI_CALL: Reply = {
  kind: "tool_call",
  trace_id: TRACE,
  tool: "bash",
  args: { command: "echo hi", description: "Print hi" },
  call_id: "call_1",
};

/** The error the recorded upstream 401 gives. */
export const AUTH_ERROR: Reply = {
  kind: "error",
  trace_id: TRACE,
  error: "Authentication Error, Invalid proxy server token passed.",
  code: "upstream_unauthorized",
  opencode_error: "APIError",
};

/** `JSON.parse`, or undefined for what does not parse. */
export function parseOrUndefined(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * The codec across sessions, on real recorded streams: one `/global/event` stream
 * carries every session's events interleaved, and each turn must see exactly what it
 * would have seen alone. The codec's own package tests arbitrary single events; these
 * tests take random interleavings (and damaged copies) of whole recorded turns.
 */
import {
  createTurnState,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  type Reply,
} from "@taos/opencode-adapter";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asSession, fixtureLines, singleSessionFixtures } from "../src/fixtures.js";
import { propertyParameters } from "../src/property.js";
import { summarizeTrace } from "../src/recorder.js";

const FIXTURES = singleSessionFixtures();
const LINES = new Map(FIXTURES.map((name) => [name, fixtureLines(name)]));
const SESSIONS = ["ses_A", "ses_B", "ses_C", "ses_D"];

function replayLines(lines: readonly string[], sessionId: string, via: "object" | "data"): Reply[] {
  const state = createTurnState(sessionId, { traceId: `trace-${sessionId}` });
  const replies: Reply[] = [];
  for (const line of lines) {
    if (state.done) break;
    replies.push(
      ...(via === "data"
        ? mapOpenCodeEventData(line, state)
        : mapOpenCodeEvent(JSON.parse(line), state)),
    );
  }
  return replies;
}

/** Merges streams in the order `choices` says, keeping each stream's own order. */
function interleave(streams: readonly (readonly string[])[], choices: readonly number[]): string[] {
  const next = streams.map(() => 0);
  const out: string[] = [];
  let choice = 0;
  const total = streams.reduce((sum, stream) => sum + stream.length, 0);
  while (out.length < total) {
    let pick = (choices[choice++] ?? 0) % streams.length;
    while ((next[pick] ?? 0) >= (streams[pick]?.length ?? 0)) pick = (pick + 1) % streams.length;
    const index = next[pick] ?? 0;
    out.push(streams[pick]?.[index] ?? "");
    next[pick] = index + 1;
  }
  return out;
}

const turnsArbitrary = fc
  .uniqueArray(fc.constantFrom(...SESSIONS), { minLength: 2, maxLength: SESSIONS.length })
  .chain((sessions) =>
    fc.record({
      turns: fc.tuple(
        ...sessions.map((session) =>
          fc.constantFrom(...FIXTURES).map((name) => ({ session, name })),
        ),
      ),
      choices: fc.array(fc.nat(SESSIONS.length - 1), { minLength: 400, maxLength: 400 }),
    }),
  );

describe("codec on interleaved recorded turns", () => {
  it("gives every session exactly the replies it gets alone, on both parse paths", () => {
    fc.assert(
      fc.property(turnsArbitrary, ({ turns, choices }) => {
        const streams = turns.map(({ session, name }) => asSession(LINES.get(name) ?? [], session));
        const merged = interleave(streams, choices);
        turns.forEach(({ session }, index) => {
          const alone = replayLines(streams[index] ?? [], session, "object");
          expect(replayLines(merged, session, "object")).toEqual(alone);
          expect(replayLines(merged, session, "data")).toEqual(alone);
          // Every recorded turn ends, so the merged one must too: one terminal reply, last.
          expect(summarizeTrace(`trace-${session}`, alone).problems).toEqual([]);
        });
      }),
      propertyParameters({ numRuns: 150 }),
    );
  });

  it("keeps the reply contract when events of interleaved turns are dropped or repeated", () => {
    const damage = fc.array(fc.constantFrom("keep", "keep", "keep", "drop", "twice"), {
      minLength: 400,
      maxLength: 400,
    });
    fc.assert(
      fc.property(turnsArbitrary, damage, ({ turns, choices }, ops) => {
        const streams = turns.map(({ session, name }) => asSession(LINES.get(name) ?? [], session));
        const damaged = interleave(streams, choices).flatMap((line, index) => {
          const op = ops[index % ops.length];
          return op === "drop" ? [] : op === "twice" ? [line, line] : [line];
        });
        for (const { session } of turns) {
          for (const via of ["object", "data"] as const) {
            const state = createTurnState(session, { traceId: `trace-${session}` });
            const replies = damaged.flatMap((line) =>
              via === "data"
                ? mapOpenCodeEventData(line, state)
                : mapOpenCodeEvent(JSON.parse(line), state),
            );
            const summary = summarizeTrace(`trace-${session}`, replies);
            // Damage may remove the end of a turn, never add a second one.
            const problems = summary.problems.filter(
              (problem) => problem !== "0 final and 0 error replies",
            );
            expect(problems).toEqual([]);
            // A dropped delta leaves a gap in the streamed text; the codec then rebuilds the
            // turn's text from whole parts, so only the final is bound to it.
            if (!ops.includes("drop")) expect(summary.text).toBe(state.text);
            if (summary.final !== undefined) expect(summary.final).toBe(state.text);
            const calls = replies.flatMap((reply) =>
              reply.kind === "tool_call" ? [reply.call_id] : [],
            );
            const results = replies.flatMap((reply) =>
              reply.kind === "tool_result" ? [reply.call_id] : [],
            );
            expect(new Set(calls).size).toBe(calls.length);
            expect(new Set(results).size).toBe(results.length);
            for (const id of results) expect(calls).toContain(id);
          }
        }
      }),
      propertyParameters({ numRuns: 150 }),
    );
  });
});

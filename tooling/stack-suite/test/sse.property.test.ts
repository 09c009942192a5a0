/**
 * The SSE reader under the adapter, on bytes split at random points: a tiny HTTP server
 * plays the event stream while real `OpenCodeAdapter`s (its shared event hub, SSE
 * parsing, routing and codec) run turns against it. No throw, no hang, and a split or
 * some noise never changes what a turn replies.
 */
import {
  createTurnState,
  mapOpenCodeEvent,
  OpenCodeAdapter,
  type OpenCodeTurnResult,
  type Reply,
} from "@taos/opencode-adapter";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withinDeadline } from "../src/deadline.js";
import {
  asSession,
  fixtureLines,
  isConnectedLine,
  singleSessionFixtures,
  withUserMessageId,
} from "../src/fixtures.js";
import { propertyParameters } from "../src/property.js";
import { ReplyRecorder } from "../src/recorder.js";
import { startScriptedEventServer } from "../src/scripted-event-server.js";

const FIXTURES = singleSessionFixtures();
const CONNECTED =
  '{"directory":"/home","payload":{"id":"evt_0","type":"server.connected","properties":{}}}';
const HEARTBEAT =
  '{"directory":"/home","payload":{"id":"evt_h","type":"server.heartbeat","properties":{}}}';
const SYNC = '{"directory":"/home","payload":{"type":"sync","name":"x","data":{}}}';
/** Each run must end well within this; a hang fails the run instead of the whole suite. */
const RUN_DEADLINE_MS = 10_000;

const encoder = new TextEncoder();

function wrap(line: string): string {
  return `{"directory":"/home","project":"global","payload":${line}}`;
}

/** The merged lines with each session's message ids under its prompt's own id. */
function withIds(
  lines: readonly string[],
  sessions: readonly string[],
  ids: ReadonlyMap<string, string>,
): string[] {
  return lines.map((line) => {
    const session = sessions.find((id) => line.includes(`"${id}"`));
    const messageId = session === undefined ? undefined : ids.get(session);
    return messageId === undefined ? line : (withUserMessageId([line], messageId)[0] ?? line);
  });
}

function expectedReplies(lines: readonly string[], sessionId: string, traceId: string): Reply[] {
  const state = createTurnState(sessionId, { traceId });
  return lines.flatMap((line) => mapOpenCodeEvent(JSON.parse(line), state));
}

/** Cuts `bytes` at the given points (taken modulo its length). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((cut) => cut % bytes.length))]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Noise a server may legally put between events; none of it is an event of a session. */
type Noise =
  | { readonly comment: string }
  | { readonly data: string }
  | { readonly field: string }
  | { readonly bytes: Uint8Array };

const noiseArbitrary: fc.Arbitrary<Noise> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }).map((text): Noise => ({ comment: text })),
  fc.string({ unit: "binary", maxLength: 40 }).map((text): Noise => ({ data: `not json ${text}` })),
  fc.constantFrom<Noise>(
    { data: HEARTBEAT },
    { data: SYNC },
    { data: "" },
    { field: "retry: 1000" },
    { field: "id: 7" },
  ),
  fc.uint8Array({ maxLength: 64 }).map((bytes): Noise => ({ bytes })),
);

const NEWLINES = /[\r\n]/g;

function encodeNoise(noise: Noise, eol: string): Uint8Array {
  if ("comment" in noise) return encoder.encode(`:${noise.comment.replace(NEWLINES, " ")}${eol}`);
  if ("data" in noise)
    return encoder.encode(`data: ${noise.data.replace(NEWLINES, " ")}${eol}${eol}`);
  if ("field" in noise) return encoder.encode(`${noise.field}${eol}`);
  // Raw bytes, then two line ends: whatever they started is ended and dispatched as junk.
  return Buffer.concat([noise.bytes, encoder.encode(`${eol}${eol}`)]);
}

describe("SSE reader and event hub on bytes split at random points", () => {
  it("replies exactly as the codec does, for one or two sessions, whatever the splits and noise", async () => {
    const scenario = fc.record({
      names: fc.array(fc.constantFrom(...FIXTURES), { minLength: 1, maxLength: 2 }),
      // Not a bare CR: eventsource-parser 3 holds an event ended by CR until the next byte
      // (it waits for a possible LF), so a stream that then goes quiet stalls (see README).
      eol: fc.constantFrom("\n", "\r\n"),
      choices: fc.array(fc.nat(1), { minLength: 120, maxLength: 120 }),
      noise: fc.array(fc.tuple(fc.nat(200), noiseArbitrary), { maxLength: 12 }),
      cuts: fc.array(fc.nat(), { maxLength: 80 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ names, eol, choices, noise, cuts }) => {
        const sessions = names.map((_, index) => `ses_${"AB"[index]}`);
        const streams = names.map((name, index) =>
          asSession(fixtureLines(name), sessions[index] ?? "").filter(
            (line) => !isConnectedLine(line),
          ),
        );
        // Interleave the sessions' events, keeping each one's order.
        const next = streams.map(() => 0);
        const merged: string[] = [];
        for (let turn = 0; merged.length < streams.reduce((sum, s) => sum + s.length, 0); turn++) {
          let pick = (choices[turn % choices.length] ?? 0) % streams.length;
          if ((next[pick] ?? 0) >= (streams[pick]?.length ?? 0)) pick = (pick + 1) % streams.length;
          merged.push(streams[pick]?.[next[pick] ?? 0] ?? "");
          next[pick] = (next[pick] ?? 0) + 1;
        }
        // Each session's recorded user message takes the id its prompt was sent with.
        const body = (ids: ReadonlyMap<string, string>): Uint8Array[] => {
          const lines = withIds(merged, sessions, ids);
          const pieces: Uint8Array[] = lines.map((line) =>
            encoder.encode(`data: ${wrap(line)}${eol}${eol}`),
          );
          for (const [at, item] of noise)
            pieces.splice(at % (pieces.length + 1), 0, encodeNoise(item, eol));
          return split(Buffer.concat(pieces), cuts);
        };
        let sent: ReadonlyMap<string, string> = new Map();
        const server = await startScriptedEventServer({
          sessions,
          prompts: sessions.length,
          stream: (connection) =>
            connection === 0
              ? {
                  head: [encoder.encode(`data: ${CONNECTED}${eol}${eol}`)],
                  body: (ids) => {
                    sent = ids;
                    return body(ids);
                  },
                  eol,
                }
              : undefined,
        });
        const recorder = new ReplyRecorder();
        const adapters = sessions.map(
          () => new OpenCodeAdapter({ baseUrl: server.url, modelId: "m" }, recorder.sink),
        );
        try {
          for (const adapter of adapters) await adapter.ensureSession();
          const results: OpenCodeTurnResult[] = await withinDeadline(
            Promise.all(
              adapters.map((adapter, index) => adapter.prompt("hi", { traceId: `trace-${index}` })),
            ),
            RUN_DEADLINE_MS,
            "a turn",
          );
          sessions.forEach((session, index) => {
            const traceId = `trace-${index}`;
            const lines = withUserMessageId(streams[index] ?? [], sent.get(session) ?? "");
            const expected = expectedReplies(lines, session, traceId);
            expect(recorder.of(traceId)).toEqual(expected);
            expect(results[index]?.sessionId).toBe(session);
            const end = expected.at(-1);
            expect(results[index]?.status).toBe(
              end?.kind === "final"
                ? "completed"
                : end?.kind === "error" && end.code === "aborted"
                  ? "aborted"
                  : "error",
            );
          });
          expect(recorder.traces().sort()).toEqual(sessions.map((_, index) => `trace-${index}`));
        } finally {
          await Promise.all(adapters.map((adapter) => adapter.close()));
          await server.close();
        }
      }),
      propertyParameters({ numRuns: 150 }),
    );
  });

  it("ends a turn with one error, never a throw or a hang, when the stream is random bytes", async () => {
    const scenario = fc.record({
      bytes: fc.uint8Array({ maxLength: 4096 }),
      cuts: fc.array(fc.nat(), { maxLength: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ bytes, cuts }) => {
        // opencode greets, then the stream carries only random bytes and ends; reconnecting fails.
        const server = await startScriptedEventServer({
          sessions: ["ses_R"],
          prompts: 1,
          stream: (connection) =>
            connection === 0
              ? {
                  head: [encoder.encode(`data: ${CONNECTED}\n\n`)],
                  body: split(bytes, cuts),
                  end: true,
                }
              : undefined,
        });
        const recorder = new ReplyRecorder();
        const adapter = new OpenCodeAdapter({ baseUrl: server.url, modelId: "m" }, recorder.sink);
        try {
          const result = await withinDeadline(
            adapter.prompt("hi", { traceId: "trace-r" }),
            RUN_DEADLINE_MS,
            "a turn",
          );
          expect(result.status).toBe("error");
          const replies = recorder.of("trace-r");
          expect(replies).toHaveLength(1);
          expect(replies[0]?.kind).toBe("error");
          expect(recorder.traces()).toEqual(["trace-r"]);
        } finally {
          await adapter.close();
          await server.close();
        }
      }),
      propertyParameters({ numRuns: 150 }),
    );
  });
});

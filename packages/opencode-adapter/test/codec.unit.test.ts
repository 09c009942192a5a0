/** Codec rules that the recordings show only in part: built from recorded events, changed where noted. */
import { describe, expect, it } from "vitest";
import {
  createTurnState,
  failureOf,
  finishTurn,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
} from "../src/index.js";
import {
  eventSessionId,
  isTurnEndEvent,
  readEventHeader,
  redactSecrets,
} from "../src/internals.js";
import {
  AUTH_ERROR,
  expectTurnInvariants,
  loadFixture,
  ofKind,
  replay,
  TRACE,
} from "./codec-support.js";

const clone = <T>(value: T): T => structuredClone(value);
const text = loadFixture("text-turn");
const isDelta = (event: Record<string, unknown>): boolean => event.type === "message.part.delta";

describe("text that does not come as deltas", () => {
  it("a text part seen only in message.part.updated goes out as one delta", () => {
    const events = text.events.filter((event) => !isDelta(event));
    const { replies, state } = replay({ ...text, events }, "ses_1");
    expect(replies.map((reply) => reply.kind)).toEqual(["delta", "final"]);
    expect(replies[0]).toEqual({
      kind: "delta",
      trace_id: TRACE,
      content: "Hello from the stand-in model.",
    });
    expectTurnInvariants(replies, state);
  });

  it("after some deltas, only the missing end is sent", () => {
    let kept = 0;
    const events = text.events.filter((event) => !isDelta(event) || kept++ < 2);
    const { replies, state } = replay({ ...text, events }, "ses_1");
    const deltas = ofKind(replies, "delta").map((reply) => reply.content);
    expect(deltas).toHaveLength(3);
    expect(deltas.join("")).toBe("Hello from the stand-in model.");
    expectTurnInvariants(replies, state);
  });

  it("after a lost delta, the final carries the whole part's text (no delta can mend the gap)", () => {
    let seen = 0;
    const events = text.events.filter((event) => !isDelta(event) || seen++ !== 1);
    const { replies, state } = replay({ ...text, events }, "ses_1");
    const deltas = ofKind(replies, "delta").map((reply) => reply.content);
    expect(deltas.join("")).not.toBe("Hello from the stand-in model.");
    expect(ofKind(replies, "final")).toMatchObject([{ content: "Hello from the stand-in model." }]);
    expect(state.text).toBe("Hello from the stand-in model.");
  });

  it("a part of an unknown message with no deltas is not sent (it may be the user's prompt)", () => {
    const events = text.events.filter(
      (event) => !isDelta(event) && event.type !== "message.updated",
    );
    const { replies } = replay({ ...text, events }, "ses_1");
    expect(replies).toEqual([
      { kind: "final", trace_id: TRACE, content: "", usage: expect.any(Object) },
    ]);
  });
});

describe("usage", () => {
  it("a step-finish part updated twice counts once, with its last numbers", () => {
    const step = text.events.find((event) => JSON.stringify(event).includes('"step-finish"'))!;
    const again = clone(step) as { properties: { part: { tokens: { output: number } } } };
    again.properties.part.tokens.output += 100;
    const state = createTurnState("ses_1");
    mapOpenCodeEvent(step, state);
    mapOpenCodeEvent(again, state);
    const output = (step.properties as { part: { tokens: { output: number } } }).part.tokens.output;
    expect(state.usage?.outputTokens).toBe(output + 100);
  });

  it("is summed over the steps of a turn", () => {
    const { state } = replay(loadFixture("tool-bash"), "ses_1");
    expect(state.usage?.inputTokens).toBeGreaterThan(10_000);
  });

  it("is left out of the final when no step finished", () => {
    const state = createTurnState("ses_1", { traceId: TRACE });
    expect(finishTurn(state)).toEqual([{ kind: "final", trace_id: TRACE, content: "" }]);
  });
});

describe("finishTurn", () => {
  it("ends once: a second call, or an error after a final, adds nothing", () => {
    const state = createTurnState("ses_1", { traceId: TRACE });
    expect(finishTurn(state)).toHaveLength(1);
    expect(finishTurn(state)).toEqual([]);
    expect(finishTurn(state, { error: "late" })).toEqual([]);
    expect(state.status).toBe("completed");
  });

  it("reports a failure as one error with its code; aborted sets status aborted", () => {
    const failed = createTurnState("ses_1", { traceId: TRACE });
    expect(finishTurn(failed, { error: "server died", code: "server_stopped" })).toEqual([
      { kind: "error", trace_id: TRACE, error: "server died", code: "server_stopped" },
    ]);
    expect(failed).toMatchObject({ status: "error", error: "server died", done: true });
    const aborted = createTurnState("ses_1");
    finishTurn(aborted, { error: "Aborted", aborted: true });
    expect(aborted.status).toBe("aborted");
  });

  it("events after the end add nothing", () => {
    const state = createTurnState("ses_1");
    finishTurn(state, { error: "gone" });
    expect(text.events.flatMap((event) => mapOpenCodeEvent(event, state))).toEqual([]);
    expect(text.lines.flatMap((line) => mapOpenCodeEventData(line, state))).toEqual([]);
  });

  it("the trace id defaults to the session id", () => {
    expect(createTurnState("ses_9").traceId).toBe("ses_9");
  });
});

describe("errors", () => {
  const error401 = loadFixture("upstream-401").events.find(
    (event) => event.type === "session.error",
  )!;

  it("a session.error naming no session belongs to no turn", () => {
    const orphan = clone(error401) as { properties: Record<string, unknown> };
    delete orphan.properties.sessionID;
    const state = createTurnState("ses_1");
    expect(mapOpenCodeEvent(orphan, state)).toEqual([]);
    expect(state.done).toBe(false);
  });

  it("an API key quoted in an upstream message never reaches the reply", () => {
    const leaky = clone(error401) as { properties: { error: { data: { message: string } } } };
    leaky.properties.error.data.message =
      "Authentication Error, Received API Key = sk-agent-secret-1234, Bearer abcdef123456";
    const [reply] = mapOpenCodeEvent(leaky, createTurnState("ses_1"));
    expect(reply).toMatchObject({
      kind: "error",
      code: "upstream_unauthorized",
      opencode_error: "APIError",
    });
    const message = reply?.kind === "error" ? reply.error : "";
    expect(message).not.toContain("sk-agent-secret-1234");
    expect(message).not.toContain("abcdef123456");
    expect(message).toContain("Authentication Error");
  });

  it("an assistant message's info.error ends an idle turn that had no session.error", () => {
    const fixture = loadFixture("upstream-401");
    const failedMessage = fixture.events.find(
      (event) => event.type === "message.updated" && JSON.stringify(event).includes('"error"'),
    )!;
    const events = fixture.events.filter(
      (event) => event.type !== "session.error" && event !== failedMessage,
    );
    const idle = events.findIndex((event) => isTurnEndEvent(event, "ses_1"));
    events.splice(idle, 0, failedMessage);
    const changed = { ...fixture, events, lines: events.map((event) => JSON.stringify(event)) };
    for (const via of ["object", "data"] as const) {
      const { replies, state } = replay(changed, "ses_1", via);
      expect(replies).toEqual([AUTH_ERROR]);
      expect(state.status).toBe("error");
    }
  });

  it("failureOf falls back to the name, then to a fixed text", () => {
    expect(failureOf({ name: "MessageOutputLengthError", data: {} })).toEqual({
      error: "MessageOutputLengthError",
      code: "output_length",
      opencodeError: "MessageOutputLengthError",
    });
    expect(failureOf("boom")).toEqual({
      error: "opencode reported an error without details",
      code: "opencode_error",
    });
  });

  it("redactSecrets hides sk- keys and Bearer tokens, nothing else", () => {
    expect(redactSecrets("key sk-abc123def and Bearer xyz.123456")).toBe(
      "key sk-[REDACTED] and Bearer [REDACTED]",
    );
    expect(redactSecrets("Authentication Error, No api key passed in.")).toBe(
      "Authentication Error, No api key passed in.",
    );
  });
});

describe("event heads", () => {
  it("isTurnEndEvent: idle status, session.idle and session.error of that session only", () => {
    const fixture = loadFixture("upstream-401");
    const ends = fixture.events
      .filter((event) => isTurnEndEvent(event, "ses_1"))
      .map((event) => event.type);
    expect(ends).toEqual([
      "session.error",
      "session.status",
      "session.idle",
      "session.status",
      "session.idle",
    ]);
    expect(fixture.events.some((event) => isTurnEndEvent(event, "ses_2"))).toBe(false);
  });

  it("readEventHeader reads type and session as JSON.parse does, for every recorded line", () => {
    for (const name of ["text-turn", "two-sessions", "permission-reject", "heartbeat"]) {
      const fixture = loadFixture(name);
      fixture.lines.forEach((line, i) => {
        const event = fixture.events[i]!;
        const header = readEventHeader(line);
        expect(header?.type).toBe(event.type);
        const sessionID = (event.properties as { sessionID?: string }).sessionID;
        const first = Object.keys(event.properties as object)[0];
        expect(header?.sessionId).toBe(first === "sessionID" ? sessionID : undefined);
      });
    }
  });

  it("an event laid out differently takes the slow path and maps the same", () => {
    const delta = text.events.find(isDelta)!;
    const { sessionID, ...rest } = delta.properties as Record<string, unknown>;
    const reordered = JSON.stringify({
      properties: { ...rest, sessionID },
      type: delta.type,
      id: delta.id,
    });
    expect(readEventHeader(reordered)).toBeUndefined();
    const state = createTurnState("ses_1");
    expect(mapOpenCodeEventData(reordered, state)).toEqual(
      mapOpenCodeEvent(delta, createTurnState("ses_1")),
    );
    // Trailing whitespace waits for more text (opencode trims a finished part).
    expect(state.text).toBe((delta.properties as { delta: string }).delta.trimEnd());
  });

  it("a delta with escapes is decoded exactly", () => {
    const delta = clone(text.events.find(isDelta)!) as { properties: { delta: string } };
    delta.properties.delta = 'line "one"\n\ttab \\ back \u00e9 \u2028.';
    const state = createTurnState("ses_1");
    expect(mapOpenCodeEventData(JSON.stringify(delta), state)).toEqual([
      { kind: "delta", trace_id: "ses_1", content: delta.properties.delta },
    ]);
  });

  it("eventSessionId reads properties, then part, then info", () => {
    expect(eventSessionId({ properties: { sessionID: "a", part: { sessionID: "b" } } })).toBe("a");
    expect(eventSessionId({ properties: { part: { sessionID: "b" } } })).toBe("b");
    expect(eventSessionId({ properties: { info: { sessionID: "c" } } })).toBe("c");
    expect(eventSessionId({ properties: {} })).toBeUndefined();
    expect(eventSessionId(null)).toBeUndefined();
  });
});

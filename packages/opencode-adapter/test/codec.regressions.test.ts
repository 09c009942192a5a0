/**
 * Two codec regressions, each on recorded events: a session.error must end the
 * turn with one error reply (no empty final), and each tool call must give one
 * tool_call and one tool_result with the arguments from `state.input`.
 */
import { describe, expect, it } from "vitest";
import { createTurnState, mapOpenCodeEvent } from "../src/index.js";
import { ECHO_HI_CALL, loadFixture, ofKind, replay, TRACE } from "./codec-support.js";

const clone = <T>(value: T): T => structuredClone(value);

describe("defect 1: session.error is never ignored", () => {
  it("an upstream 401 ends in an error reply, not an empty final", () => {
    const { replies, state } = replay(loadFixture("upstream-401"), "ses_1");
    expect(ofKind(replies, "final")).toEqual([]);
    expect(ofKind(replies, "error")).toHaveLength(1);
    expect(ofKind(replies, "error")[0]?.error).toMatch(/^Authentication Error/);
    expect(state.status).toBe("error");
  });

  it("an error after some text still ends in error, and the idle after it adds no final", () => {
    const fixture = loadFixture("text-turn");
    const error = loadFixture("upstream-401").events.find(
      (event) => event.type === "session.error",
    )!;
    const firstIdle = fixture.events.findIndex(
      (event) => event.type === "session.status" && JSON.stringify(event).includes('"idle"'),
    );
    const events = [
      ...fixture.events.slice(0, firstIdle),
      clone(error),
      ...fixture.events.slice(firstIdle),
    ];
    const { replies, state } = replay({ ...fixture, events }, "ses_1");
    expect(ofKind(replies, "delta").length).toBe(5);
    expect(replies.at(-1)).toMatchObject({
      kind: "error",
      code: "upstream_unauthorized",
      opencode_error: "APIError",
    });
    expect(ofKind(replies, "final")).toEqual([]);
    expect(state.text).toBe("Hello from the stand-in model.");
  });
});

describe("defect 2: exactly one tool_call per call id, with the arguments from state.input", () => {
  const fixture = loadFixture("tool-bash");
  const toolEvents = fixture.events.filter(
    (event) =>
      event.type === "message.part.updated" &&
      (event.properties as { part: { type: string } }).part.type === "tool",
  );
  const running = toolEvents.filter(
    (event) =>
      (event.properties as { part: { state: { status: string } } }).part.state.status === "running",
  );

  it("the recording has several running updates of one call", () => {
    expect(running.length).toBeGreaterThanOrEqual(3);
  });

  it("three running updates give one tool_call whose args are state.input", () => {
    const state = createTurnState("ses_1", { traceId: TRACE });
    const replies = running.flatMap((event) => mapOpenCodeEvent(event, state));
    expect(replies).toEqual([ECHO_HI_CALL]);
  });

  it("reads state.input, never a part.input", () => {
    const event = clone(running[0]!) as { properties: { part: Record<string, unknown> } };
    event.properties.part.input = { command: "rm -rf /", description: "not the arguments" };
    const state = createTurnState("ses_1", { traceId: TRACE });
    const [call] = mapOpenCodeEvent(event, state);
    expect(call).toMatchObject({
      kind: "tool_call",
      args: { command: "echo hi", description: "Print hi" },
    });
  });

  it("the pending update (empty input) gives no tool_call", () => {
    const pending = toolEvents.filter(
      (event) =>
        (event.properties as { part: { state: { status: string } } }).part.state.status ===
        "pending",
    );
    expect(pending.length).toBe(1);
    expect(mapOpenCodeEvent(pending[0], createTurnState("ses_1"))).toEqual([]);
  });

  it("a call first seen completed gives its tool_call, then its tool_result, once", () => {
    const completed = toolEvents.filter(
      (event) =>
        (event.properties as { part: { state: { status: string } } }).part.state.status ===
        "completed",
    );
    const state = createTurnState("ses_1", { traceId: TRACE });
    const replies = [...completed, ...running, ...completed].flatMap((event) =>
      mapOpenCodeEvent(event, state),
    );
    expect(replies.map((reply) => reply.kind)).toEqual(["tool_call", "tool_result"]);
  });
});

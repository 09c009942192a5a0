/**
 * Recorded opencode streams of failures, asks, two sessions at once and an idle server,
 * replayed through the codec: the exact replies.
 */
import { describe, expect, it } from "vitest";
import {
  AUTH_ERROR,
  ECHO_HI_CALL,
  loadFixture,
  ofKind,
  recordedUsage,
  replay,
  TRACE,
  typesOf,
} from "./codec-support.js";

describe("failures", () => {
  it("upstream-401: one error with opencode's message and code, no final, although idle follows (twice)", () => {
    const fixture = loadFixture("upstream-401");
    const types = typesOf(fixture, "ses_1");
    expect(types.indexOf("session.idle")).toBeGreaterThan(types.indexOf("session.error"));
    expect(types.filter((type) => type === "session.idle").length).toBeGreaterThanOrEqual(1);
    const { replies, state } = replay(fixture, "ses_1");
    expect(replies).toEqual([AUTH_ERROR]);
    expect(state.status).toBe("error");
  });

  it("abort: the deltas so far, then error MessageAbortedError with status aborted", () => {
    const { replies, state } = replay(loadFixture("abort"), "ses_1");
    expect(replies.map((reply) => reply.kind)).toEqual(["delta", "delta", "error"]);
    expect(replies.at(-1)).toEqual({
      kind: "error",
      trace_id: TRACE,
      error: "Aborted",
      code: "aborted",
      opencode_error: "MessageAbortedError",
    });
    expect(state.status).toBe("aborted");
    expect(state.text).toBe("This reply ne");
  });

  it("unknown-model: opencode 1.18.33 reports it (UnknownError), and the late copy's stack never reaches a reply", () => {
    const fixture = loadFixture("unknown-model");
    const { replies, state } = replay(fixture, "ses_1");
    expect(replies).toEqual([
      {
        kind: "error",
        trace_id: TRACE,
        error: "Model not found: litellm/no-such-model. Did you mean: fake-model?",
        code: "model_not_found",
        opencode_error: "UnknownError",
      },
    ]);
    expect(state.status).toBe("error");
    const errors = fixture.events.filter((event) => event.type === "session.error");
    const late = errors.at(-1)!;
    expect(JSON.stringify(late)).toContain("\\n    at ");
    const alone = replay({ ...fixture, events: [late], lines: [JSON.stringify(late)] }, "ses_1");
    expect(ofKind(alone.replies, "error")[0]?.error).toBe(
      "ProviderModelNotFoundError: Model not found: litellm/no-such-model. Did you mean: fake-model?",
    );
  });

  it("hang-up-retry: retries carry no reply; an abort during a retry goes idle with no error at all", () => {
    const fixture = loadFixture("hang-up-retry");
    const retries = fixture.events.filter(
      (event) =>
        event.type === "session.status" &&
        JSON.stringify(event.properties).includes('"type":"retry"'),
    );
    expect(retries.length).toBe(2);
    expect(typesOf(fixture, "ses_1")).not.toContain("session.error");
    const { replies } = replay(fixture, "ses_1");
    // The codec cannot tell this from success: the caller that aborted ends the turn itself (finishTurn aborted).
    expect(replies.map((reply) => reply.kind)).toEqual(["delta", "delta", "final"]);
  });
});

describe("permission and question asks", () => {
  it("permission-reject: the ask names the tool call; the rejected call fails and the turn ends without a model reply", () => {
    const fixture = loadFixture("permission-reject");
    const asked = fixture.events.find((event) => event.type === "permission.asked");
    expect(asked?.properties).toEqual({
      id: "per_1",
      sessionID: "ses_1",
      permission: "bash",
      patterns: ["echo hi"],
      metadata: { command: "echo hi" },
      always: ["echo *"],
      tool: { messageID: "msg_2", callID: "call_1" },
    });
    const { replies } = replay(fixture, "ses_1");
    expect(replies).toEqual([
      ECHO_HI_CALL,
      {
        kind: "tool_result",
        trace_id: TRACE,
        tool: "bash",
        result: "The user rejected permission to use this specific tool call.",
        success: false,
        call_id: "call_1",
      },
      { kind: "final", trace_id: TRACE, content: "", usage: recordedUsage(fixture, "ses_1") },
    ]);
  });

  it("question-reject: question.asked comes while the tool part is still pending; rejecting fails the call", () => {
    const fixture = loadFixture("question-reject");
    const asked = fixture.events.findIndex((event) => event.type === "question.asked");
    const firstRunning = fixture.events.findIndex((event) =>
      JSON.stringify(event).includes('"status":"running"'),
    );
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThan(firstRunning);
    expect(fixture.events[asked]?.properties).toMatchObject({
      id: "que_1",
      sessionID: "ses_1",
      questions: [{ question: "Which colour should the button be?", header: "Colour" }],
      tool: { callID: "call_1" },
    });
    const { replies } = replay(fixture, "ses_1");
    expect(replies.map((reply) => reply.kind)).toEqual(["tool_call", "tool_result", "final"]);
    expect(ofKind(replies, "tool_result")[0]).toMatchObject({
      tool: "question",
      result: "The user dismissed this question",
      success: false,
    });
  });
});

describe("two-sessions", () => {
  const fixture = loadFixture("two-sessions");

  it("carries both sessions' deltas interleaved in one stream", () => {
    const order = fixture.events
      .filter((event) => event.type === "message.part.delta")
      .map((event) => (event.properties as { sessionID: string }).sessionID);
    const switches = order.filter((id, i) => i > 0 && id !== order[i - 1]).length;
    expect(switches).toBeGreaterThanOrEqual(2);
  });

  it("gives each turn only its own text", () => {
    const first = replay(fixture, "ses_1");
    const second = replay(fixture, "ses_2");
    expect(first.state.text).toBe("First session speaking here.");
    expect(second.state.text).toBe("Second session answering now.");
    expect(JSON.stringify(first.replies)).not.toContain("Second");
    expect(JSON.stringify(second.replies)).not.toContain("First");
  });
});

describe("heartbeat", () => {
  it("is an event with empty properties that maps to nothing", () => {
    const fixture = loadFixture("heartbeat");
    expect(fixture.events.map((event) => event.type)).toEqual([
      "server.connected",
      "server.heartbeat",
    ]);
    expect(fixture.events[1]?.properties).toEqual({});
    expect(replay(fixture, "ses_1").replies).toEqual([]);
  });
});

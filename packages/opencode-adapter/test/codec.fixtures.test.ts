/**
 * Every recorded opencode stream replayed through the codec: the exact replies,
 * the same result whether events come parsed or raw, and the turn invariants.
 */
import { describe, expect, it } from "vitest";
import { eventSessionId, isTurnEndEvent } from "../src/internals.js";
import {
  AUTH_ERROR,
  ECHO_HI_CALL,
  expectTurnInvariants,
  fixtureNames,
  loadFixture,
  ofKind,
  recordedUsage,
  replay,
  TRACE,
  typesOf,
} from "./codec-support.js";

const names = fixtureNames();

describe("every fixture", () => {
  it("covers the recorded scenarios", () => {
    expect(names).toEqual(
      expect.arrayContaining([
        "abort",
        "hang-up-retry",
        "heartbeat",
        "long-text",
        "permission-reject",
        "question-reject",
        "reasoning-text",
        "text-turn",
        "tool-bash",
        "tool-error",
        "two-sessions",
        "two-tools",
        "unknown-model",
        "upstream-401",
      ]),
    );
  });

  for (const name of names) {
    const fixture = loadFixture(name);
    // Only the sessions the recording carries: two-sessions has a second, heartbeat none.
    const sessions = ["ses_1", "ses_2"].filter((id) =>
      fixture.events.some((event) => eventSessionId(event) === id),
    );
    for (const sessionId of sessions) {
      it(`${name} (${sessionId}): raw lines map exactly as parsed events, and the invariants hold`, () => {
        const parsed = replay(fixture, sessionId, "object");
        const raw = replay(fixture, sessionId, "data");
        expect(raw.replies).toEqual(parsed.replies);
        expect({ ...raw.state }).toEqual({ ...parsed.state });
        expectTurnInvariants(parsed.replies, parsed.state);
        const usage = recordedUsage(fixture, sessionId);
        const final = ofKind(parsed.replies, "final")[0];
        if (final !== undefined) expect(final.usage).toEqual(usage);
      });
    }

    it(`${name}: nothing for a session the stream does not carry`, () => {
      expect(replay(fixture, "ses_elsewhere").replies).toEqual([]);
      expect(replay(fixture, "ses_elsewhere", "data").replies).toEqual([]);
    });

    it(`${name}: the turn ends at its first idle or error event and nothing follows`, () => {
      const { replies, state } = replay(fixture, "ses_1");
      const end = fixture.events.findIndex((event) => isTurnEndEvent(event, "ses_1"));
      if (end < 0) {
        expect(state.done).toBe(false);
        return;
      }
      expect(state.done).toBe(true);
      const before = replay({ ...fixture, events: fixture.events.slice(0, end + 1) }, "ses_1");
      expect(before.replies).toEqual(replies);
    });
  }
});

describe("text-turn", () => {
  const fixture = loadFixture("text-turn");

  it("gives 5 deltas in order, then one final with the whole text and usage", () => {
    const { replies, state } = replay(fixture, "ses_1");
    expect(replies.map((reply) => reply.kind)).toEqual([
      "delta",
      "delta",
      "delta",
      "delta",
      "delta",
      "final",
    ]);
    expect(ofKind(replies, "final")[0]).toEqual({
      kind: "final",
      trace_id: TRACE,
      content: "Hello from the stand-in model.",
      usage: recordedUsage(fixture, "ses_1"),
    });
    expect(state.usage?.outputTokens).toBeGreaterThan(0);
    expect(state.status).toBe("completed");
  });

  it("never echoes the user's own prompt, which is a text part too", () => {
    expect(fixture.lines.some((line) => line.includes('"text":"[text] say hello"'))).toBe(true);
    const { replies } = replay(fixture, "ses_1");
    expect(JSON.stringify(replies)).not.toContain("say hello");
  });
});

describe("long-text", () => {
  it("gives 200 deltas that add up to the 200 sentences, then the final", () => {
    const { replies } = replay(loadFixture("long-text"), "ses_1");
    const expected = Array.from(
      { length: 200 },
      (_, i) => `Sentence ${i + 1} of a long reply.`,
    ).join(" ");
    expect(ofKind(replies, "delta")).toHaveLength(200);
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: expected });
  });
});

describe("reasoning-text", () => {
  const fixture = loadFixture("reasoning-text");

  it("streams reasoning as reasoning replies, kept out of the final text", () => {
    // opencode names the growing field "text" for reasoning parts too: the part's type decides.
    const reasoningDeltas = fixture.events.filter(
      (event) =>
        event.type === "message.part.delta" &&
        (event.properties as { field?: string }).field === "text",
    );
    expect(reasoningDeltas.length).toBeGreaterThanOrEqual(4);
    const { replies } = replay(fixture, "ses_1");
    const reasoning = ofKind(replies, "reasoning");
    expect(reasoning.map((reply) => reply.content).join("")).toBe("Let me think this through.");
    const final = ofKind(replies, "final")[0];
    expect(final?.content).toBe("Thought it through.");
    const lastReasoning = replies.lastIndexOf(reasoning.at(-1)!);
    const firstDelta = replies.findIndex((reply) => reply.kind === "delta");
    expect(lastReasoning).toBeLessThan(firstDelta);
  });
});

describe("tools", () => {
  it("tool-bash: one tool_call with the arguments from state.input, one successful tool_result, then the text", () => {
    const fixture = loadFixture("tool-bash");
    const running = fixture.events.filter(
      (event) =>
        event.type === "message.part.updated" &&
        event.properties !== undefined &&
        JSON.stringify(event).includes('"status":"running"'),
    );
    expect(running.length).toBeGreaterThanOrEqual(2);
    const { replies } = replay(fixture, "ses_1");
    expect(replies.slice(0, 2)).toEqual([
      ECHO_HI_CALL,
      {
        kind: "tool_result",
        trace_id: TRACE,
        tool: "bash",
        result: "hi\n",
        success: true,
        call_id: "call_1",
      },
    ]);
    expect(
      replies.slice(2).every((reply) => reply.kind === "delta" || reply.kind === "final"),
    ).toBe(true);
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "The command printed hi." });
  });

  it("tool-error: a failed read gives tool_result success false with opencode's error text", () => {
    const { replies } = replay(loadFixture("tool-error"), "ses_1");
    expect(ofKind(replies, "tool_call")).toEqual([
      {
        kind: "tool_call",
        trace_id: TRACE,
        tool: "read",
        args: { filePath: "/home/missing.txt" },
        call_id: "call_1",
      },
    ]);
    expect(ofKind(replies, "tool_result")).toEqual([
      {
        kind: "tool_result",
        trace_id: TRACE,
        tool: "read",
        result: "File not found: /home/missing.txt",
        success: false,
        call_id: "call_1",
      },
    ]);
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "The file does not exist." });
  });

  it("two-tools: two calls in one step, each called and answered once, before the text", () => {
    const { replies } = replay(loadFixture("two-tools"), "ses_1");
    const calls = ofKind(replies, "tool_call");
    expect(
      calls
        .map((reply) => reply.args)
        .sort((a, b) => String(a.command).localeCompare(String(b.command))),
    ).toEqual([
      { command: "echo one", description: "Print one" },
      { command: "echo two", description: "Print two" },
    ]);
    const results = new Map(ofKind(replies, "tool_result").map((reply) => [reply.call_id, reply]));
    for (const call of calls) {
      const result = results.get(call.call_id);
      expect(result?.success).toBe(true);
      expect(result?.result).toBe(`${String(call.args.command).slice(5)}\n`);
    }
    const lastTool = replies.findLastIndex((reply) => reply.kind === "tool_result");
    expect(replies.findIndex((reply) => reply.kind === "delta")).toBeGreaterThan(lastTool);
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "Both commands ran." });
  });
});

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

/**
 * Every recorded opencode stream replayed through the codec: the exact replies,
 * the same result whether events come parsed or raw, and the turn invariants.
 */
import { describe, expect, it } from "vitest";
import { eventSessionId, isTurnEndEvent } from "../src/internals.js";
import {
  ECHO_HI_CALL,
  expectTurnInvariants,
  fixtureNames,
  loadFixture,
  ofKind,
  recordedUsage,
  replay,
  TRACE,
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

/**
 * What the answer is made of: distinct parts kept apart, compaction summaries and
 * synthetic parts left out, and the text opencode stored. Recorded on the real binary
 * (see scripts/record-fixtures.ts) and replayed through the codec, parsed and raw.
 */
import { describe, expect, it } from "vitest";
import { expectTurnInvariants, loadFixture, ofKind, replay } from "./codec-support.js";

const clone = <T>(value: T): T => structuredClone(value);

function both(fixture: ReturnType<typeof loadFixture>) {
  const parsed = replay(fixture, "ses_1");
  const raw = replay(fixture, "ses_1", "data");
  expect(raw.replies).toEqual(parsed.replies);
  expectTurnInvariants(parsed.replies, parsed.state);
  return parsed;
}

describe("distinct parts", () => {
  it("text, a tool call, more text: the second part opens with a blank line, in the deltas and the final", () => {
    const { replies } = both(loadFixture("text-tool-text"));
    expect(ofKind(replies, "delta").map((reply) => reply.content)).toEqual([
      "Let me update the README with the new command syntax:",
      "\n\nREADM",
      "E upd",
      "ated.",
    ]);
    expect(ofKind(replies, "final")[0]?.content).toBe(
      "Let me update the README with the new command syntax:\n\nREADME updated.",
    );
  });

  it("two reasoning parts are kept apart the same way, and stay out of the final", () => {
    const { replies } = both(loadFixture("reasoning-two-parts"));
    expect(ofKind(replies, "reasoning").map((reply) => reply.content)).toEqual([
      "First I should look.",
      "\n\nNow I know enough.",
    ]);
    expect(ofKind(replies, "final")[0]?.content).toBe("It printed hi.");
  });

  it("a part seen only whole (no deltas) after an earlier one also opens with a blank line", () => {
    const fixture = loadFixture("text-tool-text");
    const events = fixture.events.filter((event) => event.type !== "message.part.delta");
    const { replies } = replay(
      { ...fixture, events, lines: events.map((e) => JSON.stringify(e)) },
      "ses_1",
    );
    expect(ofKind(replies, "final")[0]?.content).toBe(
      "Let me update the README with the new command syntax:\n\nREADME updated.",
    );
  });
});

describe("compaction", () => {
  it("the summary message's text never reaches the replies; the answer goes on after it", () => {
    const { replies } = both(loadFixture("compaction"));
    const final = ofKind(replies, "final")[0];
    expect(final?.content).toBe(
      "A first answer that overflows the context.\n\nContinuing after the compaction.",
    );
    const streamed = ofKind(replies, "delta")
      .map((reply) => reply.content)
      .join("");
    expect(streamed).toBe(final?.content);
  });
});

describe("parts that are not the model's answer", () => {
  for (const flag of ["synthetic", "ignored"] as const) {
    it(`a text part with ${flag}: true is not answer text`, () => {
      const fixture = loadFixture("text-turn");
      const events = fixture.events.map((event) => {
        const copy = clone(event) as {
          type?: string;
          properties?: { part?: Record<string, unknown> };
        };
        const part = copy.properties?.part;
        if (
          copy.type === "message.part.updated" &&
          part?.type === "text" &&
          part.messageID === "msg_2"
        )
          part[flag] = true;
        return copy as Record<string, unknown>;
      });
      const { replies, state } = replay({ ...fixture, events, lines: [] }, "ses_1");
      expect(ofKind(replies, "delta")).toEqual([]);
      expect(ofKind(replies, "final")[0]?.content).toBe("");
      expectTurnInvariants(replies, state);
    });
  }
});

describe("the final is what opencode stored", () => {
  it("a trailing newline that opencode trimmed off the finished part is not in the final", () => {
    const fixture = loadFixture("text-turn");
    const deltas = fixture.events.filter((event) => event.type === "message.part.delta");
    const last = deltas.at(-1);
    const events = fixture.events.map((event) => {
      if (event !== last) return event;
      const copy = clone(event) as { properties: { delta: string } };
      copy.properties.delta += "\n";
      return copy as unknown as Record<string, unknown>;
    });
    const lines = events.map((event) => JSON.stringify(event));
    const parsed = replay({ ...fixture, events, lines }, "ses_1");
    const raw = replay({ ...fixture, events, lines }, "ses_1", "data");
    expect(raw.replies).toEqual(parsed.replies);
    expect(ofKind(parsed.replies, "final")[0]?.content).toBe("Hello from the stand-in model.");
    expectTurnInvariants(parsed.replies, parsed.state);
  });
});

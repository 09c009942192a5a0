/**
 * A queued turn and the previous turn's tail: after an abort that opencode honours late
 * (a running bash tool delays it) the old turn's `busy`, tool part, error and `idle`
 * can arrive before the new prompt's user message (recorded so on opencode 1.18.31).
 * None of it belongs to the new turn. The stream is the real 1.18.33 recording of an
 * abort during `sleep` and an immediate second prompt, put in that older order.
 */
import { OpenCodeAdapter } from "@taos/opencode-adapter";
import { describe, expect, it } from "vitest";
import { withinDeadline } from "../src/deadline.js";
import { fixtureLines } from "../src/fixtures.js";
import { ReplyRecorder } from "../src/recorder.js";
import { startScriptedEventServer } from "../src/scripted-event-server.js";

const encoder = new TextEncoder();
const CONNECTED =
  '{"directory":"/home","payload":{"id":"evt_0","type":"server.connected","properties":{}}}';

function typeOf(line: string): string {
  return (JSON.parse(line) as { type?: string }).type ?? "";
}

/**
 * The recording cut after the first turn's first idle pair: the tail (the old tool part
 * finishing, the old message with its abort error, a second idle pair), led by a `busy`
 * as 1.18.31 sent it, then the second turn from its user message on.
 */
function tailFirstOrder(): string[] {
  const lines = fixtureLines("abort-bash-then-prompt");
  const firstIdle = lines.findIndex((line) => typeOf(line) === "session.idle");
  const secondUser = lines.findIndex((line) => line.includes('"id":"msg_3"'));
  const busy = lines.find((line) => line.includes('"type":"busy"')) ?? "";
  return [busy, ...lines.slice(firstIdle + 1, secondUser), ...lines.slice(secondUser)];
}

/** msg_3 is the prompt's own user message; the earlier turn's ids sort before it. */
function withIds(lines: readonly string[], userMessageId: string): string[] {
  const ids: Record<string, string> = {
    msg_1: "msg_000000000001AAAAAAAAAAAAAA",
    msg_2: "msg_000000000002AAAAAAAAAAAAAA",
    msg_3: userMessageId,
    msg_4: `${userMessageId}0004`,
  };
  return lines.map((line) =>
    line.replace(/"(msg_\d+)"/g, (_match, id: string) => `"${ids[id] ?? id}"`),
  );
}

describe("a queued turn after a late abort", () => {
  it("the previous turn's tail (busy, idle, its error) neither starts nor ends the new turn", async () => {
    const lines = tailFirstOrder();
    expect(lines.slice(0, 6).map(typeOf)).toContain("session.idle");
    const server = await startScriptedEventServer({
      sessions: ["ses_1"],
      prompts: 1,
      stream: (connection) =>
        connection === 0
          ? {
              head: [encoder.encode(`data: ${CONNECTED}\n\n`)],
              body: (ids) =>
                withIds(lines, ids.get("ses_1") ?? "msg_3").map((line) =>
                  encoder.encode(`data: {"directory":"/home","payload":${line}}\n\n`),
                ),
            }
          : undefined,
    });
    const recorder = new ReplyRecorder();
    const adapter = new OpenCodeAdapter({ baseUrl: server.url, modelId: "m" }, recorder.sink);
    try {
      const result = await withinDeadline(
        adapter.prompt("[after-abort] the next question", { traceId: "t" }),
        10_000,
        "the turn",
      );
      expect(result.status).toBe("completed");
      expect(result.text).toBe("Second turn answer.");
      const replies = recorder.of("t");
      expect(replies.map((reply) => reply.kind)).toEqual(["delta", "delta", "delta", "final"]);
      expect(replies.some((reply) => reply.kind === "tool_result")).toBe(false);
    } finally {
      await adapter.close();
      await server.close();
    }
  });
});

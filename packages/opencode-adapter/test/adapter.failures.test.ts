import { scaled } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import { OpenCodeAdapter, type Reply, ReplyErrorCode } from "../src/index.js";
import {
  adapter,
  adapters,
  DENSE_TEXT,
  KEY,
  lastRequestWith,
  llm,
  PASSWORD,
  proxy,
  useRealStack,
} from "./real-stack.js";
import { collectingSink, memoryLogger, until } from "./support.js";

useRealStack();

describe("failures and abort", () => {
  it("turns session.error (upstream 401) into one error reply, no final, status error", async () => {
    const out = collectingSink();
    const log = memoryLogger();
    const result = await adapter(out.sink, { logger: log.logger }).prompt("upstream refuses");
    expect(result.status).toBe("error");
    expect(result.error).toContain("Authentication Error");
    const errors = out.of("error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toContain("Authentication Error");
    expect(errors[0]).toMatchObject({ code: "upstream_unauthorized", opencode_error: "APIError" });
    expect(out.of("final")).toHaveLength(0);
    // The agent's key and the server password appear nowhere.
    const everything = JSON.stringify(out.replies) + log.text() + JSON.stringify(result);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(PASSWORD);
  });

  it("aborts a stalled turn through the signal, then the session takes the next prompt", async () => {
    const out = collectingSink();
    const a = adapter(out.sink);
    const controller = new AbortController();
    const turn = a.prompt("stall now", { signal: controller.signal });
    await until(() => out.of("delta").length > 0, scaled(30_000), "the first delta");
    controller.abort();
    const result = await turn;
    expect(result.status).toBe("aborted");
    expect(out.of("final")).toHaveLength(0);
    // One error reply with our code, whatever opencode reported (older releases go idle
    // without an error; the recorded 1.18.33 abort, with MessageAbortedError, is in the codec tests).
    expect(out.of("error")).toMatchObject([{ code: "aborted" }]);

    // Late events of the aborted turn (a second idle) must not end the next one early.
    const next = collectingSink();
    const again = new OpenCodeAdapter(
      {
        baseUrl: proxy.url,
        password: PASSWORD,
        modelId: "fake-model",
        sessionId: result.sessionId,
      },
      next.sink,
    );
    adapters.add(again);
    const second = await again.prompt("say hello again");
    expect(second.status).toBe("completed");
    expect(second.text).toBe("Hello from the stand-in, in six pieces.");
  });

  it("an abort during opencode's retry back-off ends aborted, not completed with an empty final", async () => {
    const out = collectingSink();
    const log = memoryLogger();
    const a = adapter(out.sink, { logger: log.logger });
    const controller = new AbortController();
    const turn = a.prompt("upstream keeps failing", { signal: controller.signal });
    // opencode retries a 500 after a back-off of seconds: abort within it.
    await until(
      () => lastRequestWith("upstream keeps failing")?.status === 500,
      scaled(30_000),
      "the first 500",
    );
    await until(
      () => log.text().includes("opencode is retrying"),
      scaled(10_000),
      "a retry status",
    );
    controller.abort();
    const result = await turn;
    expect(result.status).toBe("aborted");
    expect(out.of("final")).toHaveLength(0);
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: ReplyErrorCode.Aborted }),
    ]);
  });

  it("aborts a turn whose bash tool is still running; its tail does not leak into the next turn", async () => {
    const out = collectingSink();
    const controller = new AbortController();
    const a = adapter(out.sink, { permission: "once" });
    const turn = a.prompt("run the slow tool", { signal: controller.signal, traceId: "slow" });
    await until(() => out.of("tool_call").length > 0, scaled(30_000), "the tool call");
    controller.abort();
    const result = await turn;
    expect(result.status).toBe("aborted");
    expect(out.of("final")).toHaveLength(0);
    // opencode finishes the aborted tool part after the turn's end ("User aborted the command").
    const next = await a.prompt("say hello", { traceId: "next" });
    expect(next.status).toBe("completed");
    expect(next.text).toBe("Hello from the stand-in, in six pieces.");
    const nextReplies = out.replies.filter((r) => r.trace_id === "next");
    expect(nextReplies.filter((r) => r.kind === "tool_call" || r.kind === "tool_result")).toEqual(
      [],
    );
  });

  it("a sink that throws or rejects is logged and the turn goes on, replies in order", async () => {
    const log = memoryLogger();
    const seen: Reply[] = [];
    let calls = 0;
    const result = await adapter(
      async (reply) => {
        seen.push(reply);
        calls++;
        if (calls === 1) throw new Error("sink broke");
        await new Promise((resolve) => setTimeout(resolve, calls % 2 === 0 ? 15 : 0));
        if (reply.kind === "final") throw new Error("sink broke on final");
      },
      { logger: log.logger },
    ).prompt("say hello");
    expect(result.status).toBe("completed");
    expect(seen.at(-1)?.kind).toBe("final");
    expect(
      seen
        .filter((r) => r.kind === "delta")
        .map((r) => (r.kind === "delta" ? r.content : ""))
        .join(""),
    ).toBe(result.text);
    expect(log.lines.filter((l) => l.msg?.includes("sink failed"))).toHaveLength(2);
  });

  it("a sync sink that throws does not stop the turn either", async () => {
    const result = await adapter(() => {
      throw new Error("always broken");
    }).prompt("say hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Hello from the stand-in, in six pieces.");
  });
});

describe("catching up after a resubscribe", () => {
  it("the turn ended while the stream was down: the missed text and the end come from the messages", async () => {
    const out = collectingSink();
    const a = adapter(out.sink);
    await a.ensureSession();
    llm.addRule({
      match: "catch up text",
      reply: { text: "Every word of this answer must still arrive.", chunks: 6, chunkDelayMs: 100 },
    });
    // Cut at the first delta; the turn finishes on the server before we are back.
    proxy.cutStreamWhen('"type":"message.part.delta"', 2_500);
    const result = await a.prompt("catch up text");
    expect(proxy.cutDone()).toBe(true);
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Every word of this answer must still arrive.");
    expect(out.deltaText()).toBe(result.text);
    expect(out.of("final")).toEqual([expect.objectContaining({ content: result.text })]);
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
  });

  it(
    "a stream cut in a dense reply loses no text: completed with every word, once",
    async () => {
      const out = collectingSink();
      const a = adapter(out.sink);
      await a.ensureSession();
      const turn = a.prompt("dense words");
      await until(() => out.of("delta").length >= 300, scaled(60_000), "300 deltas");
      expect(proxy.cutEventStreams()).toBeGreaterThan(0);
      const result = await turn;
      // The resubscribe catches up from the stored messages: the whole text, once.
      expect(result.status).toBe("completed");
      expect(out.of("error")).toEqual([]);
      expect(out.of("final")).toEqual([expect.objectContaining({ content: DENSE_TEXT })]);
      expect(out.deltaText()).toBe(DENSE_TEXT);
      expect(result.text).toBe(DENSE_TEXT);
    },
    scaled(120_000),
  );

  it("a permission asked while the stream was down is found in GET /permission and answered", async () => {
    const out = collectingSink();
    const a = adapter(out.sink, { permission: "once" });
    await a.ensureSession();
    proxy.cutStreamWhen('"type":"permission.asked"', 500);
    const result = await a.prompt("run the plain tool");
    expect(proxy.cutDone()).toBe(true);
    expect(result.status).toBe("completed");
    expect(result.decisions).toMatchObject([{ kind: "permission", reply: "once" }]);
    expect(out.of("tool_result")).toMatchObject([{ success: true, result: "plain\n" }]);
    expect(result.text).toBe("Plain tool done.");
  });
});

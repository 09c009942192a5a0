import { describe, expect, it } from "vitest";
import { FakeLiteLLMOptionsError, type Script, splitText, startFakeLiteLLM } from "../src/index.js";
import { chat, contentOf, KEY, llm, streamed, useStandIn } from "./http-support.js";

useStandIn();

describe("models and auth", () => {
  it("lists the configured models", async () => {
    const res = await fetch(`${llm.url}/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe("list");
    expect(body.data.map((m) => m.id)).toEqual(["fake-model", "other"]);
  });

  it("answers 401 with a LiteLLM-shaped body for a missing or wrong key", async () => {
    for (const key of [null, "sk-wrong"]) {
      const res = await chat({ key });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: "auth_error", param: "None", code: "401" });
      expect(String(body.error.message)).toMatch(/^Authentication Error/);
      expect(JSON.stringify(body)).not.toContain("sk-wrong");
    }
    const models = await fetch(`${llm.url}/models`, { headers: { authorization: "Bearer nope" } });
    expect(models.status).toBe(401);
    await models.body?.cancel();
    expect(llm.requests.map((r) => [r.key, r.status])).toEqual([
      [undefined, 401],
      ["sk-wrong", 401],
    ]);
  });

  it("accepts every configured key", async () => {
    for (const key of [KEY, "sk-agent-2"]) {
      const res = await chat({ key, stream: false });
      expect(res.status).toBe(200);
      await res.json();
    }
  });

  it("answers 404 on an unknown route", async () => {
    const res = await fetch(`${llm.url}/embeddings`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("404");
  });

  it("rejects bad options with an error naming the field", async () => {
    await expect(startFakeLiteLLM({ keys: [] })).rejects.toThrow(FakeLiteLLMOptionsError);
    await expect(startFakeLiteLLM({ keys: ["ok", "has space"] })).rejects.toThrow(/"keys\[1\]"/);
    expect(() => llm.setRules([{ match: "x", reply: { text: "y", chunks: 0 } }])).toThrow(
      /"rules\[0\]\.reply\.chunks"/,
    );
    expect(() => llm.addRule({ reply: { error: { status: 200 } } })).toThrow(
      /"rule\.reply\.error\.status"/,
    );
  });
});

describe("text", () => {
  it("streams the text in the asked number of chunks, usage in the last chunk, then [DONE]", async () => {
    const text = "The quick brown fox jumps over the lazy dog.";
    llm.setRules([{ match: "fox", reply: { text, chunks: 7 } }]);
    const { chunks, done } = await streamed(await chat({ text: "tell me about the fox" }));
    expect(done).toBe(true);
    expect(chunks).toHaveLength(8);
    const content = chunks.slice(0, 7);
    expect(content.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(content.every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
    expect(content[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(contentOf(chunks)).toBe(text);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe("stop");
    expect(last?.choices[0]?.delta).toEqual({});
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.total_tokens).toBe(
      (last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0),
    );
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
  });

  it("echoes the last user text when no rule matches", async () => {
    const { chunks, done } = await streamed(await chat({ text: "echo me, ünïcödé 🎉" }));
    expect(done).toBe(true);
    expect(contentOf(chunks)).toBe("echo me, ünïcödé 🎉");
  });

  it("reads the text parts of multi-part user content", async () => {
    const res = await chat({
      stream: false,
      messages: [{ role: "user", content: [{ type: "text", text: "part one" }] }],
    });
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe("part one");
    expect(llm.requests[0]?.lastUserText).toBe("part one");
  });

  it("answers one chat.completion when the request does not stream", async () => {
    llm.setRules([{ reply: { text: "whole answer", reasoning: "mulling" } }]);
    const res = await chat({ stream: false });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as {
      object: string;
      choices: Array<{ message: Record<string, unknown>; finish_reason: string }>;
      usage: { total_tokens: number };
    };
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message).toEqual({
      role: "assistant",
      content: "whole answer",
      reasoning_content: "mulling",
    });
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it("streams reasoning_content before the text", async () => {
    llm.setRules([
      {
        match: /think/,
        reply: { reasoning: "Let me think.", text: "Thought it through.", chunks: 5 },
      },
    ]);
    const { chunks, done } = await streamed(await chat({ text: "think hard" }));
    expect(done).toBe(true);
    expect(chunks).toHaveLength(1 + 5 + 1);
    expect(chunks[0]?.choices[0]?.delta).toEqual({
      role: "assistant",
      reasoning_content: "Let me think.",
    });
    expect(chunks.slice(1).every((c) => c.choices[0]?.delta.reasoning_content === undefined)).toBe(
      true,
    );
    expect(contentOf(chunks)).toBe("Thought it through.");
  });

  it("streams 100 000 chunks whose concatenation is the text", async () => {
    const text = "abcdefghij".repeat(20_000);
    llm.setRules([{ reply: { text, chunks: 100_000 } }]);
    const { chunks, done } = await streamed(await chat());
    expect(done).toBe(true);
    expect(chunks).toHaveLength(100_001);
    expect(contentOf(chunks)).toBe(text);
  });

  it("waits chunkDelayMs between chunks and still sends every chunk", async () => {
    llm.setRules([{ reply: { text: "slow and steady", chunks: 3, chunkDelayMs: 5 } }]);
    const { chunks, done } = await streamed(await chat());
    expect(done).toBe(true);
    expect(chunks).toHaveLength(4);
    expect(contentOf(chunks)).toBe("slow and steady");
  });

  const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  it("splits text exactly, never inside a surrogate pair", () => {
    const text = "a🎉b🎉c🎉";
    for (const n of [1, 2, 3, 4, 5, 9, 20]) {
      const pieces = splitText(text, n);
      expect(pieces).toHaveLength(n);
      expect(pieces.join("")).toBe(text);
      for (const piece of pieces) expect(piece).not.toMatch(loneSurrogate);
    }
  });
});

// A compile-time check that the documented script shapes are accepted.
const _scripts: Script[] = [
  { text: "a", chunks: 2, chunkDelayMs: 0, reasoning: "r" },
  { toolCalls: [{ name: "bash", arguments: { command: "ls" } }], then: { text: "ok" } },
  { error: { status: 429, message: "m" } },
  { stall: { ms: 1, afterChunks: 1, text: "t" } },
  { hangUp: { afterChunks: 1, text: "t" } },
];
void _scripts;

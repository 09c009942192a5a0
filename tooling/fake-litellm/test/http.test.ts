import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type FakeLiteLLM,
  FakeLiteLLMOptionsError,
  type Script,
  splitText,
  startFakeLiteLLM,
} from "../src/index.js";
import { type ChunkJson, SseReader } from "./sse.js";

const KEY = "sk-agent-1";
let llm: FakeLiteLLM;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY, "sk-agent-2"], models: ["fake-model", "other"] });
});
afterAll(async () => {
  await llm.close();
});
afterEach(() => {
  llm.reset();
});

interface ChatOptions {
  readonly text?: string;
  readonly stream?: boolean;
  readonly key?: string | null;
  readonly messages?: readonly unknown[];
  readonly extra?: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

function chat(options: ChatOptions = {}): Promise<Response> {
  const key = options.key === undefined ? KEY : options.key;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const messages = options.messages ?? [
    { role: "system", content: "You are a test." },
    { role: "user", content: options.text ?? "hello" },
  ];
  return fetch(`${llm.url}/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "fake-model",
      stream: options.stream ?? true,
      messages,
      ...options.extra,
    }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Reads a whole SSE reply: parsed chunks, and whether `[DONE]` closed it. */
async function streamed(response: Response): Promise<{ chunks: ChunkJson[]; done: boolean }> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const payloads = await new SseReader(response).rest();
  const done = payloads.at(-1) === "[DONE]";
  const chunks = payloads.filter((p) => p !== "[DONE]").map((p) => JSON.parse(p) as ChunkJson);
  return { chunks, done };
}

const contentOf = (chunks: ChunkJson[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

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

describe("tool calls", () => {
  const toolRule = {
    match: "use a tool",
    reply: {
      toolCalls: [
        { name: "bash", arguments: { command: "echo hi", description: "say hi" } },
        { name: "read", arguments: '{"filePath":"/tmp/x"}', id: "call_fixed" },
      ],
      then: { text: "The command printed hi." },
    },
  } as const;

  it("streams tool calls with finish_reason tool_calls, then answers the tool result with `then`", async () => {
    llm.setRules([toolRule]);
    const first = await streamed(await chat({ text: "please use a tool" }));
    expect(first.done).toBe(true);
    const deltas = first.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    for (const d of deltas) {
      const call = calls.get(d.index) ?? { args: "" };
      if (d.id) call.id = d.id;
      if (d.function.name) call.name = d.function.name;
      call.args += d.function.arguments ?? "";
      calls.set(d.index, call);
    }
    expect(calls.get(0)?.name).toBe("bash");
    expect(JSON.parse(calls.get(0)?.args ?? "")).toEqual({
      command: "echo hi",
      description: "say hi",
    });
    expect(calls.get(1)).toEqual({ id: "call_fixed", name: "read", args: '{"filePath":"/tmp/x"}' });
    expect(first.chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(first.chunks.at(-1)?.usage).toBeDefined();

    const bashId = calls.get(0)?.id ?? "";
    const history = [
      { role: "user", content: "please use a tool" },
      {
        role: "assistant",
        content: "",
        tool_calls: [...calls.values()].map((c) => ({
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: c.args },
        })),
      },
      { role: "tool", tool_call_id: "call_fixed", content: "x" },
      { role: "tool", tool_call_id: bashId, content: "hi\n" },
    ];
    const second = await streamed(await chat({ messages: history }));
    expect(second.done).toBe(true);
    expect(contentOf(second.chunks)).toBe("The command printed hi.");
    expect(second.chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("answers a non-streamed request with message.tool_calls", async () => {
    llm.setRules([toolRule]);
    const res = await chat({ text: "use a tool", stream: false });
    const body = (await res.json()) as {
      choices: Array<{ message: { content: null; tool_calls: unknown[] }; finish_reason: string }>;
    };
    expect(body.choices[0]?.finish_reason).toBe("tool_calls");
    expect(body.choices[0]?.message.content).toBeNull();
    expect(body.choices[0]?.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: "function",
        function: { name: "bash", arguments: '{"command":"echo hi","description":"say hi"}' },
      },
      {
        id: "call_fixed",
        type: "function",
        function: { name: "read", arguments: '{"filePath":"/tmp/x"}' },
      },
    ]);
  });

  it("answers an unknown tool result with Done. instead of matching text rules again", async () => {
    llm.setRules([toolRule]);
    const res = await chat({
      stream: false,
      messages: [
        { role: "user", content: "please use a tool" },
        { role: "tool", tool_call_id: "call_unknown", content: "?" },
      ],
    });
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe("Done.");
  });
});

describe("errors, stalls and hang-ups", () => {
  it.each([
    [401, /^Authentication Error/],
    [429, /Rate limit/],
    [500, /Internal server error/],
    [503, /Internal server error/],
    [400, /Error/],
  ])(
    "answers a scripted %i with a LiteLLM-shaped body, streamed or not",
    async (status, message) => {
      llm.setRules([{ reply: { error: { status } } }]);
      for (const stream of [true, false]) {
        const res = await chat({ stream });
        expect(res.status).toBe(status);
        const body = (await res.json()) as { error: Record<string, unknown> };
        expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
        expect(body.error.code).toBe(String(status));
        expect(String(body.error.message)).toMatch(message);
      }
      expect(llm.requests.map((r) => r.status)).toEqual([status, status]);
    },
  );

  it("sends a scripted error's message and headers", async () => {
    llm.setRules([
      { reply: { error: { status: 429, message: "slow down", headers: { "retry-after": "0" } } } },
    ]);
    const res = await chat();
    expect(res.headers.get("retry-after")).toBe("0");
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("slow down");
  });

  it("stall: sends afterChunks chunks, then no bytes while the stall lasts", async () => {
    llm.setRules([
      { reply: { stall: { ms: 60_000, afterChunks: 2, text: "one two three four five" } } },
    ]);
    const abort = new AbortController();
    const res = await chat({ signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    const [one, two] = splitText("one two three four five", 5);
    expect(JSON.parse((await reader.next()) ?? "").choices[0].delta.content).toBe(one);
    expect(JSON.parse((await reader.next()) ?? "").choices[0].delta.content).toBe(two);
    const silence = Symbol("silence");
    const third = reader.next().catch(() => "aborted");
    // The stall lasts a minute: anything arriving in the next 200 ms would be a bug.
    const winner = await Promise.race([third, sleep(200, silence)]);
    expect(winner).toBe(silence);
    abort.abort();
    expect(await third).toBe("aborted");
  });

  it("stall: finishes normally once the stall is over", async () => {
    llm.setRules([{ reply: { stall: { ms: 50, afterChunks: 1, text: "after the pause" } } }]);
    const { chunks, done } = await streamed(await chat());
    expect(done).toBe(true);
    expect(contentOf(chunks)).toBe("after the pause");
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    const whole = await chat({ stream: false });
    const body = (await whole.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe("after the pause");
  });

  it("hang-up: the connection ends after afterChunks chunks, before [DONE]", async () => {
    llm.setRules([{ reply: { hangUp: { afterChunks: 2, text: "never finished text" } } }]);
    const res = await chat();
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    const got: string[] = [];
    const error = await (async () => {
      try {
        for (let p = await reader.next(); p !== undefined; p = await reader.next()) got.push(p);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(got).toHaveLength(2);
    expect(got).not.toContain("[DONE]");
    await expect(chat({ stream: false })).rejects.toThrow();
  });
});

describe("rules", () => {
  it("tries string, RegExp and function matchers in order; first match wins", async () => {
    const reply = async (text: string, key?: string) => {
      const res = await chat({ text, stream: false, ...(key ? { key } : {}) });
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      return body.choices[0]?.message.content;
    };
    llm.setRules([
      { match: (req) => req.key === "sk-agent-2", reply: { text: "by key" } },
      { match: "apple", reply: { text: "by substring" } },
      { match: /^app/i, reply: { text: "by regexp" } },
      { match: "apple pie", reply: { text: "never: shadowed" } },
    ]);
    expect(await reply("apple pie")).toBe("by substring");
    expect(await reply("Application")).toBe("by regexp");
    expect(await reply("apple", "sk-agent-2")).toBe("by key");
    expect(await reply("banana")).toBe("banana");
    llm.addRule({ match: "banana", reply: { text: "prepended" } });
    expect(await reply("banana")).toBe("prepended");
    const global = /pie/g;
    llm.setRules([{ match: global, reply: { text: "global regexp" } }]);
    expect(await reply("pie")).toBe("global regexp");
    expect(await reply("pie")).toBe("global regexp");
  });

  it("answers title requests with the title and keeps them away from rules unless titles is set", async () => {
    const titleMessages = [
      { role: "system", content: "You are a title generator. You output ONLY a thread title." },
      { role: "user", content: "Generate a title for this conversation:\n" },
      { role: "user", content: "hello there" },
    ];
    llm.setRules([{ reply: { text: "catch-all" } }]);
    const { chunks } = await streamed(await chat({ messages: titleMessages }));
    expect(contentOf(chunks)).toBe("Scripted session");
    llm.addRule({ match: "hello", titles: true, reply: { text: "Custom title" } });
    const custom = await streamed(await chat({ messages: titleMessages }));
    expect(contentOf(custom.chunks)).toBe("Custom title");
    expect(llm.requests.map((r) => r.isTitleRequest)).toEqual([true, true]);
  });
});

describe("recording", () => {
  it("records key, model, stream, messages, tool names, last user text and the body", async () => {
    const tools = [
      { type: "function", function: { name: "bash", parameters: {} } },
      { type: "function", function: { name: "read", parameters: {} } },
    ];
    const messages = [
      { role: "system", content: "sys" },
      { role: "user", content: "first" },
      { role: "assistant", content: "ok" },
      { role: "user", content: "second" },
    ];
    const res = await chat({ messages, extra: { tools, model: "other-model" }, stream: false });
    await res.json();
    expect(llm.requests).toHaveLength(1);
    const [req] = llm.requests;
    expect(req).toMatchObject({
      key: KEY,
      model: "other-model",
      stream: false,
      messages,
      tools: ["bash", "read"],
      lastUserText: "second",
      isTitleRequest: false,
      status: 200,
    });
    expect((req?.body as { tools?: unknown } | undefined)?.tools).toEqual(tools);
    llm.reset();
    expect(llm.requests).toHaveLength(0);
  });

  it("rejects a body that is not JSON with 400", async () => {
    const res = await fetch(`${llm.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    await res.json();
  });
});

describe("close", () => {
  it("destroys a stalled connection and stops listening", async () => {
    const own = await startFakeLiteLLM({ rules: [{ reply: { stall: { ms: 600_000 } } }] });
    const res = await fetch(`${own.url}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test" },
      body: JSON.stringify({
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "x" }],
      }),
    });
    expect(res.status).toBe(200);
    const reader = new SseReader(res);
    const pending = reader.rest().then(
      () => "ended",
      () => "broken",
    );
    await own.close();
    expect(await pending).toBe("broken");
    await expect(fetch(`${own.url}/models`)).rejects.toThrow();
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

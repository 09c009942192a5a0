import { describe, expect, it } from "vitest";
import { startFakeLiteLLM } from "../src/index.js";
import { chat, contentOf, KEY, llm, streamed, useStandIn } from "./http-support.js";
import { SseReader } from "./sse.js";

useStandIn();

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

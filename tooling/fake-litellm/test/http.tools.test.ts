import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { splitText } from "../src/index.js";
import { chat, contentOf, llm, streamed, useStandIn } from "./http-support.js";
import { SseReader } from "./sse.js";

useStandIn();

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

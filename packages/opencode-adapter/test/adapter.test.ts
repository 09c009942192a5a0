/**
 * The adapter against the real `opencode serve` and the LiteLLM stand-in: one server
 * for the whole file (Basic auth on, `bash` set to "ask"), reached through a loopback
 * proxy that records every request.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AskDecision,
  DEFAULT_REJECT_MESSAGE,
  OpenCodeAdapter,
  OpenCodeAdapterClosedError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  type Reply,
  ReplyErrorCode,
} from "../src/index.js";

import {
  collectingSink,
  memoryLogger,
  startProxy,
  TestAdapters,
  type TestProxy,
  until,
} from "./support.js";

const KEY = "sk-agent-adapter-test-7f3a";
const PASSWORD = "pw-adapter-test-91c2";
const MARKER = "tool-output-marker-5521";
/** A long reply streamed fast: a cut stream then drops events while a new one is being confirmed. */
const DENSE_TEXT = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
const BASIC = `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString("base64")}`;

let llm: FakeLiteLLM;
let opencode: OpenCodeInTempHome;
let proxy: TestProxy;
let elsewhere: string;
const adapters = new TestAdapters(() => ({
  baseUrl: proxy.url,
  password: PASSWORD,
  modelId: "fake-model",
}));
const adapter = adapters.make;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    rules: [
      { match: "say hello", reply: { text: "Hello from the stand-in, in six pieces.", chunks: 6 } },
      {
        match: "think first",
        reply: { reasoning: "Weighing it up.", text: "Thought it through." },
      },
      {
        match: "run the growing tool",
        reply: {
          toolCalls: [
            {
              name: "bash",
              arguments: {
                command: `echo one; sleep 0.3; echo ${MARKER}; sleep 0.3; echo three`,
                description: "print three lines",
              },
            },
          ],
          then: { text: "The command ran." },
        },
      },
      {
        match: "run the plain tool",
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "echo plain", description: "echo" } }],
          then: { text: "Plain tool done." },
        },
      },
      {
        match: "run the slow tool",
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "sleep 30", description: "sleep" } }],
          then: { text: "Slept." },
        },
      },
      {
        match: "ask me",
        reply: {
          toolCalls: [
            {
              name: "question",
              arguments: {
                questions: [
                  {
                    question: "Which colour?",
                    header: "Colour",
                    options: [
                      { label: "Red", description: "warm" },
                      { label: "Blue", description: "cool" },
                    ],
                  },
                ],
              },
            },
          ],
          then: { text: "Noted." },
        },
      },
      { match: "upstream refuses", reply: { error: { status: 401 } } },
      {
        match: "stall now",
        reply: { stall: { ms: 60_000, afterChunks: 1, text: "Stalled reply text" } },
      },
      { match: "describe the file", reply: { text: "I see the file." } },
      { match: "upstream keeps failing", reply: { error: { status: 500 } } },
      { match: "dense words", reply: { text: DENSE_TEXT, chunks: 3000, chunkDelayMs: 1 } },
    ],
  });
  opencode = await startOpenCodeInTempHome({
    homePrefix: "taos-adapter-",
    password: PASSWORD,
    config: buildOpenCodeConfig({
      baseURL: llm.url,
      apiKey: KEY,
      modelIds: ["fake-model"],
      permission: { bash: "ask" },
    }),
  });
  elsewhere = join(opencode.home, "elsewhere");
  await mkdir(elsewhere);
  proxy = await startProxy(opencode.url);
});

afterAll(async () => {
  await adapters.closeAll();
  await proxy?.close();
  await opencode?.stop();
  await llm?.close();
});

function lastRequestWith(text: string) {
  return [...llm.requests]
    .reverse()
    .find((r) => !r.isTitleRequest && JSON.stringify(r.messages).includes(text));
}

describe("text and reasoning", () => {
  it("streams deltas in order, then exactly one final with the whole text and usage", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("say hello", { traceId: "trace-text" });
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Hello from the stand-in, in six pieces.");
    const deltas = out.of("delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.content).join("")).toBe(result.text);
    const finals = out.of("final");
    expect(finals).toHaveLength(1);
    expect(out.replies.at(-1)).toBe(finals[0]);
    expect(finals[0]?.content).toBe(result.text);
    expect(finals[0]?.usage?.output_tokens).toBeGreaterThan(0);
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
    expect(out.replies.every((r) => r.trace_id === "trace-text")).toBe(true);
    expect(out.of("error")).toHaveLength(0);
  });

  it("sends reasoning as reasoning replies, kept out of the final text", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("think first");
    expect(result.status).toBe("completed");
    expect(
      out
        .of("reasoning")
        .map((r) => r.content)
        .join(""),
    ).toBe("Weighing it up.");
    expect(result.text).toBe("Thought it through.");
    expect(out.of("final")[0]?.content).toBe("Thought it through.");
  });
});

describe("tools and permissions", () => {
  it("emits one tool_call (args from state.input) and one tool_result per call, whatever the running updates", async () => {
    const out = collectingSink();
    const decisions: AskDecision[] = [];
    const result = await adapter(out.sink, {
      permission: () => "once",
      onDecision: (decision) => decisions.push(decision),
    }).prompt("run the growing tool");
    expect(result.status).toBe("completed");
    const calls = out.of("tool_call");
    const results = out.of("tool_result");
    expect(calls).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(calls[0]?.tool).toBe("bash");
    expect(calls[0]?.args).toMatchObject({ description: "print three lines" });
    expect(String(calls[0]?.args.command)).toContain(MARKER);
    expect(results[0]?.call_id).toBe(calls[0]?.call_id);
    expect(results[0]?.success).toBe(true);
    expect(results[0]?.result).toContain(MARKER);
    expect(result.text).toBe("The command ran.");
    expect(decisions).toEqual(result.decisions);
    expect(result.decisions).toMatchObject([
      { kind: "permission", permission: "bash", reply: "once" },
    ]);
  });

  it("rejects a permission ask by default, with a message the model gets, and the turn goes on", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("run the plain tool");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Plain tool done.");
    expect(result.decisions).toMatchObject([
      { kind: "permission", reply: "reject", message: DEFAULT_REJECT_MESSAGE },
    ]);
    const toolResult = out.of("tool_result")[0];
    expect(toolResult?.success).toBe(false);
    expect(toolResult?.result).toContain(DEFAULT_REJECT_MESSAGE);
    const followUp = lastRequestWith("run the plain tool");
    expect(JSON.stringify(followUp?.messages)).toContain("no one is present to approve it");
  });

  it("rejects a question by default and answers it through a question policy", async () => {
    const rejectedOut = collectingSink();
    const rejected = await adapter(rejectedOut.sink).prompt("ask me, reject");
    // opencode ends the turn when a question is dismissed: no error, and the tool failed.
    expect(rejected.status).toBe("completed");
    expect(rejectedOut.of("error")).toEqual([]);
    expect(rejectedOut.of("tool_result")[0]?.success).toBe(false);
    expect(rejected.decisions).toMatchObject([
      { kind: "question", reply: "reject", questions: ["Which colour?"] },
    ]);

    const out = collectingSink();
    const answered = await adapter(out.sink, {
      question: (request) => request.questions.map((q) => [q.options[1]?.label ?? ""]),
    }).prompt("ask me, answer");
    expect(answered.status).toBe("completed");
    expect(answered.decisions).toMatchObject([
      { kind: "question", reply: "answer", answers: [["Blue"]] },
    ]);
    expect(out.of("tool_result")[0]?.success).toBe(true);
    const toolMessage = lastRequestWith("ask me, answer")?.messages.find((m) => m.role === "tool");
    expect(JSON.stringify(toolMessage)).toContain("Blue");
  });
});

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

describe("sessions", () => {
  it("reuses its session: the second prompt sends the first exchange to the model", async () => {
    const a = adapter(collectingSink().sink);
    const [first, again] = await Promise.all([a.ensureSession(), a.ensureSession()]);
    expect(again).toBe(first);
    const one = await a.prompt("remember the word pelican");
    const two = await a.prompt("what was the word");
    expect(one.sessionId).toBe(first);
    expect(two.sessionId).toBe(first);
    const request = lastRequestWith("what was the word");
    const texts = JSON.stringify(request?.messages);
    expect(texts).toContain("remember the word pelican");
    // The stand-in echoed the first prompt: that assistant answer is in the history too.
    expect(request?.messages.filter((m) => m.role === "assistant").length).toBeGreaterThan(0);
  });

  it("runs concurrent prompts of one adapter one after the other, each with its own text", async () => {
    const out = collectingSink();
    const a = adapter(out.sink);
    const [one, two] = await Promise.all([
      a.prompt("first of two prompts", { traceId: "t-one" }),
      a.prompt("second of two prompts", { traceId: "t-two" }),
    ]);
    expect(one.text).toBe("first of two prompts");
    expect(two.text).toBe("second of two prompts");
    expect(two.sessionId).toBe(one.sessionId);
    const order = out.replies.map((r) => `${r.trace_id}:${r.kind}`);
    expect(order.indexOf("t-one:final")).toBeLessThan(
      order.findIndex((k) => k.startsWith("t-two:")),
    );
  });

  it("continues a conversation by config.sessionId, after checking the session exists", async () => {
    const first = adapter(collectingSink().sink);
    const turn = await first.prompt("the secret is albatross");
    const second = adapter(collectingSink().sink, { sessionId: turn.sessionId });
    expect(await second.ensureSession()).toBe(turn.sessionId);
    const next = await second.prompt("what is the secret");
    expect(next.sessionId).toBe(turn.sessionId);
    expect(JSON.stringify(lastRequestWith("what is the secret")?.messages)).toContain(
      "the secret is albatross",
    );
  });

  it("a session id that does not exist is a typed error, and prompt reports it once", async () => {
    const out = collectingSink();
    const a = adapter(out.sink, { sessionId: "ses_doesnotexist000000000000" });
    const error = await a.ensureSession().catch((e: unknown) => e);
    expect(OpenCodeSessionNotFoundError.isInstance(error)).toBe(true);
    expect((error as OpenCodeSessionNotFoundError).statusCode).toBe(404);
    expect((error as OpenCodeSessionNotFoundError).isRetryable).toBe(false);
    expect((error as OpenCodeSessionNotFoundError).url).toBe(
      `${proxy.url}/session/ses_doesnotexist000000000000`,
    );
    expect(String(error)).not.toContain(PASSWORD);
    const result = await a.prompt("hello");
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: ReplyErrorCode.SessionNotFound }),
    ]);
  });

  it("close() is idempotent; afterwards prompts fail with one error and ensureSession rejects", async () => {
    const out = collectingSink();
    const a = adapter(out.sink);
    await a.prompt("say hello");
    await Promise.all([a.close(), a.close()]);
    await a.close();
    const result = await a.prompt("say hello");
    expect(result.status).toBe("error");
    expect(out.of("error")).toMatchObject([{ code: ReplyErrorCode.AdapterClosed }]);
    const error = await a.ensureSession().catch((e: unknown) => e);
    expect(OpenCodeAdapterClosedError.isInstance(error)).toBe(true);
  });
});

describe("one event stream for every adapter", () => {
  it("only /global/event carries the sessions of another directory (why the hub subscribes there)", async () => {
    const watch = async (path: string) => {
      const controller = new AbortController();
      const response = await fetch(`${opencode.url}${path}`, {
        headers: opencode.headers,
        signal: controller.signal,
      });
      let text = "";
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const pump = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            text += decoder.decode(value, { stream: true });
          }
        } catch {
          // aborted
        }
      })();
      return {
        text: () => text,
        stop: async () => {
          controller.abort();
          await pump;
        },
      };
    };
    const create = async (query: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${opencode.url}/session${query}`, {
        method: "POST",
        headers: { ...opencode.headers, "content-type": "application/json", ...headers },
        body: "{}",
      });
      return ((await response.json()) as { id: string }).id;
    };
    const local = await watch("/event");
    const global = await watch("/global/event");
    try {
      await until(
        () =>
          local.text().includes("server.connected") && global.text().includes("server.connected"),
      );
      const byQuery = await create(`?directory=${encodeURIComponent(elsewhere)}`);
      const byHeader = await create("", { "x-opencode-directory": elsewhere });
      // A later session of the server's own directory: once /event has it, it would have had the others.
      const sentinel = await create("");
      await until(() => local.text().includes(sentinel), scaled(20_000), "the sentinel on /event");
      await until(() => global.text().includes(byQuery) && global.text().includes(byHeader));
      expect(local.text()).not.toContain(byQuery);
      expect(local.text()).not.toContain(byHeader);
      expect(global.text()).toContain(`"directory":"${elsewhere}"`);
    } finally {
      await local.stop();
      await global.stop();
    }
  });

  it("serves concurrent sessions in two directories through one subscription, without mixing", async () => {
    // Open adapters of earlier tests hold the shared stream; start from none.
    await adapters.closeAll();
    const before = proxy.subscriptions();
    const sinks = [0, 1, 2, 3].map(() => collectingSink());
    const group = sinks.map((out, i) =>
      adapter(out.sink, i % 2 === 1 ? { directory: elsewhere } : {}),
    );
    const texts = [0, 1, 2, 3].map((i) => `concurrent prompt number ${i} ${"x".repeat(i * 7)} end`);
    const results = await Promise.all(group.map((a, i) => a.prompt(texts[i] ?? "")));
    expect(proxy.subscriptions() - before).toBe(1);
    results.forEach((result, i) => {
      expect(result.status).toBe("completed");
      // The stand-in echoes the prompt: each session got its own text and nothing else.
      expect(result.text).toBe(texts[i]);
      expect(sinks[i]?.deltaText()).toBe(texts[i]);
      expect(sinks[i]?.of("final")).toHaveLength(1);
    });
    // The odd ones really live elsewhere: /event (server directory) would not carry them.
    const info = await fetch(`${opencode.url}/session/${results[1]?.sessionId}`, {
      headers: opencode.headers,
    }).then((r) => r.json() as Promise<{ directory: string }>);
    expect(info.directory).toBe(elsewhere);
  });

  it("sends Basic auth on every request, the event stream included", async () => {
    // Its own stream and requests only: the adapters of earlier tests are closed, and only
    // the requests from here on are looked at.
    await adapters.closeAll();
    const mark = proxy.requests.length;
    const result = await adapter(collectingSink().sink).prompt("say hello");
    expect(result.status).toBe("completed");
    const requests = proxy.requests.slice(mark);
    const paths = requests.map((r) => r.path.split("?")[0]);
    expect(paths).toContain("/global/event");
    expect(paths).toContain("/session");
    expect(requests.filter((r) => r.authorization !== BASIC)).toEqual([]);
  });

  it("a wrong password is a typed error on the session and the stream, not a hang", async () => {
    const out = collectingSink();
    const a = adapter(out.sink, { password: "not-the-password" });
    const mark = proxy.requests.length;
    const result = await a.prompt("say hello");
    expect(result.status).toBe("error");
    expect(out.of("error")).toMatchObject([{ code: ReplyErrorCode.Unauthorized }]);
    expect(result.error).not.toContain("not-the-password");
    const stream = proxy.requests.slice(mark).find((r) => r.path.startsWith("/global/event"));
    expect(stream?.status).toBe(401);
    const error = await a.ensureSession().catch((e: unknown) => e);
    expect(OpenCodeUnauthorizedError.isInstance(error)).toBe(true);
  });

  it("resubscribes once when the stream drops mid-turn and still delivers the whole text", async () => {
    const out = collectingSink();
    const log = memoryLogger();
    const a = adapter(out.sink, { logger: log.logger });
    await a.ensureSession();
    llm.addRule({
      match: "slow words",
      reply: {
        text: "Slow words arrive one after another, eight in all.",
        chunks: 8,
        chunkDelayMs: 150,
      },
    });
    const turn = a.prompt("slow words please");
    await until(() => out.of("delta").length >= 2, scaled(30_000), "two deltas");
    const before = proxy.subscriptions();
    expect(proxy.cutEventStreams()).toBeGreaterThan(0);
    const result = await turn;
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Slow words arrive one after another, eight in all.");
    expect(out.deltaText()).toBe(result.text);
    expect(out.of("final")).toHaveLength(1);
    expect(proxy.subscriptions() - before).toBe(1);
    expect(log.text()).toContain("resubscribed; catching up");
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

describe("attachments", () => {
  it("sends attachments as file parts with data URLs, which the real server accepts", async () => {
    const out = collectingSink();
    const content = "attached-file-content-3141";
    const result = await adapter(out.sink).prompt("describe the file", {
      attachments: [
        {
          mimeType: "text/plain",
          data: Buffer.from(content).toString("base64"),
          filename: "note.txt",
        },
        {
          mimeType: "text/plain",
          data: new TextEncoder().encode(`${content}-bytes`),
          filename: "b.txt",
        },
      ],
    });
    expect(result.status).toBe("completed");
    expect(result.text).toBe("I see the file.");
    const sent = JSON.stringify(lastRequestWith("describe the file")?.messages);
    expect(sent).toContain(content);
    expect(sent).toContain(`${content}-bytes`);
  });

  it("an attachment as {media_type, data} is refused by opencode with 400", async () => {
    const a = adapter(collectingSink().sink);
    const sessionId = await a.ensureSession();
    const response = await fetch(`${opencode.url}/session/${sessionId}/prompt_async`, {
      method: "POST",
      headers: { ...opencode.headers, "content-type": "application/json" },
      body: JSON.stringify({
        model: { providerID: "litellm", modelID: "fake-model" },
        parts: [
          { type: "text", text: "hello" },
          { type: "file", media_type: "text/plain", data: Buffer.from("x").toString("base64") },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("mime");
  });
});

import { scaled } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import {
  OpenCodeAdapterClosedError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  ReplyErrorCode,
} from "../src/index.js";
import {
  adapter,
  adapters,
  BASIC,
  elsewhere,
  lastRequestWith,
  llm,
  opencode,
  PASSWORD,
  proxy,
  useRealStack,
} from "./real-stack.js";
import { collectingSink, memoryLogger, until } from "./support.js";

useRealStack();

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

/**
 * Faults: a real server killed mid-turn, and, with a tiny fake server, the faults the
 * real one cannot show on demand (silence, no server.connected, an ignored abort, a
 * silent failure, garbage on the stream, stale events).
 */
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReplyErrorCode } from "../src/index.js";

import { statusEvent, textTurnEvents, userMessageEvent } from "./fake-opencode.js";
import { adapter, closeAfterEach, fake, timers } from "./fault-support.js";
import { collectingSink, memoryLogger, until } from "./support.js";

closeAfterEach();

describe("the real server killed mid-turn", () => {
  let llm: FakeLiteLLM;
  let opencode: OpenCodeInTempHome;

  beforeAll(async () => {
    llm = await startFakeLiteLLM({
      keys: ["sk-faults"],
      rules: [
        {
          match: "stall",
          reply: { stall: { ms: 120_000, afterChunks: 1, text: "Half an answer" } },
        },
      ],
    });
    opencode = await startOpenCodeInTempHome({
      homePrefix: "taos-adapter-faults-",
      password: "pw-faults",
      config: buildOpenCodeConfig({
        baseURL: llm.url,
        apiKey: "sk-faults",
        modelIds: ["fake-model"],
      }),
    });
  });

  afterAll(async () => {
    await opencode?.stop();
    await llm?.close();
  });

  it(
    "ends the turn with one error (no final) when the stream dies and the resubscribe fails",
    async () => {
      const out = collectingSink();
      const a = adapter(opencode.url, out.sink, {
        password: "pw-faults",
        connectTimeoutMs: 2_000,
        silenceTimeoutMs: 5_000,
      });
      const turn = a.prompt("stall here");
      await until(() => out.of("delta").length > 0, scaled(30_000), "the first delta");
      process.kill(opencode.pid, "SIGKILL");
      const result = await turn;
      expect(result.status).toBe("error");
      expect(out.of("error")).toHaveLength(1);
      expect(out.of("error")[0]?.code).toBe(ReplyErrorCode.EventStreamLost);
      expect(out.of("final")).toHaveLength(0);
      expect(out.replies.at(-1)?.kind).toBe("error");
    },
    scaled(120_000),
  );
});

describe("a fake server for faults", () => {
  it("a stream silent past silenceTimeoutMs (no heartbeat either) fails the turn", async () => {
    const baseline = timers();
    const server = await fake({});
    const out = collectingSink();
    const a = adapter(server.url, out.sink, { silenceTimeoutMs: 300 });
    const result = await a.prompt("anything");
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: ReplyErrorCode.EventStreamSilence }),
    ]);
    await a.close();
    expect(timers()).toBeLessThanOrEqual(baseline);
  });

  it("a stream quiet past silenceTimeoutMs whose probe comes back (a busy opencode) carries the turn on", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        const user = s.lastMessageId();
        s.send(userMessageEvent(sessionID, user));
        s.send(statusEvent(sessionID, "busy"));
        // Blocked for 1.5 limits: nothing, not even a heartbeat; then the answer.
        setTimeout(() => {
          for (const event of textTurnEvents(sessionID, "late but whole", user)) s.send(event);
        }, 450);
      },
    });
    const out = collectingSink();
    const log = memoryLogger();
    const result = await adapter(server.url, out.sink, {
      silenceTimeoutMs: 300,
      logger: log.logger,
    }).prompt("anything");
    expect(result).toMatchObject({ status: "completed", text: "late but whole" });
    expect(log.text()).toMatch(/quiet past the silence limit; probing it/);
    expect(server.requests.filter((r) => r.path === "/tui/show-toast").length).toBeGreaterThan(1);
  });

  it("a quiet stream whose probe never comes back fails the turn with event_stream_silence", async () => {
    // The opening's probe comes back; the silence probe does not.
    const server = await fake({ toastsEchoed: 1 });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink, {
      silenceTimeoutMs: 300,
      connectTimeoutMs: 2_000,
    }).prompt("anything");
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: ReplyErrorCode.EventStreamSilence }),
    ]);
  });

  it("a stream that never says server.connected fails within connectTimeoutMs, before any prompt", async () => {
    const server = await fake({ connected: false });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink, { connectTimeoutMs: 300 }).prompt(
      "anything",
    );
    expect(result.status).toBe("error");
    expect(out.of("error")[0]?.code).toBe(ReplyErrorCode.EventStreamConnect);
    expect(server.requests.some((r) => r.path.endsWith("/prompt_async"))).toBe(false);
  });

  it("an abort the server never honours still ends the turn, aborted, after the grace", async () => {
    const baseline = timers();
    const server = await fake({
      ignoreAbort: true,
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
      },
    });
    const out = collectingSink();
    const controller = new AbortController();
    const a = adapter(server.url, out.sink, { abortGraceMs: 200, silenceTimeoutMs: 60_000 });
    const turn = a.prompt("long job", { signal: controller.signal });
    await until(() => server.requests.some((r) => r.path.endsWith("/prompt_async")));
    controller.abort();
    const result = await turn;
    expect(result.status).toBe("aborted");
    expect(server.requests.some((r) => r.path.endsWith("/abort"))).toBe(true);
    expect(out.replies).toEqual([expect.objectContaining({ kind: "error", code: "aborted" })]);
    await a.close();
    expect(timers()).toBeLessThanOrEqual(baseline);
  });

  it("waits until a new subscription really gets events (opencode says connected too early)", async () => {
    const server = await fake({
      liveAfterMs: 300,
      onPrompt: (s, sessionID) => {
        for (const event of textTurnEvents(sessionID, "Not one event lost.", s.lastMessageId()))
          s.send(event);
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Not one event lost.");
    // The first probes fell into the dead window; one came back, and only then the prompt went out.
    const paths = server.requests.map((r) => r.path);
    expect(paths.filter((p) => p === "/tui/show-toast").length).toBeGreaterThan(1);
    expect(paths.lastIndexOf("/tui/show-toast")).toBeLessThan(
      paths.findIndex((p) => p.endsWith("/prompt_async")),
    );
  });

  it("an abort before the prompt is sent sends nothing and ends aborted", async () => {
    const server = await fake({});
    const controller = new AbortController();
    controller.abort();
    const result = await adapter(server.url, collectingSink().sink).prompt("never sent", {
      signal: controller.signal,
    });
    expect(result.status).toBe("aborted");
    expect(server.requests.some((r) => r.path.endsWith("/prompt_async"))).toBe(false);
  });
});

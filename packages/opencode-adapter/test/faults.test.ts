/**
 * Faults: a real server killed mid-turn, and, with a tiny fake server, the faults the
 * real one cannot show on demand (silence, no server.connected, an ignored abort, a
 * silent failure, garbage on the stream, stale events).
 */
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_REJECT_MESSAGE,
  OpenCodeAdapter,
  type OpenCodeAdapterConfig,
  type Reply,
  ReplyErrorCode,
} from "../src/index.js";

import {
  type FakeOpenCode,
  startFakeOpenCode,
  statusEvent,
  textTurnEvents,
  userMessageEvent,
} from "./fake-opencode.js";
import { collectingSink, memoryLogger, until } from "./support.js";

const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

function adapter(
  baseUrl: string,
  sink: (reply: Reply) => void | Promise<void>,
  config: Partial<OpenCodeAdapterConfig> = {},
): OpenCodeAdapter {
  const created = new OpenCodeAdapter({ baseUrl, modelId: "fake-model", ...config }, sink);
  open.push(created);
  return created;
}

async function fake(options: Parameters<typeof startFakeOpenCode>[0]): Promise<FakeOpenCode> {
  const server = await startFakeOpenCode(options);
  open.push(server);
  return server;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

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

  it("an idle turn with no output and no session.error reports the last message's info.error", async () => {
    const messages: unknown[] = [];
    const server = await fake({
      messages,
      onPrompt: (s, sessionID) => {
        const user = s.lastMessageId();
        messages.push(
          { info: { id: user, role: "user" }, parts: [] },
          {
            info: {
              id: `${user}a`,
              role: "assistant",
              parentID: user,
              error: {
                name: "ProviderModelNotFoundError",
                data: { message: "Model not found: litellm/nope" },
              },
            },
            parts: [],
          },
        );
        s.send(userMessageEvent(sessionID, user));
        s.send(statusEvent(sessionID, "busy"));
        s.send(statusEvent(sessionID, "idle"));
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("error");
    expect(result.error).toBe("Model not found: litellm/nope");
    expect(out.replies).toEqual([
      expect.objectContaining({
        kind: "error",
        code: "model_not_found",
        opencode_error: "ProviderModelNotFoundError",
      }),
    ]);
  });

  it("past maxRetries, retries opencode reports before it honours the abort are not passed to onStatus", async () => {
    const retry = (sessionID: string, attempt: number): unknown => ({
      id: `evt_retry${attempt}`,
      type: "session.status",
      properties: {
        sessionID,
        status: { type: "retry", attempt, message: `upstream down (${attempt})`, next: 0 },
      },
    });
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        // Attempt 2 spends a budget of 1; opencode is still retrying when attempt 3 comes.
        for (const attempt of [1, 2, 3]) s.send(retry(sessionID, attempt));
        s.send(statusEvent(sessionID, "idle"));
      },
    });
    const out = collectingSink();
    const statuses: unknown[] = [];
    const result = await adapter(server.url, out.sink).prompt("hello", {
      maxRetries: 1,
      onStatus: (update) => statuses.push(update),
    });
    expect(result.code).toBe("upstream_unavailable");
    expect(result.error).toBe("the model call still failed after 1 retries: upstream down (2)");
    expect(statuses).toEqual([
      { type: "busy" },
      { type: "retry", attempt: 1, message: "upstream down (1)", next: 0 },
      { type: "retry", attempt: 2, message: "upstream down (2)", next: 0 },
      { type: "idle" },
    ]);
    expect(out.of("error")).toHaveLength(1);
  });

  it("skips non-JSON, unknown and sync events, and idle events from before the prompt", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.raw("data: this is not json\n\n");
        s.raw(": a comment line\n\n");
        s.send({ type: "sync", syncEvent: { type: "session.updated.1" } });
        s.send({ id: "evt_u", type: "mystery.event", properties: { sessionID } });
        // Left over from an earlier turn on this session: must not end this one.
        s.send({ id: "evt_s", type: "session.idle", properties: { sessionID } });
        s.send({
          id: "evt_e",
          type: "session.error",
          properties: { sessionID, error: { name: "UnknownError", data: { message: "old" } } },
        });
        for (const event of textTurnEvents(sessionID, "Fresh answer.", s.lastMessageId()))
          s.send(event);
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Fresh answer.");
    expect(out.of("final")).toEqual([expect.objectContaining({ content: "Fresh answer." })]);
  });

  it("ignores another message's tail: only replies to this prompt's user message count", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        const events = textTurnEvents(sessionID, "Only this.", s.lastMessageId());
        // The user message of this prompt and busy first, then the tail of an older reply.
        for (const event of events.slice(0, 2)) s.send(event);
        s.send({
          id: "evt_old1",
          type: "message.updated",
          properties: {
            sessionID,
            info: {
              id: "msg_fake000000z",
              sessionID,
              role: "assistant",
              parentID: "msg_fake000000y",
            },
          },
        });
        s.send({
          id: "evt_old2",
          type: "message.part.updated",
          properties: {
            sessionID,
            part: {
              id: "prt_old_tool",
              messageID: "msg_fake000000z",
              sessionID,
              type: "tool",
              tool: "bash",
              callID: "call_old",
              state: {
                status: "completed",
                input: { command: "sleep 30" },
                output: "User aborted",
              },
            },
          },
        });
        s.send({
          id: "evt_old3",
          type: "message.part.delta",
          properties: {
            sessionID,
            messageID: "msg_fake000000z",
            partID: "prt_old",
            field: "text",
            delta: "OLD ",
          },
        });
        for (const event of events.slice(2)) s.send(event);
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Only this.");
    expect(out.replies.map((r) => r.kind)).toEqual(["delta", "delta", "final"]);
  });

  it("answers a permission with the default when the policy throws, and reports it", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        s.send({
          id: "evt_p",
          type: "permission.asked",
          properties: {
            id: "per_1",
            sessionID,
            permission: "edit",
            patterns: ["a.txt"],
            always: [],
            metadata: {},
          },
        });
        // Another session's ask is none of ours.
        s.send({
          id: "evt_q",
          type: "permission.asked",
          properties: { id: "per_other", sessionID: "ses_other", permission: "bash", patterns: [] },
        });
      },
    });
    const log = memoryLogger();
    const out = collectingSink();
    const a = adapter(server.url, out.sink, {
      logger: log.logger,
      permission: () => {
        throw new Error("policy bug");
      },
    });
    const turn = a.prompt("edit it");
    await until(() => server.requests.some((r) => r.path.startsWith("/permission/")));
    const sessionID = a.sessionId ?? "";
    for (const event of textTurnEvents(sessionID, "Done anyway.", server.lastMessageId()))
      server.send(event);
    const result = await turn;
    expect(result.status).toBe("completed");
    const replies = server.requests.filter((r) => r.path.startsWith("/permission/"));
    expect(replies).toEqual([
      {
        method: "POST",
        path: "/permission/per_1/reply",
        body: { reply: "reject", message: DEFAULT_REJECT_MESSAGE },
      },
    ]);
    expect(result.decisions).toMatchObject([
      { kind: "permission", requestId: "per_1", reply: "reject" },
    ]);
    expect(log.text()).toContain("policy bug");
  });

  it("a subagent's session: its ask is answered by the turn's policy, its text never reaches the sink", async () => {
    const CHILD = "ses_child_of_turn";
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        // opencode announces a subagent's session with its parent's id.
        s.send({
          id: "evt_c",
          type: "session.created",
          properties: { sessionID: CHILD, info: { id: CHILD, parentID: sessionID, title: "sub" } },
        });
      },
    });
    const asked: string[] = [];
    const out = collectingSink();
    const a = adapter(server.url, out.sink, {
      permission: (request) => {
        asked.push(`${request.sessionId}:${request.permission}`);
        return "once";
      },
    });
    const turn = a.prompt("delegate it");
    await until(() => server.requests.some((r) => r.path.endsWith("/prompt_async")));
    const sessionID = a.sessionId ?? "";
    // The subagent's own turn: an ask, then its text, all on its session.
    for (const event of [
      {
        id: "evt_cp",
        type: "permission.asked",
        properties: { id: "per_child", sessionID: CHILD, permission: "bash", patterns: ["ls"] },
      },
      statusEvent(CHILD, "busy"),
      ...textTurnEvents(CHILD, "The subagent's own words.", "msg_child_user"),
    ])
      server.send(event);
    await until(() => server.requests.some((r) => r.path === "/permission/per_child/reply"));
    for (const event of textTurnEvents(sessionID, "Delegated.", server.lastMessageId()))
      server.send(event);
    const result = await turn;
    expect(result).toMatchObject({ status: "completed", text: "Delegated." });
    expect(asked).toEqual([`${CHILD}:bash`]);
    expect(result.decisions).toMatchObject([
      { kind: "permission", requestId: "per_child", reply: "once" },
    ]);
    expect(JSON.stringify(out.replies)).not.toContain("subagent's own words");
  });

  describe("a continued session whose stream drops right after prompt_async", () => {
    const PREVIOUS_USER = "msg_000000000001prevUserAAAAAA";
    const previousTurn = [
      { info: { id: PREVIOUS_USER, role: "user" }, parts: [] },
      {
        info: {
          id: "msg_000000000002prevAnswerAAAA",
          role: "assistant",
          parentID: PREVIOUS_USER,
          time: { created: 1, completed: 2 },
        },
        parts: [
          {
            id: "prt_prev",
            messageID: "msg_000000000002prevAnswerAAAA",
            type: "text",
            text: "The previous answer.",
          },
        ],
      },
    ];

    async function continuedTurn(options: Parameters<typeof startFakeOpenCode>[0]) {
      const server = await fake({
        ...options,
        // opencode has not stored the new prompt yet when the stream drops.
        onPrompt: (s) => s.dropStreams(),
      });
      const out = collectingSink();
      const a = adapter(server.url, out.sink, { sessionId: "ses_continued" });
      const turn = a.prompt("the next question");
      // The catch-up has run on the new stream: now opencode gets to the prompt.
      await until(() => server.requests.some((r) => r.path === "/session/status"));
      for (const event of textTurnEvents(
        "ses_continued",
        "The new answer.",
        server.lastMessageId(),
      ))
        server.send(event);
      return { result: await turn, out, server };
    }

    it("never adopts the previous turn's user message: the answer is this prompt's", async () => {
      const { result, out, server } = await continuedTurn({ messages: previousTurn });
      expect(result.status).toBe("completed");
      expect(result.text).toBe("The new answer.");
      expect(out.of("final")).toEqual([expect.objectContaining({ content: "The new answer." })]);
      const prompt = server.requests.find((r) => r.path.endsWith("/prompt_async"));
      expect((prompt?.body as { messageID?: string } | undefined)?.messageID).toMatch(
        /^msg_[0-9a-f]{12}/,
      );
    });

    it("copes when opencode cannot list the session's messages (400 after a structured-output prompt)", async () => {
      const { result } = await continuedTurn({
        messages: (limit) =>
          limit === 1
            ? { status: 200, body: previousTurn.slice(-1) }
            : {
                status: 400,
                body: { name: "BadRequest", data: { message: "Expected OutputFormatJsonSchema" } },
              },
      });
      expect(result.status).toBe("completed");
      expect(result.text).toBe("The new answer.");
    });
  });
});

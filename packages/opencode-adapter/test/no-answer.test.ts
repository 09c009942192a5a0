/**
 * Trust no silence: a prompt opencode accepts but never answers ends with one error reply
 * (`no_answer`), and opencode's own server errors carry its name and ref. The event
 * sequences are the ones opencode 1.18.33 sent when it was broken by an early abort with
 * `OPENCODE_DISABLE_SHARE` set (recorded with raw HTTP): the user message, busy, idle,
 * and a few ms later a `session.error` "All fibers interrupted without error".
 */
import { afterEach, describe, expect, it } from "vitest";
import { errorBody } from "../src/client/http.js";
import { OpenCodeAdapter, type Reply, ReplyErrorCode } from "../src/index.js";
import { emptyTurnEnding } from "../src/turn/turn-end.js";
import {
  assistantMessageEvent,
  type FakeOpenCode,
  startFakeOpenCode,
  statusEvent,
  userMessageEvent,
} from "./fake-opencode.js";
import { collectingSink, memoryLogger } from "./support.js";

const open: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function fake(options: Parameters<typeof startFakeOpenCode>[0]): Promise<FakeOpenCode> {
  const server = await startFakeOpenCode(options);
  open.push(server);
  return server;
}

function adapter(
  url: string,
  sink: (reply: Reply) => void,
  logger?: ReturnType<typeof memoryLogger>["logger"],
): OpenCodeAdapter {
  const created = new OpenCodeAdapter(
    { baseUrl: url, modelId: "fake-model", ...(logger ? { logger } : {}) },
    sink,
  );
  open.push(created);
  return created;
}

/** opencode 1.18.33's late error for a prompt it failed in `SessionPrompt.getModel`. */
function fibersError(sessionID: string): unknown {
  return {
    id: "evt_late",
    type: "session.error",
    properties: {
      sessionID,
      error: {
        name: "UnknownError",
        data: {
          message:
            "Error: All fibers interrupted without error\n    at xH (/$bunfs/root/chunk-c6vzj92n.js:12:1887)\n    at SessionPrompt.getModel (/$bunfs/root/chunk-p1c43e92.js:1142:1042)",
        },
      },
    },
  };
}

/** The user message is stored, the session goes busy then idle: no assistant message at all. */
function unanswered(late: boolean) {
  return (s: FakeOpenCode, sessionID: string): void => {
    const user = s.lastMessageId();
    s.send(userMessageEvent(sessionID, user));
    s.send(statusEvent(sessionID, "busy"));
    s.send(statusEvent(sessionID, "idle"));
    s.send({ id: "evt_idle", type: "session.idle", properties: { sessionID } });
    if (late) setTimeout(() => s.send(fibersError(sessionID)), 5);
  };
}

describe("a prompt opencode never answers", () => {
  it("ends with one no_answer error carrying opencode's late session.error, never an empty final", async () => {
    const messages: unknown[] = [];
    const server = await fake({ messages, onPrompt: unanswered(true) });
    const out = collectingSink();
    const log = memoryLogger();
    const result = await adapter(server.url, out.sink, log.logger).prompt("hello");
    expect(result).toMatchObject({ status: "error", code: ReplyErrorCode.NoAnswer });
    expect(out.replies).toEqual([
      {
        kind: "error",
        trace_id: expect.any(String),
        code: "no_answer",
        opencode_error: "UnknownError",
        error:
          "opencode accepted the prompt but produced no answer (opencode: Error: All fibers interrupted without error)",
      },
    ]);
    expect(
      log.lines.some((line) => line.level === "warn" && /without answering/.test(line.msg ?? "")),
    ).toBe(true);
  });

  it("ends with no_answer when no late error comes either", async () => {
    const server = await fake({ messages: [], onPrompt: unanswered(false) });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([expect.objectContaining({ kind: "error", code: "no_answer" })]);
    expect(out.replies[0]).not.toHaveProperty("opencode_error");
  });

  it("an answer message that finished with empty text is a completed turn, logged at warn", async () => {
    const messages: unknown[] = [];
    const server = await fake({
      messages,
      onPrompt: (s, sessionID) => {
        const user = s.lastMessageId();
        messages.push(
          { info: { id: user, role: "user" }, parts: [] },
          {
            info: { id: `${user}a`, role: "assistant", parentID: user, time: { completed: 1 } },
            parts: [],
          },
        );
        s.send(userMessageEvent(sessionID, user));
        s.send(statusEvent(sessionID, "busy"));
        s.send(assistantMessageEvent(sessionID, `${user}a`, user));
        s.send(statusEvent(sessionID, "idle"));
      },
    });
    const out = collectingSink();
    const log = memoryLogger();
    const result = await adapter(server.url, out.sink, log.logger).prompt("hello");
    expect(result).toMatchObject({ status: "completed", text: "" });
    expect(out.replies).toEqual([expect.objectContaining({ kind: "final", content: "" })]);
    expect(
      log.lines.some((line) => line.level === "warn" && /empty answer/.test(line.msg ?? "")),
    ).toBe(true);
  });
});

describe("a 5xx from opencode on the prompt", () => {
  it("is one opencode_server_error reply with opencode's error name and ref", async () => {
    const server = await fake({
      promptAnswer: {
        status: 500,
        body: {
          name: "UnknownError",
          data: {
            message: "Unexpected server error. Check server logs for details.",
            ref: "err_c6759235",
          },
        },
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result).toMatchObject({
      status: "error",
      code: ReplyErrorCode.OpenCodeServerError,
      opencodeError: "UnknownError",
      opencodeRef: "err_c6759235",
    });
    expect(out.replies).toEqual([
      expect.objectContaining({
        kind: "error",
        code: "opencode_server_error",
        opencode_error: "UnknownError",
        opencode_ref: "err_c6759235",
      }),
    ]);
    expect(out.replies[0]?.kind === "error" && out.replies[0].error).toMatch(
      /HTTP 500: Unexpected server error.*\(ref err_c6759235\)/,
    );
  });
});

describe("emptyTurnEnding (the rule)", () => {
  const failure = { error: "boom", code: ReplyErrorCode.OpenCodeError };
  it.each([
    ["no stored answer", { found: false } as const, false, "no_answer"],
    [
      "no stored answer, though the stream showed one",
      { found: false } as const,
      true,
      "emptyAnswer",
    ],
    ["unreadable, none seen", undefined, false, "no_answer"],
    ["unreadable, one seen", undefined, true, "emptyAnswer"],
    [
      "a stored answer without error",
      { found: true, failure: undefined } as const,
      false,
      "emptyAnswer",
    ],
    ["a stored answer with an error", { found: true, failure } as const, false, "opencode_error"],
  ])("%s", (_name, stored, seen, expected) => {
    const ending = emptyTurnEnding(stored, seen);
    expect(ending.kind === "failed" ? ending.failure.code : ending.kind).toBe(expected);
  });
});

describe("errorBody (opencode's error bodies)", () => {
  it.each([
    [
      '{"name":"UnknownError","data":{"message":"m","ref":"err_1"}}',
      { detail: "m", opencodeError: "UnknownError", ref: "err_1" },
    ],
    ['{"message":"plain"}', { detail: "plain" }],
    ['{"name":"Bad name!","data":{"message":"m","ref":"a b"}}', { detail: "m" }],
    ['{"name":"NotFoundError"}', { opencodeError: "NotFoundError" }],
    ["not json", { detail: "not json" }],
    ["", {}],
  ])("%s", (text, expected) => {
    expect(errorBody(text)).toEqual(expected);
  });
});

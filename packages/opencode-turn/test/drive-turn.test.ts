import { REDACTED } from "@taos/internal";
import {
  OpenCodeAdapterClosedError,
  type OpenCodeAdapterConfig,
  OpenCodeAdapterConfigError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  type Reply,
  type Sink,
  type TurnResult,
  UnsupportedOpenCodeVersionError,
  UnsupportedServerVersionError,
} from "@taos/opencode-adapter";
import { describe, expect, it } from "vitest";
import {
  type AdapterFactory,
  type DriveTurnOptions,
  driveTurn,
  type TurnAdapter,
} from "../src/index.js";

// A scripted stand-in for OpenCodeAdapter: only for failures the real one cannot be made to show.
interface Script {
  readonly session?: string | Error;
  readonly replies?: readonly Reply[];
  readonly result?: TurnResult | Error;
  readonly closeError?: Error;
}

interface Recorded {
  config?: OpenCodeAdapterConfig;
  promptText?: string;
  promptOptions?: Parameters<TurnAdapter["prompt"]>[1];
  ensureCalls: number;
  promptCalls: number;
  closeCalls: number;
}

function fakeFactory(script: Script): { factory: AdapterFactory; rec: Recorded } {
  const rec: Recorded = { ensureCalls: 0, promptCalls: 0, closeCalls: 0 };
  const factory: AdapterFactory = (config, sink) => {
    rec.config = config;
    const adapter: TurnAdapter = {
      async ensureSession() {
        rec.ensureCalls++;
        const session = script.session ?? "ses_fake";
        if (session instanceof Error) throw session;
        return session;
      },
      async prompt(text, options) {
        rec.promptCalls++;
        rec.promptText = text;
        rec.promptOptions = options;
        for (const reply of script.replies ?? []) await sink(reply);
        const result = script.result ?? { sessionId: "ses_fake", status: "completed", text: "" };
        if (result instanceof Error) throw result;
        return result;
      },
      async close() {
        rec.closeCalls++;
        if (script.closeError) throw script.closeError;
      },
    };
    return adapter;
  };
  return { factory, rec };
}

function collector(): { sink: Sink; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

const base: Omit<DriveTurnOptions, "adapterFactory"> = {
  baseUrl: "http://127.0.0.1:4096",
  modelId: "fake-model",
};

const textReplies: Reply[] = [
  { kind: "delta", trace_id: "t1", content: "Hel" },
  { kind: "delta", trace_id: "t1", content: "lo" },
  { kind: "final", trace_id: "t1", content: "Hello" },
];
const completed: TurnResult = { sessionId: "ses_fake", status: "completed", text: "Hello" };

describe("driveTurn with a scripted adapter", () => {
  it("wires the adapter's replies to the sink in order and returns the result", async () => {
    const { factory, rec } = fakeFactory({ replies: textReplies, result: completed });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual(textReplies);
    expect(result).toEqual(completed);
    expect(rec.promptText).toBe("hi");
    expect(rec.closeCalls).toBe(1);
  });

  it("hands every option to the adapter and to prompt, with the turn's trace id", async () => {
    const { factory, rec } = fakeFactory({ result: completed });
    const signal = new AbortController().signal;
    const attachments = [{ mimeType: "text/plain", data: "aGk=", filename: "a.txt" }];
    const options = {
      baseUrl: "http://127.0.0.1:5000",
      modelId: "m1",
      providerId: "corp",
      username: "u",
      password: "pw",
      sessionId: "ses_old",
      agent: "plan",
      system: "Answer briefly.",
      permission: "once",
      attachments,
      signal,
    } satisfies DriveTurnOptions;
    await driveTurn("hi", "t9", () => undefined, { ...options, adapterFactory: factory });
    // driveTurn adds its own onDecision (it feeds the turn's telemetry, then the caller's).
    expect(rec.config).toEqual({ ...options, onDecision: expect.any(Function) });
    expect(rec.promptOptions).toEqual({ ...options, traceId: "t9" });
  });

  it("turns a rejecting prompt into exactly one error reply and never throws", async () => {
    const { factory, rec } = fakeFactory({
      replies: [{ kind: "delta", trace_id: "t1", content: "par" }],
      result: new Error("socket hang up"),
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    const errors = replies.filter((r) => r.kind === "error");
    expect(errors).toEqual([
      { kind: "error", trace_id: "t1", error: "opencode turn failed: socket hang up" },
    ]);
    expect(replies.at(-1)?.kind).toBe("error");
    expect(result).toMatchObject({ sessionId: "ses_fake", status: "error" });
    expect(result.error).toContain("socket hang up");
    expect(rec.closeCalls).toBe(1);
  });

  it("reports an ensureSession failure as one error, without prompting", async () => {
    const { factory, rec } = fakeFactory({ session: new Error("ECONNREFUSED 127.0.0.1:4096") });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([
      {
        kind: "error",
        trace_id: "t1",
        error: "opencode session could not be created: ECONNREFUSED 127.0.0.1:4096",
      },
    ]);
    expect(result).toEqual({
      sessionId: "",
      status: "error",
      text: "",
      error: "opencode session could not be created: ECONNREFUSED 127.0.0.1:4096",
    });
    expect(rec.promptCalls).toBe(0);
    expect(rec.closeCalls).toBe(1);
  });

  it.each<readonly [string, Error, string]>([
    [
      "an HTTP failure",
      new OpenCodeHttpError({ method: "POST", url: "http://127.0.0.1:1/session", statusCode: 409 }),
      "http_error",
    ],
    [
      "opencode's own failure (a 5xx)",
      new OpenCodeHttpError({ method: "POST", url: "http://127.0.0.1:1/session", statusCode: 500 }),
      "opencode_server_error",
    ],
    [
      "a refused password",
      new OpenCodeUnauthorizedError({
        method: "POST",
        url: "http://127.0.0.1:1/session",
        statusCode: 401,
      }),
      "unauthorized",
    ],
    [
      "a stale session",
      new OpenCodeSessionNotFoundError({
        method: "GET",
        url: "http://127.0.0.1:1/session/ses_x",
        statusCode: 404,
        sessionId: "ses_x",
      }),
      "session_not_found",
    ],
    [
      "a server of an unsupported opencode version",
      new UnsupportedServerVersionError({
        version: "2.0.0",
        range: ">=1.3.0 <2",
        baseUrl: "http://127.0.0.1:1",
      }),
      "unsupported_opencode_version",
    ],
    [
      "a binary of an unsupported opencode version",
      new UnsupportedOpenCodeVersionError({
        version: "2.0.0",
        range: ">=1.3.0 <2",
        binary: "/usr/bin/opencode",
        advice: "Install a supported one.",
      }),
      "unsupported_opencode_version",
    ],
    [
      "a bad option",
      new OpenCodeAdapterConfigError({ field: "modelId", message: "must be a string" }),
      "invalid_input",
    ],
    ["a closed adapter", new OpenCodeAdapterClosedError(), "adapter_closed"],
    ...(["connect", "silence", "lost"] as const).map(
      (reason) =>
        [
          `an event stream failure (${reason})`,
          new OpenCodeEventStreamError({ reason, message: `stream ${reason}` }),
          `event_stream_${reason}`,
        ] as const,
    ),
  ])(
    "gives %s its code from the reply vocabulary, on the reply and the result",
    async (_, failure, code) => {
      const { factory } = fakeFactory({ session: failure });
      const { sink, replies } = collector();
      const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
      expect(replies).toEqual([{ kind: "error", trace_id: "t1", error: expect.any(String), code }]);
      expect(result).toMatchObject({ status: "error", code });
    },
  );

  it("gives no code to a failure of unknown kind, whatever code it carries", async () => {
    const failure = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const { factory } = fakeFactory({ session: failure });
    const { sink, replies } = collector();
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([
      {
        kind: "error",
        trace_id: "t1",
        error: "opencode session could not be created: connect ECONNREFUSED",
      },
    ]);
  });

  it("names the session that could not be resumed", async () => {
    const { factory } = fakeFactory({ session: new Error("session not found") });
    const { sink, replies } = collector();
    await driveTurn("hi", "t1", sink, { ...base, sessionId: "ses_gone", adapterFactory: factory });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      kind: "error",
      error: "opencode session ses_gone could not be resumed: session not found",
    });
  });

  it("reports a factory that throws or rejects, and has nothing to close", async () => {
    for (const factory of [
      (() => {
        throw new Error("bad baseUrl");
      }) as AdapterFactory,
      (async () => {
        throw new Error("bad baseUrl");
      }) as AdapterFactory,
    ]) {
      const { sink, replies } = collector();
      const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
      expect(replies).toEqual([
        {
          kind: "error",
          trace_id: "t1",
          error: "opencode adapter could not be created: bad baseUrl",
        },
      ]);
      expect(result.status).toBe("error");
    }
  });

  it("gives the error it adds the code of the adapter's result", async () => {
    const { factory } = fakeFactory({
      result: {
        sessionId: "ses_fake",
        status: "error",
        text: "",
        error: "quiet",
        code: "http_error",
      },
    });
    const { sink, replies } = collector();
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([
      { kind: "error", trace_id: "t1", error: "quiet", code: "http_error" },
    ]);
  });

  it("adds no error when the adapter already reported the failure", async () => {
    const adapterError: Reply = {
      kind: "error",
      trace_id: "t1",
      error: "Authentication Error, invalid key",
      code: "upstream_unauthorized",
      opencode_error: "APIError",
    };
    const { factory } = fakeFactory({
      replies: [adapterError],
      result: {
        sessionId: "ses_fake",
        status: "error",
        text: "",
        error: "Authentication Error, invalid key",
      },
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([adapterError]);
    expect(result.status).toBe("error");
  });

  it("adds no error when the adapter reported one and then rejected", async () => {
    const { factory } = fakeFactory({
      replies: [{ kind: "error", trace_id: "t1", error: "upstream 500" }],
      result: new Error("then it broke"),
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies.filter((r) => r.kind === "error")).toHaveLength(1);
    expect(result.status).toBe("error");
  });

  it("adds the missing error when the adapter ends a failed turn silently", async () => {
    const { factory } = fakeFactory({
      result: { sessionId: "ses_fake", status: "error", text: "", error: "model not found" },
    });
    const { sink, replies } = collector();
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([{ kind: "error", trace_id: "t1", error: "model not found" }]);
  });

  const throwingSinks: [string, Sink][] = [
    [
      "throws",
      () => {
        throw new Error("sink down");
      },
    ],
    [
      "rejects",
      async () => {
        throw new Error("sink down");
      },
    ],
  ];

  it.each(throwingSinks)(
    "never throws when the sink %s, ends as the adapter did and closes it",
    async (_, sink) => {
      const cases: [Script, TurnResult["status"]][] = [
        [{ replies: textReplies, result: completed }, "completed"],
        [{ session: new Error("no session") }, "error"],
        [{ result: new Error("prompt broke") }, "error"],
      ];
      for (const [script, status] of cases) {
        const { factory, rec } = fakeFactory(script);
        const warnings: string[] = [];
        const record = (_fields: object, message?: string): void =>
          void warnings.push(message ?? "");
        const logger = { debug: record, info: record, warn: record, error: record };
        const result = await driveTurn("hi", "t1", sink, {
          ...base,
          logger,
          adapterFactory: factory,
        });
        expect(result.status).toBe(status);
        expect(warnings).toContain("sink failed");
        expect(rec.closeCalls).toBe(1);
      }
    },
  );

  it("awaits an async sink in order", async () => {
    const { factory } = fakeFactory({ replies: textReplies, result: completed });
    const seen: string[] = [];
    const sink: Sink = async (reply) => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(reply.kind === "delta" ? reply.content : reply.kind);
    };
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(seen).toEqual(["Hel", "lo", "final"]);
  });

  it("adds no queue of its own: a sync sink takes each reply inside the adapter's call, which gets no promise back", async () => {
    const returned: unknown[] = [];
    const seenAtReturn: number[] = [];
    const replies: Reply[] = [];
    const factory: AdapterFactory = (_config, sink) => ({
      ensureSession: async () => "ses_fake",
      async prompt() {
        for (const reply of textReplies) {
          returned.push(sink(reply));
          seenAtReturn.push(replies.length);
        }
        return completed;
      },
      close: () => undefined,
    });
    await driveTurn("hi", "t1", (reply) => void replies.push(reply), {
      ...base,
      adapterFactory: factory,
    });
    expect(returned).toEqual([undefined, undefined, undefined]);
    expect(seenAtReturn).toEqual([1, 2, 3]);
  });

  it("sends its own error after the reply an async sink is still taking", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const factory: AdapterFactory = (_config, sink) => ({
      ensureSession: async () => "ses_fake",
      async prompt() {
        // Not awaited: the adapter's own bug, rejecting while the sink still works.
        void sink({ kind: "delta", trace_id: "t1", content: "slow" });
        throw new Error("adapter broke");
      },
      close: () => undefined,
    });
    const sink: Sink = async (reply) => {
      if (reply.kind === "delta") await gate;
      seen.push(reply.kind);
    };
    const turn = driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    release();
    const result = await turn;
    expect(seen).toEqual(["delta", "error"]);
    expect(result.status).toBe("error");
  });

  it("stamps the turn's trace id on every reply", async () => {
    const { factory } = fakeFactory({
      replies: [{ kind: "delta", trace_id: "", content: "x" }],
      result: completed,
    });
    const { sink, replies } = collector();
    await driveTurn("hi", "trace-42", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([{ kind: "delta", trace_id: "trace-42", content: "x" }]);
  });

  it("keeps the result when close fails", async () => {
    const { factory, rec } = fakeFactory({
      replies: textReplies,
      result: completed,
      closeError: new Error("pool busy"),
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(result).toEqual(completed);
    expect(replies).toEqual(textReplies);
    expect(rec.closeCalls).toBe(1);
  });

  it("keeps stacks and the password out of error messages", async () => {
    const failure = new Error("401 for opencode:s3cret-pw at http://127.0.0.1:4096");
    failure.stack = `Error: ${failure.message}\n    at fetch (node:internal)`;
    const { factory } = fakeFactory({ session: failure });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      password: "s3cret-pw",
      adapterFactory: factory,
    });
    const text = JSON.stringify({ replies, result });
    expect(text).not.toContain("s3cret-pw");
    expect(text).not.toContain("node:internal");
    expect(replies[0]).toMatchObject({ kind: "error" });
    expect((replies[0] as { error: string }).error).toContain(`401 for opencode:${REDACTED}`);
  });

  it("does not prompt when the signal is already aborted", async () => {
    const { factory, rec } = fakeFactory({ result: completed });
    const controller = new AbortController();
    controller.abort();
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      signal: controller.signal,
      adapterFactory: factory,
    });
    expect(result.status).toBe("aborted");
    expect(result.sessionId).toBe("ses_fake");
    expect(replies).toHaveLength(1);
    expect(replies[0]?.kind).toBe("error");
    expect(rec.promptCalls).toBe(0);
    expect(rec.closeCalls).toBe(1);
  });

  it("ends aborted, not failed, when the signal fires while the session is looked up", async () => {
    const controller = new AbortController();
    let received: AbortSignal | undefined;
    const factory: AdapterFactory = () => ({
      ensureSession: (signal) => {
        received = signal;
        controller.abort();
        return Promise.reject(new Error("This operation was aborted"));
      },
      prompt: () => Promise.reject(new Error("not reached")),
      close: () => undefined,
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      signal: controller.signal,
      adapterFactory: factory,
    });
    expect(received).toBe(controller.signal);
    expect(result).toMatchObject({ status: "aborted", sessionId: "", code: "aborted" });
    expect(replies).toEqual([
      { kind: "error", trace_id: "t1", error: "turn aborted", code: "aborted" },
    ]);
  });
});

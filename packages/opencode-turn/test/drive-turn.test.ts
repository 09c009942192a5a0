import {
  OpenCodeAdapterClosedError,
  OpenCodeAdapterConfigError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  UnsupportedOpenCodeVersionError,
  UnsupportedServerVersionError,
} from "@taos/opencode-adapter";
import { describe, expect, it } from "vitest";
import { type AdapterFactory, type DriveTurnOptions, driveTurn } from "../src/index.js";
import { base, collector, completed, fakeFactory, textReplies } from "./scripted-adapter.js";

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
});

import { describe, expect, it } from "vitest";
import {
  failureOf,
  InvalidOptionError,
  OpenCodeAdapterClosedError,
  OpenCodeAdapterConfigError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  UnsupportedOpenCodeVersionError,
  UnsupportedServerVersionError,
} from "../src/index.js";
import { refusedTurn } from "../src/internals.js";

const url = "http://127.0.0.1:1/session";

describe("failureOf a thrown error", () => {
  it.each([
    [
      "a bad option",
      new OpenCodeAdapterConfigError({ field: "x", message: "bad" }),
      "invalid_input",
    ],
    [
      "any package's bad option",
      new InvalidOptionError({ field: "x", message: "bad" }),
      "invalid_input",
    ],
    ["a closed adapter", new OpenCodeAdapterClosedError(), "adapter_closed"],
    [
      "a server's unsupported version",
      new UnsupportedServerVersionError({ version: "2.0.0", range: "<2", baseUrl: url }),
      "unsupported_opencode_version",
    ],
    [
      "a binary's unsupported version",
      new UnsupportedOpenCodeVersionError({
        version: "2.0.0",
        range: "<2",
        binary: "/b",
        advice: "",
      }),
      "unsupported_opencode_version",
    ],
    [
      "a stale session",
      new OpenCodeSessionNotFoundError({ method: "GET", url, statusCode: 404, sessionId: "s" }),
      "session_not_found",
    ],
    [
      "a refused password",
      new OpenCodeUnauthorizedError({ method: "GET", url, statusCode: 401 }),
      "unauthorized",
    ],
    [
      "an HTTP failure",
      new OpenCodeHttpError({ method: "GET", url, statusCode: 409 }),
      "http_error",
    ],
    [
      "no answer at all",
      new OpenCodeHttpError({ method: "GET", url, statusCode: undefined }),
      "http_error",
    ],
    [
      "a stream that never opened",
      new OpenCodeEventStreamError({ reason: "connect", message: "m" }),
      "event_stream_connect",
    ],
    [
      "a silent stream",
      new OpenCodeEventStreamError({ reason: "silence", message: "m" }),
      "event_stream_silence",
    ],
    [
      "a lost stream",
      new OpenCodeEventStreamError({ reason: "lost", message: "m" }),
      "event_stream_lost",
    ],
  ])("gives %s its code and its message", (_, error, code) => {
    expect(failureOf(error)).toEqual({ error: error.message, code });
  });

  it("gives a 5xx from opencode its code, opencode's error name and its ref", () => {
    const error = new OpenCodeHttpError({
      method: "POST",
      url,
      statusCode: 500,
      detail: "Unexpected server error",
      opencodeError: "UnknownError",
      ref: "err_c6759235",
    });
    expect(failureOf(error)).toEqual({
      error: error.message,
      code: "opencode_server_error",
      opencodeError: "UnknownError",
      opencodeRef: "err_c6759235",
    });
  });

  it("keeps another error's message, without a stack or the secrets given, and gives no code", () => {
    const error = new Error("refused pw-s3cret\n    at connect (net.js:1:1)");
    expect(failureOf(error, ["pw-s3cret"])).toEqual({ error: "refused [REDACTED]" });
  });

  it("maps an opencode error object by its name", () => {
    expect(failureOf({ name: "ContextOverflowError", data: { message: "too long" } })).toEqual({
      error: "too long",
      code: "context_overflow",
      opencodeError: "ContextOverflowError",
    });
  });
});

describe("refusedTurn", () => {
  it("builds one error reply and an error result, both with the code", () => {
    expect(refusedTurn("t1", "ses_1", { error: "busy", code: "pool_busy" })).toEqual({
      reply: { kind: "error", trace_id: "t1", error: "busy", code: "pool_busy" },
      result: { sessionId: "ses_1", status: "error", text: "", error: "busy", code: "pool_busy" },
    });
  });

  it("ends a failure coded aborted with status aborted, and passes opencode's error name on", () => {
    expect(refusedTurn("t2", "", { error: "turn aborted", code: "aborted" }).result.status).toBe(
      "aborted",
    );
    expect(
      refusedTurn("t3", "", { error: "e", code: "opencode_error", opencodeError: "UnknownError" }),
    ).toEqual({
      reply: {
        kind: "error",
        trace_id: "t3",
        error: "e",
        code: "opencode_error",
        opencode_error: "UnknownError",
      },
      result: {
        sessionId: "",
        status: "error",
        text: "",
        error: "e",
        code: "opencode_error",
        opencodeError: "UnknownError",
      },
    });
  });

  it("has no code when the failure has none", () => {
    expect(refusedTurn("t4", "", { error: "odd" })).toEqual({
      reply: { kind: "error", trace_id: "t4", error: "odd" },
      result: { sessionId: "", status: "error", text: "", error: "odd" },
    });
  });
});

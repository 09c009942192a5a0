import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  errorCodeOf,
  isReplyErrorCode,
  REPLY_ERROR_CODES,
  ReplyErrorCode,
  streamFailureCode,
} from "../src/error-codes.js";

const apiError = (data: Record<string, unknown>) => ({ name: "APIError", data });

describe("the vocabulary", () => {
  it("is snake_case, without duplicates", () => {
    expect(REPLY_ERROR_CODES.length).toBe(new Set(REPLY_ERROR_CODES).size);
    for (const code of REPLY_ERROR_CODES) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it("holds the codes every layer relies on", () => {
    expect(REPLY_ERROR_CODES).toEqual(
      expect.arrayContaining([
        "aborted",
        "invalid_input",
        "adapter_closed",
        "session_not_found",
        "unauthorized",
        "http_error",
        "event_stream_connect",
        "event_stream_silence",
        "event_stream_lost",
        "upstream_unauthorized",
        "upstream_rate_limited",
        "upstream_unavailable",
        "upstream_error",
        "context_overflow",
        "output_length",
        "structured_output_failed",
        "structured_output_invalid",
        "model_not_found",
        "opencode_error",
        "no_answer",
        "opencode_server_error",
        "unsupported_opencode_version",
        "server_stopped",
        "server_start_failed",
        "pool_busy",
        "agent_failing",
        "pool_closed",
        "unknown_agent",
      ]),
    );
  });

  it("tells its codes from other strings", () => {
    expect(isReplyErrorCode("pool_busy")).toBe(true);
    expect(isReplyErrorCode("MessageAbortedError")).toBe(false);
    expect(isReplyErrorCode("401")).toBe(false);
    expect(isReplyErrorCode(undefined)).toBe(false);
  });
});

describe("errorCodeOf", () => {
  it.each([
    ["an abort", { name: "MessageAbortedError", data: { message: "Aborted" } }, "aborted"],
    [
      "a proxy 401",
      apiError({ message: "Authentication Error, ...", statusCode: 401, isRetryable: false }),
      "upstream_unauthorized",
    ],
    ["a proxy 403", apiError({ message: "Forbidden", statusCode: 403 }), "upstream_unauthorized"],
    [
      "a provider without credentials",
      { name: "ProviderAuthError", data: { providerID: "litellm", message: "no key" } },
      "upstream_unauthorized",
    ],
    [
      "a 429 after the retries",
      apiError({ message: "Rate limit exceeded", statusCode: 429, isRetryable: true }),
      "upstream_rate_limited",
    ],
    [
      "a 500",
      apiError({ message: "boom", statusCode: 500, isRetryable: true }),
      "upstream_unavailable",
    ],
    ["a 503 as a string", apiError({ message: "down", statusCode: "503" }), "upstream_unavailable"],
    ["a 408", apiError({ message: "timeout", statusCode: 408 }), "upstream_unavailable"],
    [
      "a retryable error without status",
      apiError({ message: "Connection error.", isRetryable: true }),
      "upstream_unavailable",
    ],
    [
      "a refused connection without status",
      apiError({ message: "connect ECONNREFUSED 127.0.0.1:9", isRetryable: false }),
      "upstream_unavailable",
    ],
    ["another 4xx", apiError({ message: "Bad request", statusCode: 400 }), "upstream_error"],
    ["a non-retryable error without status", apiError({ message: "odd" }), "upstream_error"],
    [
      "an unknown model at the proxy",
      apiError({ message: "Invalid model name passed in model=nope", statusCode: 400 }),
      "model_not_found",
    ],
    [
      "a 400 saying the prompt is too long",
      apiError({ message: "prompt is too long: 250000 tokens", statusCode: 400 }),
      "context_overflow",
    ],
    [
      "a context overflow",
      { name: "ContextOverflowError", data: { message: "Context overflow" } },
      "context_overflow",
    ],
    ["an output limit", { name: "MessageOutputLengthError", data: {} }, "output_length"],
    [
      "a content filter",
      { name: "ContentFilterError", data: { message: "filtered" } },
      "content_filtered",
    ],
    [
      "no structured output",
      {
        name: "StructuredOutputError",
        data: { message: "Model did not produce structured output", retries: 0 },
      },
      "structured_output_failed",
    ],
    [
      "a missing model (opencode reports an UnknownError)",
      { name: "UnknownError", data: { message: "Model not found: litellm/nope." } },
      "model_not_found",
    ],
    [
      "an unreachable proxy reported as UnknownError",
      {
        name: "UnknownError",
        data: { message: "Unable to connect. Is the computer able to access the url?" },
      },
      "upstream_unavailable",
    ],
    [
      "any other UnknownError",
      { name: "UnknownError", data: { message: "weird" } },
      "opencode_error",
    ],
    ["an unknown name", { name: "SomethingNewError", data: { message: "new" } }, "opencode_error"],
    ["a message at the top level", { message: "Model not found: x/y" }, "model_not_found"],
  ])("%s", (_label, error, code) => {
    expect(errorCodeOf(error).code).toBe(code);
  });

  it("passes opencode's error name on beside the code", () => {
    expect(errorCodeOf(apiError({ statusCode: 401, message: "x" }))).toEqual({
      code: ReplyErrorCode.UpstreamUnauthorized,
      opencodeError: "APIError",
    });
    expect(errorCodeOf({ name: "MessageOutputLengthError", data: {} })).toEqual({
      code: "output_length",
      opencodeError: "MessageOutputLengthError",
    });
  });

  it("leaves the name out when there is none or it is no identifier", () => {
    expect(errorCodeOf({ data: { message: "x" } })).toEqual({ code: "opencode_error" });
    expect(errorCodeOf({ name: "has spaces and <b>", data: {} })).toEqual({
      code: "opencode_error",
    });
    expect(errorCodeOf({ name: "E".repeat(500) })).toEqual({ code: "opencode_error" });
  });

  it.each([null, undefined, "APIError", 42, [], { name: 7, data: "x" }])(
    "answers opencode_error for %j",
    (value) => {
      expect(errorCodeOf(value)).toEqual({ code: "opencode_error" });
    },
  );

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty"])(
    "maps an error named like an Object.prototype member (%s) to opencode_error",
    (name) => {
      expect(errorCodeOf({ name, data: { message: "x" } }).code).toBe("opencode_error");
    },
  );

  it("does not throw on an object whose getters throw", () => {
    const hostile = {
      get name(): string {
        throw new Error("no");
      },
    };
    const proxy = new Proxy(
      {},
      {
        get() {
          throw new Error("no");
        },
      },
    );
    expect(errorCodeOf(hostile)).toEqual({ code: "opencode_error" });
    expect(errorCodeOf(proxy)).toEqual({ code: "opencode_error" });
  });

  it("never throws and always answers a code of the vocabulary", () => {
    const opencodeShaped = fc.record(
      {
        name: fc.oneof(
          fc.constantFrom(
            "APIError",
            "UnknownError",
            "MessageAbortedError",
            "ProviderAuthError",
            "ContextOverflowError",
          ),
          fc.string(),
          fc.anything(),
        ),
        data: fc.oneof(
          fc.record(
            {
              message: fc.oneof(fc.string(), fc.anything()),
              statusCode: fc.oneof(fc.integer({ min: 0, max: 999 }), fc.string(), fc.anything()),
              isRetryable: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), opencodeShaped), (value) => {
        const result = errorCodeOf(value);
        expect(isReplyErrorCode(result.code)).toBe(true);
        if (result.opencodeError !== undefined) {
          expect(result.opencodeError).toMatch(/^[A-Za-z_$][\w$.]*$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("streamFailureCode", () => {
  it.each([
    ["connect", "event_stream_connect"],
    ["silence", "event_stream_silence"],
    ["lost", "event_stream_lost"],
  ] as const)("%s gives %s", (reason, code) => {
    expect(streamFailureCode(reason)).toBe(code);
  });
});

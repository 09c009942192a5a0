import { describe, expect, it } from "vitest";
import { errorTypeOf, isErrorType, turnOutcome } from "../src/index.js";

describe("error types", () => {
  it("accept short identifiers only", () => {
    expect(isErrorType("APIError")).toBe(true);
    expect(isErrorType("401")).toBe(true);
    expect(isErrorType("event_stream_lost")).toBe(true);
    expect(isErrorType("")).toBe(false);
    expect(isErrorType("Invalid key sk-123")).toBe(false);
    expect(isErrorType("x".repeat(65))).toBe(false);
  });

  it("come from a code, else a specific name, else _OTHER", () => {
    expect(errorTypeOf(Object.assign(new Error("m"), { code: "ECONNREFUSED" }))).toBe(
      "ECONNREFUSED",
    );
    expect(errorTypeOf(new TypeError("m"))).toBe("TypeError");
    expect(errorTypeOf(new Error("m"))).toBe("_OTHER");
    expect(errorTypeOf(undefined)).toBe("_OTHER");
    expect(errorTypeOf("text")).toBe("_OTHER");
  });

  it("of a turn: the code when it is one, else aborted or _OTHER", () => {
    expect(turnOutcome("completed", "APIError").errorType).toBeUndefined();
    expect(turnOutcome("error", "401").errorType).toBe("401");
    expect(turnOutcome("error", undefined).errorType).toBe("_OTHER");
    expect(turnOutcome("aborted", undefined).errorType).toBe("aborted");
    expect(turnOutcome("error", "not an identifier").errorType).toBe("_OTHER");
    expect(turnOutcome("error", "upstream_error", "APIError").attributes).toEqual({
      "taos.turn.outcome": "error",
      "error.type": "upstream_error",
      "taos.opencode.error": "APIError",
    });
    expect(turnOutcome("error", "upstream_error", "not a name").attributes).not.toHaveProperty(
      "taos.opencode.error",
    );
  });
});

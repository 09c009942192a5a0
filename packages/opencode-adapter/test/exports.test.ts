import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "DEFAULT_REJECT_MESSAGE",
      "ErrorCode",
      "InvalidOptionError",
      "OpenCodeAdapter",
      "OpenCodeAdapterClosedError",
      "OpenCodeAdapterConfigError",
      "OpenCodeEventStreamError",
      "OpenCodeEventType",
      "OpenCodeHttpError",
      "OpenCodeSessionNotFoundError",
      "OpenCodeUnauthorizedError",
      "REPLY_ERROR_CODES",
      "ReplyErrorCode",
      "SUPPORTED_OPENCODE_RANGE",
      "UnsupportedOpenCodeVersionError",
      "UnsupportedServerVersionError",
      "createTurnState",
      "failureOf",
      "finishTurn",
      "holdConnection",
      "isReplyErrorCode",
      "mapOpenCodeEvent",
      "mapOpenCodeEventData",
    ]);
  });

  it("keeps its plumbing in ./internals, out of the entry point", async () => {
    const internals = Object.keys(await import("../src/internals.js")).sort();
    expect(internals).toEqual([
      "CODEC_EVENT_TYPES",
      "GLOBAL_EVENT_PATH",
      "PART_SEPARATOR",
      "errorCodeOf",
      "eventSessionId",
      "isTurnEndEvent",
      "mapFrame",
      "ownership",
      "readEventHeader",
      "readFrame",
      "redactSecrets",
      "refusedTurn",
      "streamFailureCode",
      "toFileParts",
      "validateStructuredOutput",
    ]);
    const api = new Set(Object.keys(await import("../src/index.js")));
    expect(internals.filter((name) => api.has(name))).toEqual([]);
  });
});

/** Input checks: bad config and bad prompt input fail before anything is sent, naming the field. */
import { describe, expect, it } from "vitest";
import {
  OpenCodeAdapter,
  type OpenCodeAdapterConfig,
  OpenCodeAdapterConfigError,
} from "../src/index.js";
import { toFileParts } from "../src/internals.js";
import { collectingSink } from "./support.js";

const valid: OpenCodeAdapterConfig = {
  baseUrl: "http://127.0.0.1:1",
  password: "s3cret-pw",
  modelId: "fake-model",
};

function fieldOf(make: () => unknown): string | undefined {
  try {
    make();
  } catch (error) {
    if (OpenCodeAdapterConfigError.isInstance(error)) return error.field;
    throw error;
  }
  return undefined;
}

describe("config validation", () => {
  it.each([
    ["config", null],
    ["baseUrl", { ...valid, baseUrl: 42 }],
    ["baseUrl", { ...valid, baseUrl: "not a url" }],
    ["baseUrl", { ...valid, baseUrl: "ftp://127.0.0.1" }],
    ["baseUrl", { ...valid, baseUrl: "http://opencode:pw@127.0.0.1:4096" }],
    ["baseUrl", { ...valid, baseUrl: "http://127.0.0.1:4096/?x=1" }],
    ["username", { ...valid, username: "a:b" }],
    ["password", { ...valid, password: 123 }],
    ["password", { ...valid, password: "" }],
    ["modelId", { ...valid, modelId: undefined }],
    ["modelId", { ...valid, modelId: " " }],
    ["providerId", { ...valid, providerId: 7 }],
    ["sessionId", { ...valid, sessionId: "../../etc" }],
    ["directory", { ...valid, directory: "relative/dir" }],
    ["permission", { ...valid, permission: "allow" }],
    ["question", { ...valid, question: "answer" }],
    ["connectTimeoutMs", { ...valid, connectTimeoutMs: 0 }],
    ["silenceTimeoutMs", { ...valid, silenceTimeoutMs: Number.NaN }],
    ["requestTimeoutMs", { ...valid, requestTimeoutMs: -1 }],
    ["abortGraceMs", { ...valid, abortGraceMs: "2s" }],
    ["logger", { ...valid, logger: { info: () => undefined } }],
    ["onDecision", { ...valid, onDecision: "log" }],
    ["onStatus", { ...valid, onStatus: 1 }],
    ["variant", { ...valid, variant: "" }],
    ["tools", { ...valid, tools: ["bash"] }],
    ["tools.bash", { ...valid, tools: { bash: "no" } }],
    ["format", { ...valid, format: "json" }],
    ["format.schema", { ...valid, format: { type: "json_schema", schema: [] } }],
    ["askTimeoutMs", { ...valid, askTimeoutMs: Number.POSITIVE_INFINITY }],
    ["maxRetries", { ...valid, maxRetries: 1.5 }],
    ["maxRetries", { ...valid, maxRetries: -1 }],
  ])("names %s", (field, config) => {
    expect(
      fieldOf(() => new OpenCodeAdapter(config as OpenCodeAdapterConfig, () => undefined)),
    ).toBe(field);
  });

  it("accepts maxRetries: Infinity (opencode's own retries)", () => {
    expect(
      fieldOf(() => new OpenCodeAdapter({ ...valid, maxRetries: Infinity }, () => undefined)),
    ).toBe(undefined);
  });

  it("a bad prompt setting ends the turn with one invalid_input error naming options.<field>", async () => {
    const out = collectingSink();
    const adapter = new OpenCodeAdapter(valid, out.sink);
    const result = await adapter.prompt("hi", { askTimeoutMs: 0 });
    expect(result.status).toBe("error");
    expect(result.code).toBe("invalid_input");
    expect(result.error).toContain("options.askTimeoutMs");
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: "invalid_input" }),
    ]);
    await adapter.close();
  });

  it("names the sink", () => {
    expect(fieldOf(() => new OpenCodeAdapter(valid, "sink" as never))).toBe("sink");
  });

  it("never puts the password in an error message", () => {
    let message = "";
    try {
      new OpenCodeAdapter({ ...valid, password: "pw\u0000with-control" }, () => undefined);
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain("password");
    expect(message).not.toContain("with-control");
  });

  it("accepts every option at once; a given sessionId is adopted only by ensureSession()", () => {
    const adapter = new OpenCodeAdapter(
      {
        ...valid,
        username: "taos",
        providerId: "litellm",
        agent: "build",
        system: "Be brief.",
        sessionId: "ses_abc123",
        directory: "/srv/agent",
        permission: () => "once",
        question: () => "reject",
        connectTimeoutMs: 1_000,
        silenceTimeoutMs: 5_000,
        requestTimeoutMs: 5_000,
        abortGraceMs: 500,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        onDecision: () => undefined,
      },
      () => undefined,
    );
    expect(adapter.sessionId).toBeUndefined();
  });
});

describe("prompt input", () => {
  it("bad prompt input becomes one error reply naming the field, with nothing sent", async () => {
    const out = collectingSink();
    // Port 1: any request would fail with a different code than invalid_input.
    const adapter = new OpenCodeAdapter(valid, out.sink);
    const result = await adapter.prompt("look", {
      attachments: [{ mimeType: "image/png", data: "not base64!" }],
    });
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([
      expect.objectContaining({ kind: "error", code: "invalid_input" }),
    ]);
    expect(result.error).toContain("attachments[0].data");
    const empty = await adapter.prompt("");
    expect(empty.error).toContain('"text"');
    await adapter.close();
  });
});

describe("attachments to file parts", () => {
  it("turns base64 strings and bytes into data URLs, keeping the filename", () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const parts = toFileParts([
      { mimeType: "image/png", data: Buffer.from(bytes).toString("base64"), filename: "a.png" },
      { mimeType: "application/octet-stream", data: bytes },
      { mimeType: "text/plain", data: new TextEncoder().encode("xxhello").subarray(2) },
    ]);
    expect(parts).toEqual([
      { type: "file", mime: "image/png", url: "data:image/png;base64,AAEC+v8=", filename: "a.png" },
      {
        type: "file",
        mime: "application/octet-stream",
        url: "data:application/octet-stream;base64,AAEC+v8=",
      },
      {
        type: "file",
        mime: "text/plain",
        url: `data:text/plain;base64,${Buffer.from("hello").toString("base64")}`,
      },
    ]);
    // Never the {media_type, data} shape, which opencode refuses with 400.
    expect(JSON.stringify(parts)).not.toContain("media_type");
  });

  it.each([
    ["attachments", "nope"],
    ["attachments[0]", [null]],
    ["attachments[0].mimeType", [{ mimeType: "png", data: "AA==" }]],
    ["attachments[0].data", [{ mimeType: "image/png", data: "AAA" }]],
    ["attachments[0].data", [{ mimeType: "image/png", data: 12 }]],
    ["attachments[0].data", [{ mimeType: "image/png", data: "" }]],
    [
      "attachments[1].filename",
      [
        { mimeType: "text/plain", data: "AA==" },
        { mimeType: "text/plain", data: "AA==", filename: 3 },
      ],
    ],
  ])("names %s", (field, attachments) => {
    expect(fieldOf(() => toFileParts(attachments))).toBe(field);
  });
});

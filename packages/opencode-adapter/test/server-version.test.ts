import { afterEach, describe, expect, it } from "vitest";
import { OpenCodeAdapter, UnsupportedServerVersionError } from "../src/index.js";
import { type FakeOpenCode, startFakeOpenCode, textTurnEvents } from "./fake-opencode.js";
import { collectingSink, memoryLogger } from "./support.js";

// A server this adapter did not start may run any opencode: 2.x serves another API.
const open: FakeOpenCode[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

async function fake(version: string): Promise<FakeOpenCode> {
  const server = await startFakeOpenCode({
    version,
    onPrompt: (s, sessionID) => {
      for (const event of textTurnEvents(sessionID, "Answered.", s.lastMessageId())) s.send(event);
    },
  });
  open.push(server);
  return server;
}

describe("the version of a server the adapter did not start", () => {
  it("refuses opencode 2.x before sending anything: one error reply, a typed error", async () => {
    const server = await fake("2.0.0");
    const out = collectingSink();
    const adapter = new OpenCodeAdapter({ baseUrl: server.url, modelId: "m" }, out.sink);
    const result = await adapter.prompt("hello", { traceId: "t-v" });
    expect(result.status).toBe("error");
    expect(out.replies).toEqual([
      {
        kind: "error",
        trace_id: "t-v",
        error: expect.stringContaining("opencode 2.0.0"),
        code: "unsupported_opencode_version",
      },
    ]);
    expect(server.requests.map((r) => r.path)).not.toContain("/session");
    const error = await adapter.ensureSession().catch((e: unknown) => e);
    expect(UnsupportedServerVersionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ version: "2.0.0", range: ">=1.3.0 <2" });
    await adapter.close();
  });

  it("runs the turn on a supported version", async () => {
    const server = await fake("1.18.33");
    const adapter = new OpenCodeAdapter({ baseUrl: server.url, modelId: "m" }, () => undefined);
    const result = await adapter.prompt("hello");
    expect(result).toMatchObject({ status: "completed", text: "Answered." });
    await adapter.close();
  });

  it("with allowUnsupportedVersion, warns and runs the turn", async () => {
    const server = await fake("2.0.0");
    const log = memoryLogger();
    const adapter = new OpenCodeAdapter(
      { baseUrl: server.url, modelId: "m", allowUnsupportedVersion: true, logger: log.logger },
      () => undefined,
    );
    const result = await adapter.prompt("hello");
    expect(result).toMatchObject({ status: "completed", text: "Answered." });
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        obj: expect.objectContaining({ version: "2.0.0" }),
      }),
    );
    await adapter.close();
  });

  it("checks allowUnsupportedVersion's type up front", () => {
    expect(
      () =>
        new OpenCodeAdapter(
          { baseUrl: "http://127.0.0.1:9", modelId: "m", allowUnsupportedVersion: "yes" as never },
          () => undefined,
        ),
    ).toThrow(/allowUnsupportedVersion/);
  });
});

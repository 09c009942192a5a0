import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { OpenCodeServer } from "@taos/opencode-server";
import { isProcessAlive, makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachedLauncher, OpenCodePool } from "../src/index.js";
import { pidsUnder } from "./processes.js";

const KEY = "sk-attached-outside-3b9f";

let llm: FakeLiteLLM;
let outside: TempHome;
let root: TempHome;
let server: OpenCodeServer;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
  outside = await makeTempHome("taos-pool-outside-");
  root = await makeTempHome("taos-pool-attached-");
  // Run by "someone else": the pool only gets its URL and credentials.
  server = new OpenCodeServer({
    home: outside.path,
    litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["m"] },
  });
  await server.ensureRunning();
});

afterAll(async () => {
  await server?.stop();
  await llm?.close();
  await outside?.cleanup();
  await root?.cleanup();
});

describe("attachedLauncher", () => {
  it("runs turns on a server started outside the pool and never spawns or stops one", async () => {
    const { baseUrl, auth } = server;
    if (baseUrl === undefined) throw new Error("the outside server is not running");
    const pool = new OpenCodePool({
      root: root.path,
      litellm: { baseURL: llm.url },
      launcher: attachedLauncher({ remote: { baseUrl, auth } }),
    });
    await pool.register("remote", { apiKey: "sk-not-sent-anywhere", modelIds: ["m"] });
    const result = await pool.turn("remote", "over there", {
      traceId: "t-remote",
      sink: () => undefined,
    });
    expect(result).toMatchObject({ status: "completed", text: "over there" });
    expect(
      llm.requests
        .filter((r) => !r.isTitleRequest && r.lastUserText === "over there")
        .map((r) => r.key),
    ).toEqual([KEY]);
    expect(pidsUnder(root.path)).toEqual([]);

    const unknown = await new OpenCodePool({
      root: root.path,
      litellm: { baseURL: llm.url },
      launcher: attachedLauncher({}),
      restart: { maxExits: 1 },
    });
    await unknown.register("nowhere", { apiKey: "sk-x-123456", modelIds: ["m"] });
    const replies: unknown[] = [];
    await unknown.turn("nowhere", "hi", {
      traceId: "t-none",
      sink: (reply) => void replies.push(reply),
    });
    expect(replies).toEqual([
      expect.objectContaining({
        code: "agent_failing",
        error: expect.stringContaining("no attached server"),
      }),
    ]);
    await unknown.close();

    await pool.close();
    const pid = server.pid;
    expect(pid !== undefined && isProcessAlive(pid)).toBe(true);
    expect(await server.healthCheck()).toBe(true);
  });
});

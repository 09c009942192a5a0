import { access, readdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { Reply } from "@taos/opencode-adapter";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostHandler, RemotePool, SIGNATURE_HEADERS, signRequest } from "../src/index.js";
import { bytesOf, SECRET, startHost, type TestHost } from "./hosts.js";

// Two hosts on this machine: an agent moves from A to B and keeps its conversation.
const KEY = "sk-host-mover-4f1c2a";
const SETTINGS = { apiKey: KEY, modelIds: ["m"] };

let llm: FakeLiteLLM;
let a: TestHost;
let b: TestHost;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
  a = await startHost("a", llm.url);
  b = await startHost("b", llm.url);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await llm?.close();
});

function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

const terminals = (replies: readonly Reply[]) =>
  replies.filter((reply) => reply.kind === "final" || reply.kind === "error");

const requestsFor = (text: string) =>
  llm.requests.filter((request) => !request.isTitleRequest && request.lastUserText === text);

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe("an agent moves between two hosts", () => {
  it("register on A, a turn, export, import on B, unregister A with deleteHome: B continues the session", async () => {
    await a.remote.register("mover", SETTINGS);
    const first = collect();
    const one = await a.remote.turn("mover", "the word is pelican", "t-1", first.sink);
    expect(one).toMatchObject({ status: "completed", text: "the word is pelican" });
    expect(terminals(first.replies)).toHaveLength(1);

    const archive = await bytesOf(await a.remote.exportAgent("mover"));
    expect(archive.includes(Buffer.from(KEY))).toBe(false);
    const manifest = await b.remote.importAgent("mover", archive, SETTINGS);
    expect(manifest).toMatchObject({ agentId: "mover", settings: { modelIds: ["m"] } });
    expect(JSON.stringify(manifest)).not.toContain(KEY);
    await a.remote.unregister("mover", { deleteHome: true });
    expect(await exists(join(a.temp.path, "mover"))).toBe(false);
    expect((await a.remote.stats()).agents).toEqual([]);

    const second = collect();
    const two = await b.remote.turn("mover", "which word?", "t-2", second.sink, {
      sessionId: one.sessionId,
    });
    expect(two).toMatchObject({ status: "completed", sessionId: one.sessionId });
    expect(terminals(second.replies)).toHaveLength(1);
    const seen = JSON.stringify(requestsFor("which word?").at(-1)?.messages ?? []);
    expect(seen).toContain("the word is pelican");
    const onB = (await b.remote.stats()).agents.find((agent) => agent.agentId === "mover");
    expect(onB).toMatchObject({ turns: 1 });
  }, 240_000);

  it("warm starts the server and its instance; the next turn finds it running", async () => {
    await b.remote.register("warmed", SETTINGS);
    await b.remote.warm("warmed");
    const stats = (await b.remote.stats()).agents.find((agent) => agent.agentId === "warmed");
    expect(stats).toMatchObject({ state: "idle", starts: 1, turns: 0 });
    const result = await b.remote.turn("warmed", "after warm", "t-w", () => undefined);
    expect(result.status).toBe("completed");
    const after = (await b.remote.stats()).agents.find((agent) => agent.agentId === "warmed");
    expect(after).toMatchObject({ starts: 1, turns: 1 });
  }, 120_000);
});

describe("requests that are not signed right run nothing", () => {
  async function send(
    method: string,
    path: string,
    body: string,
    sign: { secret?: string; timestamp?: number } | undefined,
  ): Promise<number> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (sign !== undefined) {
      const timestamp = String(sign.timestamp ?? Date.now());
      headers[SIGNATURE_HEADERS.timestamp] = timestamp;
      headers[SIGNATURE_HEADERS.signature] = signRequest(sign.secret ?? SECRET, {
        timestamp,
        method,
        pathWithQuery: path,
        body: Buffer.from(body),
      });
    }
    const response = await fetch(`${a.url}${path}`, {
      method,
      headers,
      ...(body === "" ? {} : { body }),
    });
    await response.body?.cancel();
    return response.status;
  }

  it("unsigned, wrong secret and expired: 401, nothing registered, no model call", async () => {
    const body = JSON.stringify({ api_key: KEY, model_ids: ["m"] });
    const calls = llm.requests.length;
    expect(await send("PUT", "/agents/intruder", body, undefined)).toBe(401);
    expect(await send("PUT", "/agents/intruder", body, { secret: `${SECRET}-wrong` })).toBe(401);
    const old = Date.now() - 120_000;
    expect(await send("PUT", "/agents/intruder", body, { timestamp: old })).toBe(401);
    const turn = JSON.stringify({ text: "unsigned turn", trace_id: "t-x" });
    expect(await send("POST", "/agents/intruder/turns", turn, undefined)).toBe(401);
    expect(await send("GET", "/stats", "", { secret: "nope".repeat(10) })).toBe(401);
    expect((await a.pool.stats()).agents).toEqual([]);
    expect(await readdir(a.temp.path)).toEqual([]);
    expect(llm.requests.length).toBe(calls);
  });

  it("a replayed request is refused: the agent it registered, once removed, stays removed", async () => {
    const body = JSON.stringify({ api_key: KEY, model_ids: ["m"] });
    const timestamp = String(Date.now());
    const path = "/agents/replayed";
    const headers = {
      "content-type": "application/json",
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.signature]: signRequest(SECRET, {
        timestamp,
        method: "PUT",
        pathWithQuery: path,
        body: Buffer.from(body),
      }),
    };
    const first = await fetch(`${a.url}${path}`, { method: "PUT", headers, body });
    expect(first.status).toBe(204);
    await a.remote.unregister("replayed", { deleteHome: true });
    const again = await fetch(`${a.url}${path}`, { method: "PUT", headers, body });
    expect(again.status).toBe(401);
    expect((await a.pool.stats()).agents).toEqual([]);
  });

  it("bad JSON, a bad id and a bad setting are 400 naming the pool's field", async () => {
    const error = (call: Promise<unknown>) =>
      call.catch((e: unknown) => e as { field?: string; statusCode?: number });
    const badId = await error(a.remote.register("../x", SETTINGS));
    expect(badId).toMatchObject({ statusCode: 400, field: "agentId" });
    const badKey = await error(a.remote.register("ok", { apiKey: "", modelIds: ["m"] }));
    expect(badKey).toMatchObject({ statusCode: 400, field: "register.settings.apiKey" });
    const badCwd = await error(a.remote.register("ok", { ...SETTINGS, cwd: "relative" }));
    expect(badCwd).toMatchObject({ statusCode: 400, field: "register.settings.cwd" });
    expect((await a.pool.stats()).agents).toEqual([]);
  });

  it("an archive that is garbage, or oversize for the host, is refused with nothing written", async () => {
    const error = (call: Promise<unknown>) =>
      call.catch((e: unknown) => e as { code?: string; statusCode?: number });
    const garbage = await error(
      a.remote.importAgent("junk", Buffer.from("garbage ".repeat(64)), SETTINGS),
    );
    expect(garbage).toMatchObject({ statusCode: 400, code: "invalid_archive" });
    const small = createServer(
      createHostHandler(a.pool, { secret: SECRET, maxArchiveBytes: 1024 }),
    );
    await new Promise<void>((resolve) => small.listen(0, "127.0.0.1", resolve));
    const remote = new RemotePool({
      url: `http://127.0.0.1:${(small.address() as AddressInfo).port}`,
      secret: SECRET,
    });
    try {
      const big = await error(remote.importAgent("junk", Buffer.alloc(4096, 1), SETTINGS));
      expect(big).toMatchObject({ statusCode: 413, code: "body_too_large" });
    } finally {
      await remote.close();
      small.closeAllConnections();
      small.close();
    }
    expect(await readdir(a.temp.path)).toEqual([]);
    expect((await a.pool.stats()).agents).toEqual([]);
  });
});

describe("turns that lose their other end", () => {
  it("a client abort stops the host's turn: the server is idle again", async () => {
    llm.setRules([{ match: "stall for abort", reply: { stall: { ms: 120_000 } } }]);
    try {
      await b.remote.register("aborted", SETTINGS);
      const abort = new AbortController();
      const { sink, replies } = collect();
      const running = b.remote.turn("aborted", "stall for abort", "t-ab", sink, {
        signal: abort.signal,
      });
      await expect.poll(() => requestsFor("stall for abort").length, { timeout: 90_000 }).toBe(1);
      abort.abort();
      const result = await running;
      expect(result.status).toBe("aborted");
      expect(terminals(replies)).toEqual([
        expect.objectContaining({ kind: "error", code: "aborted" }),
      ]);
      await expect
        .poll(
          async () =>
            (await b.pool.stats()).agents.find((agent) => agent.agentId === "aborted")?.state,
          { timeout: 30_000 },
        )
        .toBe("idle");
    } finally {
      llm.setRules([]);
    }
  }, 150_000);

  it("a host that dies mid-turn gives one host_unreachable reply", async () => {
    llm.setRules([{ match: "stall for death", reply: { stall: { ms: 120_000 } } }]);
    const doomed = createServer(createHostHandler(b.pool, { secret: SECRET }));
    await new Promise<void>((resolve) => doomed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(doomed.address() as AddressInfo).port}`;
    const remote = new RemotePool({ url, secret: SECRET });
    try {
      const { sink, replies } = collect();
      const running = remote.turn("warmed", "stall for death", "t-dead", sink);
      await expect.poll(() => requestsFor("stall for death").length, { timeout: 90_000 }).toBe(1);
      doomed.closeAllConnections();
      doomed.close();
      const result = await running;
      expect(result).toMatchObject({ status: "error", code: "host_unreachable" });
      expect(terminals(replies)).toEqual([
        expect.objectContaining({ kind: "error", code: "host_unreachable", trace_id: "t-dead" }),
      ]);
    } finally {
      llm.setRules([]);
      await remote.close();
    }
  }, 150_000);

  it("a host that is down gives one host_unreachable reply; other calls throw HostRequestError", async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const remote = new RemotePool({ url: `http://127.0.0.1:${port}`, secret: SECRET });
    try {
      const { sink, replies } = collect();
      const result = await remote.turn("any", "hello?", "t-down", sink);
      expect(result).toMatchObject({ status: "error", code: "host_unreachable" });
      expect(replies).toEqual([
        expect.objectContaining({ kind: "error", code: "host_unreachable", trace_id: "t-down" }),
      ]);
      await expect(remote.stats()).rejects.toMatchObject({
        statusCode: 0,
        code: "host_unreachable",
        isRetryable: true,
      });
    } finally {
      await remote.close();
    }
  });
});

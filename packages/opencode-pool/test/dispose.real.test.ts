import { mkdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, scaled, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LaunchedServer, localLauncher, OpenCodePool, type PoolEvents } from "../src/index.js";
import { type GlobalEventStream, subscribeGlobalEvents } from "./global-events.js";
import { pidsUnder } from "./processes.js";

// A directory other than the agent's cwd gets its own opencode instance; once it
// has been unused for idleStopMs the pool frees that instance, while the server
// stays up because a turn in the cwd keeps it busy.
const AGENT = "worker";
const KEY = "sk-dispose-worker-8a2c61";
const STALL = "keep the server busy";
const IDLE_MS = 1_000;

let llm: FakeLiteLLM;
let temp: TempHome;
let pool: OpenCodePool;
let root: string;
let cwd: string;
let project: string;
let stream: GlobalEventStream | undefined;
const launched: LaunchedServer[] = [];
const disposals: PoolEvents["dispose"][] = [];
const starts: PoolEvents["start"][] = [];

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
  temp = await makeTempHome("taos-pool-dispose-");
  root = await realpath(temp.path);
  cwd = join(root, "cwd");
  project = join(root, "other-project");
  await mkdir(cwd);
  await mkdir(project);
  const local = localLauncher();
  pool = new OpenCodePool({
    root: join(root, "homes"),
    litellm: { baseURL: llm.url },
    idleStopMs: IDLE_MS,
    // Records each server the pool starts, to watch its events from outside the pool.
    launcher: {
      launch: async (agent) => {
        const server = await local.launch(agent);
        launched.push(server);
        return server;
      },
    },
  });
  pool.on("dispose", (event) => void disposals.push(event));
  pool.on("start", (event) => void starts.push(event));
  await mkdir(join(root, "homes"));
  await pool.register(AGENT, { apiKey: KEY, modelIds: ["m"], cwd });
});

afterAll(async () => {
  stream?.close();
  await pool?.close({ graceMs: 0 });
  await llm?.close();
  await temp?.cleanup();
});

const requestsFor = (text: string) =>
  llm.requests.filter((request) => !request.isTitleRequest && request.lastUserText === text);

const disposedIn = (directory: string) =>
  (stream?.events ?? []).filter(
    (event) =>
      event.type === "server.instance.disposed" &&
      event.directory === directory &&
      event.properties.directory === directory,
  );

async function turnIn(directory: string, text: string): Promise<void> {
  const result = await pool.turn(AGENT, text, {
    traceId: `t-${text.length}`,
    sink: () => undefined,
    directory,
  });
  expect(result).toMatchObject({ status: "completed", text });
}

describe("OpenCodePool frees unused directories' instances on the real opencode", () => {
  it(
    "a directory unused for idleStopMs is disposed in opencode (not the cwd), and a later turn there still completes",
    async () => {
      llm.setRules([{ match: STALL, reply: { stall: { ms: 120_000 } } }]);
      const abort = new AbortController();
      try {
        // A turn in the cwd stalls: the server stays busy, so only the directory can go idle.
        const stalled = pool.turn(AGENT, STALL, {
          traceId: "t-stall",
          sink: () => undefined,
          signal: abort.signal,
        });
        await expect.poll(() => requestsFor(STALL).length, { timeout: scaled(60_000) }).toBe(1);
        const server = launched[0];
        if (server === undefined) throw new Error("the pool started no server");
        stream = await subscribeGlobalEvents(server);

        await turnIn(project, "first turn in the other project");
        await vi.waitFor(() => expect(disposals).toHaveLength(1), { timeout: scaled(60_000) });
        expect(disposals).toEqual([{ agentId: AGENT, directory: project, ok: true }]);
        // opencode itself reports the disposal, for that directory only.
        await vi.waitFor(() => expect(disposedIn(project)).toHaveLength(1), {
          timeout: scaled(10_000),
        });
        expect(disposedIn(cwd)).toEqual([]);

        // The instance comes back on the same server: the turn completes, seen in that directory.
        const before = stream.events.length;
        await turnIn(project, "second turn in the other project");
        expect(
          stream.events
            .slice(before)
            .some((event) => event.directory === project && event.type === "session.status"),
        ).toBe(true);
        expect(starts).toHaveLength(1);
        expect(launched).toHaveLength(1);
        expect(disposedIn(cwd)).toEqual([]);
        expect(requestsFor(STALL)).toHaveLength(1);

        abort.abort();
        expect((await stalled).status).toBe("aborted");
      } finally {
        abort.abort();
        llm.setRules([]);
      }
    },
    scaled(120_000),
  );

  it(
    "close() stops the server: no process with the agent's home is left",
    async () => {
      stream?.close();
      await pool.close({ graceMs: 1_000 });
      expect(pidsUnder(root)).toEqual([]);
    },
    scaled(120_000),
  );
});

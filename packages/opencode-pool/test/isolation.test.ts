import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, scaled, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenCodePool, type PoolEvents, type Reply } from "../src/index.js";
import { homesWithProcesses } from "./processes.js";

// Agent A's bash tool tries to read agent B's config (its key) and database,
// with permissions that allow it: the sandbox is what stops it.
const KEY_A = "sk-isolation-a-40f2c1";
const KEY_B = "sk-isolation-b-9e77d3";

let llm: FakeLiteLLM;
let temp: TempHome;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY_A, KEY_B], models: ["m"] });
  temp = await makeTempHome("taos-pool-iso-");
  const homeB = join(temp.path, "agent-b");
  llm.setRules([
    {
      match: "read the neighbour",
      reply: {
        toolCalls: [
          {
            name: "bash",
            arguments: {
              command: `cat ${homeB}/.config/opencode/opencode.json; ls ${homeB}/.local/share/opencode`,
              description: "read another agent's files",
            },
          },
        ],
        then: { text: "Done reading." },
      },
    },
  ]);
});

afterAll(async () => {
  await llm?.close();
  await temp?.cleanup();
});

function newPool(sandbox: "bwrap" | "none", idleStopMs: number): OpenCodePool {
  return new OpenCodePool({
    root: temp.path,
    litellm: { baseURL: llm.url },
    maxServers: 2,
    sandbox,
    idleStopMs,
    permission: { bash: "allow", external_directory: "allow" },
  });
}

async function readNeighbour(pool: OpenCodePool): Promise<string> {
  const replies: Reply[] = [];
  const result = await pool.turn("agent-a", "read the neighbour", {
    traceId: "t-read",
    sink: (reply) => void replies.push(reply),
  });
  expect(result.status).toBe("completed");
  const output = replies.flatMap((reply) => (reply.kind === "tool_result" ? [reply.result] : []));
  expect(output).toHaveLength(1);
  return output[0] ?? "";
}

describe("agents cannot read each other's homes", () => {
  it('sandbox "bwrap": A cannot read B\'s key or database; an idle server stops after idleStopMs', async () => {
    await using pool = newPool("bwrap", 4_000);
    await pool.register("agent-a", { apiKey: KEY_A, modelIds: ["m"] });
    await pool.register("agent-b", { apiKey: KEY_B, modelIds: ["m"] });
    const stops: PoolEvents["stop"][] = [];
    pool.on("stop", (event) => void stops.push(event));
    // B's first turn writes its config and creates its database.
    expect(
      (await pool.turn("agent-b", "hello", { traceId: "t-b", sink: () => undefined })).status,
    ).toBe("completed");
    const output = await readNeighbour(pool);
    expect(output).not.toContain(KEY_B);
    expect(output).not.toContain("opencode.db");
    expect(output).toContain("No such file or directory");

    await expect
      .poll(() => stops.filter((stop) => stop.agentId === "agent-a").map((stop) => stop.reason), {
        timeout: scaled(30_000),
        interval: 200,
      })
      .toEqual(["idle"]);
    // The stop event comes as the stop begins; the phase says when it is over.
    await expect
      .poll(
        async () => (await pool.stats()).agents.find((agent) => agent.agentId === "agent-a")?.state,
        {
          timeout: scaled(15_000),
        },
      )
      .toBe("stopped");
    expect(homesWithProcesses(temp.path).has(join(temp.path, "agent-a"))).toBe(false);
  });

  it('sandbox "none": the same turn reads B\'s key and lists its database (the sandbox is what stops it)', async () => {
    await using pool = newPool("none", 600_000);
    await pool.register("agent-a", { apiKey: KEY_A, modelIds: ["m"] });
    await pool.register("agent-b", { apiKey: KEY_B, modelIds: ["m"] });
    const output = await readNeighbour(pool);
    expect(output).toContain(KEY_B);
    expect(output).toContain("opencode.db");
  });
});

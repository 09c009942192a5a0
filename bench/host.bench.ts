/**
 * Agents that move, and turns through a host (@taos/opencode-host):
 * - export + import of an agent with HOST_HISTORY turns of history (size, time);
 * - one turn through a host (signed HTTP, NDJSON) vs the same pool in process,
 *   alternating, HOST_ROUNDS rounds;
 * - `pool.warm` then a first turn vs a cold first turn, alternating, HOST_COLD rounds.
 *
 *   node --import tsx bench/host.bench.ts            (from the repo root, after a build)
 *   HOST_HISTORY=50 HOST_ROUNDS=20 HOST_COLD=3        (the defaults)
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startFakeLiteLLM } from "@taos/fake-litellm";
import { createHostHandler, RemotePool } from "@taos/opencode-host";
import { OpenCodePool } from "@taos/opencode-pool";
import { makeTempHome } from "@taos/testkit";
import { sizeFromEnv } from "../tooling/stack-suite/src/random.js";

const HISTORY = sizeFromEnv("HOST_HISTORY", 50);
const ROUNDS = sizeFromEnv("HOST_ROUNDS", 20);
const COLD = sizeFromEnv("HOST_COLD", 3);
const KEY = "sk-bench-host-0001";
const SECRET = "bench-host-secret-0123456789abcdefgh";
const SETTINGS = { apiKey: KEY, modelIds: ["m"] };
const log = (line: string): void => void process.stderr.write(`host.bench: ${line}\n`);

const p50 = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const began = performance.now();
  const value = await run();
  return { value, ms: performance.now() - began };
}

async function expectCompleted(result: Promise<{ status: string; error?: string }>): Promise<void> {
  const done = await result;
  if (done.status !== "completed") throw new Error(`a bench turn failed: ${done.error ?? ""}`);
}

const llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
const rootA = await makeTempHome("taos-bench-host-a-");
const rootB = await makeTempHome("taos-bench-host-b-");
const pool = new OpenCodePool({ root: rootA.path, litellm: { baseURL: llm.url }, maxServers: 2 });
const other = new OpenCodePool({ root: rootB.path, litellm: { baseURL: llm.url }, maxServers: 2 });
const server = createServer(createHostHandler(pool, { secret: SECRET }));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const remote = new RemotePool({
  url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  secret: SECRET,
});

try {
  // 1. Move an agent with history.
  await pool.register("history", SETTINGS);
  let sessionId: string | undefined;
  for (let i = 0; i < HISTORY; i++) {
    const result = await pool.turn(
      "history",
      `turn ${i} of the history`,
      `h-${i}`,
      () => undefined,
      {
        ...(sessionId === undefined ? {} : { sessionId }),
      },
    );
    if (result.status !== "completed") throw new Error(`history turn failed: ${result.error}`);
    sessionId = result.sessionId;
  }
  log(`${HISTORY} turns of history done`);
  const exported = await timed(async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of await pool.exportAgent("history")) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  });
  const imported = await timed(() => other.importAgent("history", exported.value, SETTINGS));
  const continued = await timed(() =>
    other.turn("history", "after the move", "h-moved", () => undefined, {
      sessionId: sessionId ?? "",
    }),
  );
  if (continued.value.status !== "completed") throw new Error("the moved agent's turn failed");
  log("move done");

  // 2. One turn through the host vs in process (same pool, same warm agent).
  await pool.register("hot", SETTINGS);
  await expectCompleted(pool.turn("hot", "warm up", "w-0", () => undefined));
  const local: number[] = [];
  const viaHost: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    local.push(
      (
        await timed(() =>
          expectCompleted(pool.turn("hot", `local ${i}`, `l-${i}`, () => undefined)),
        )
      ).ms,
    );
    viaHost.push(
      (
        await timed(() =>
          expectCompleted(remote.turn("hot", `remote ${i}`, `r-${i}`, () => undefined)),
        )
      ).ms,
    );
  }
  log("host vs in-process done");

  // 3. warm then a first turn vs a cold first turn.
  await pool.unregister("hot");
  await pool.unregister("history");
  const cold: number[] = [];
  const warmed: number[] = [];
  const warmCalls: number[] = [];
  for (let i = 0; i < COLD; i++) {
    await pool.register(`cold-${i}`, SETTINGS);
    cold.push(
      (
        await timed(() =>
          expectCompleted(pool.turn(`cold-${i}`, "first", `c-${i}`, () => undefined)),
        )
      ).ms,
    );
    await pool.unregister(`cold-${i}`);
    await pool.register(`warm-${i}`, SETTINGS);
    warmCalls.push((await timed(() => pool.warm(`warm-${i}`))).ms);
    warmed.push(
      (
        await timed(() =>
          expectCompleted(pool.turn(`warm-${i}`, "first", `v-${i}`, () => undefined)),
        )
      ).ms,
    );
    await pool.unregister(`warm-${i}`);
  }
  log("warm vs cold done");

  const kib = (exported.value.length / 1024).toFixed(1);
  process.stdout.write(
    [
      "## Agents on hosts: moving an agent, turns through a host, warm starts (@taos/opencode-host)",
      "",
      `Stand-in model in process; two pools (own roots) on this machine; one host handler on loopback.`,
      "",
      "| figure | value |",
      "| --- | --- |",
      `| agent with ${HISTORY} turns of history: archive size | ${kib} KiB |`,
      `| export (stop, copy, gzip tar) | ${ms(exported.ms)} |`,
      `| import (check, unpack, move sessions, register) | ${ms(imported.ms)} |`,
      `| first turn on the new host (cold start + continued session) | ${ms(continued.ms)} |`,
      `| one warm turn in process, p50 of ${ROUNDS} | ${ms(p50(local))} |`,
      `| the same turn through the host, p50 of ${ROUNDS} | ${ms(p50(viaHost))} |`,
      `| host / in process | ${(p50(viaHost) / p50(local)).toFixed(3)}x |`,
      `| cold first turn, p50 of ${COLD} | ${ms(p50(cold))} |`,
      `| \`pool.warm\` itself, p50 of ${COLD} | ${ms(p50(warmCalls))} |`,
      `| first turn after \`pool.warm\`, p50 of ${COLD} | ${ms(p50(warmed))} |`,
      `| first turn: warmed / cold | ${(p50(warmed) / p50(cold)).toFixed(3)}x |`,
      "",
    ].join("\n"),
  );
} finally {
  await remote.close();
  server.closeAllConnections();
  server.close();
  await pool.close({ graceMs: 0 });
  await other.close({ graceMs: 0 });
  await llm.close();
  await rootA.cleanup();
  await rootB.cleanup();
}

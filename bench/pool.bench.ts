/**
 * A host with many agents: N agents, at most S servers (@taos/opencode-pool), a
 * mixed workload of T turns (a few hot agents, a long tail of cold ones), C turns
 * at a time. Then the naive alternative in the same run: one OpenCodeRuntime per
 * agent, all started and kept running, the same workload. Reports turns/s, latency
 * of warm turns and of turns that paid a start, peak opencode processes, peak RSS
 * of the servers, evictions and this process's CPU per turn. The LiteLLM stand-in
 * runs in a child process so its CPU is not counted.
 *
 *   node --import tsx bench/pool.bench.ts            (from the repo root, after a build)
 *   POOL_AGENTS=24 POOL_SERVERS=6 POOL_TURNS=200 POOL_CONCURRENCY=4   (the defaults)
 *
 * The pool runs the workload twice, side by side: with its default `maxConcurrentStarts`
 * (one start per core) and with every start let through at once
 * (`maxConcurrentStarts: maxServers`, the pool before the gate). Before them, a lone cold
 * turn (start, instance set-up and first turn of an agent, nothing else running) is
 * measured LONE times: what a turn that pays a start costs at best.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { OpenCodePool } from "@taos/opencode-pool";
import { OpenCodeRuntime } from "@taos/opencode-runtime";
import { makeTempHome } from "@taos/testkit";
import { sizeFromEnv } from "../tooling/stack-suite/src/random.js";
import { poolWorkload } from "./pool-workload.js";
import { sampleProcesses } from "./process-sample.js";
import { startStandInProcess } from "./stand-in.js";

const AGENTS = sizeFromEnv("POOL_AGENTS", 24);
const SERVERS = sizeFromEnv("POOL_SERVERS", 6);
const TURNS = sizeFromEnv("POOL_TURNS", 200);
const CONCURRENCY = sizeFromEnv("POOL_CONCURRENCY", 4);
// The pool's default, as it computes it: one start per core.
const defaultStarts = Math.max(1, availableParallelism());
const LONE = sizeFromEnv("POOL_LONE", 3);
const HOT = Math.max(1, Math.round(AGENTS / 8));
const log = (line: string): void => void process.stderr.write(`pool.bench: ${line}\n`);
const ids = Array.from({ length: AGENTS }, (_, i) => `agent-${String(i).padStart(2, "0")}`);
const keyOf = (id: string): string => `sk-bench-pool-${id}`;
const loneIds = Array.from({ length: LONE }, (_, i) => `lone-${i}`);

// 60% of turns on the HOT agents, the rest spread over the tail. Seeded.
const workload = poolWorkload(AGENTS, TURNS, HOT).map((index) => ids[index] as string);

const { url: llmUrl, child: llm } = await startStandInProcess([...ids, ...loneIds].map(keyOf));

interface Figures {
  readonly wallMs: number;
  readonly warm: number[];
  readonly cold: number[];
  readonly failed: number;
  readonly peakOpencode: number;
  readonly peakRssMiB: number;
  readonly cpuMsPerTurn: number;
  readonly evictions: number;
  readonly setupMs: number;
  /** This process's CPU while the naive setup started its servers (ms). */
  readonly setupCpuMs: number;
}

type RunTurn = (
  id: string,
  text: string,
  sessionId: string | undefined,
) => Promise<{ status: string; sessionId: string }>;

async function runWorkload(
  root: string,
  run: RunTurn,
  isWarm: (id: string) => boolean,
): Promise<Omit<Figures, "evictions" | "setupMs" | "setupCpuMs">> {
  const warm: number[] = [];
  const cold: number[] = [];
  const sessions = new Map<string, string>();
  let failed = 0;
  let peakOpencode = 0;
  let peakRssMiB = 0;
  // The sampler's own CPU (it reads /proc) is not the pool's: it is taken out below.
  let samplerMicros = 0;
  const sampler = setInterval(() => {
    const before = process.cpuUsage();
    const sample = sampleProcesses(root);
    peakOpencode = Math.max(peakOpencode, sample.opencode);
    peakRssMiB = Math.max(peakRssMiB, sample.rssMiB);
    const spent = process.cpuUsage(before);
    samplerMicros += spent.user + spent.system;
  }, 250);
  const cpu = process.cpuUsage();
  const began = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < workload.length) {
      const index = next++;
      const id = workload[index] as string;
      const wasWarm = isWarm(id);
      const start = performance.now();
      const result = await run(id, `turn ${index} for ${id}`, sessions.get(id));
      (wasWarm ? warm : cold).push(performance.now() - start);
      if (result.status !== "completed") {
        failed += 1;
        log(
          `  turn ${index} of ${id}: ${result.status} ${(result as { error?: string }).error ?? ""}`,
        );
      } else sessions.set(id, result.sessionId);
      if (index % 20 === 0) log(`  turn ${index}/${workload.length}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wallMs = performance.now() - began;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  return {
    wallMs,
    warm,
    cold,
    failed,
    peakOpencode,
    peakRssMiB,
    cpuMsPerTurn: (used.user + used.system - samplerMicros) / 1000 / TURNS,
  };
}

/** A cold turn with nothing else running, LONE times, each on a new agent: ms each. */
async function loneColdTurns(): Promise<number[]> {
  const home = await makeTempHome("taos-bench-lone-");
  const pool = new OpenCodePool({ root: home.path, litellm: { baseURL: llmUrl } });
  const times: number[] = [];
  try {
    for (const id of loneIds) {
      await pool.register(id, { apiKey: keyOf(id), modelIds: ["fake-model"] });
      const start = performance.now();
      const result = await pool.turn(id, "hello", { traceId: `l-${id}`, sink: () => undefined });
      if (result.status !== "completed") throw new Error(`lone turn of ${id}: ${result.status}`);
      times.push(performance.now() - start);
      await pool.unregister(id);
    }
    return times;
  } finally {
    await pool.close({ graceMs: 1_000 });
    await home.cleanup();
  }
}

async function poolRun(maxConcurrentStarts?: number): Promise<Figures> {
  const home = await makeTempHome("taos-bench-pool-");
  const pool = new OpenCodePool({
    root: home.path,
    litellm: { baseURL: llmUrl },
    maxServers: SERVERS,
    queueTimeoutMs: 600_000,
    ...(maxConcurrentStarts === undefined ? {} : { maxConcurrentStarts }),
  });
  try {
    for (const id of ids) await pool.register(id, { apiKey: keyOf(id), modelIds: ["fake-model"] });
    const running = new Set<string>();
    pool.on("start", ({ agentId }) => running.add(agentId));
    pool.on("stop", ({ agentId }) => running.delete(agentId));
    const figures = await runWorkload(
      home.path,
      (id, text, sessionId) =>
        pool.turn(id, text, {
          traceId: `b-${text}`,
          sink: () => undefined,
          ...(sessionId ? { sessionId } : {}),
        }),
      (id) => running.has(id),
    );
    return { ...figures, evictions: (await pool.stats()).evictions, setupMs: 0, setupCpuMs: 0 };
  } finally {
    await pool.close({ graceMs: 1_000 });
    await home.cleanup();
  }
}

async function naiveRun(): Promise<Figures> {
  const home = await makeTempHome("taos-bench-naive-");
  const runtimes = new Map(
    ids.map((id) => [
      id,
      new OpenCodeRuntime({
        server: {
          home: join(home.path, id),
          litellm: { baseURL: llmUrl, apiKey: keyOf(id), modelIds: ["fake-model"] },
        },
      }),
    ]),
  );
  try {
    const began = performance.now();
    const setupCpu = process.cpuUsage();
    // All kept running: started up front, a few at a time (this host has few cores).
    const queue = [...runtimes.values()];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let runtime = queue.shift(); runtime; runtime = queue.shift()) await runtime.start();
      }),
    );
    const setupMs = performance.now() - began;
    const setupUsed = process.cpuUsage(setupCpu);
    const setupCpuMs = (setupUsed.user + setupUsed.system) / 1000;
    const warmed = new Set<string>();
    const figures = await runWorkload(
      home.path,
      async (id, text, sessionId) => {
        const result = await (runtimes.get(id) as OpenCodeRuntime).turn(text, {
          traceId: `n-${text}`,
          sink: () => undefined,
          ...(sessionId ? { sessionId } : {}),
        });
        warmed.add(id);
        return result;
      },
      // A running server's first turn still pays opencode's lazy instance set-up: count it apart.
      (id) => warmed.has(id),
    );
    return { ...figures, evictions: 0, setupMs, setupCpuMs };
  } finally {
    await Promise.all([...runtimes.values()].map((runtime) => runtime.stop()));
    await home.cleanup();
  }
}

const pct = (values: readonly number[], p: number): string => {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
  ).toFixed(0);
};

try {
  log(
    `${AGENTS} agents, ${SERVERS} servers, ${TURNS} turns, ${CONCURRENCY} at a time (${HOT} hot agents)`,
  );
  log(`${LONE} lone cold turns`);
  const lone = await loneColdTurns();
  log("pool run (default maxConcurrentStarts)");
  const pooled = await poolRun();
  log(`pool run (maxConcurrentStarts: ${SERVERS}, every start at once)`);
  const together = await poolRun(SERVERS);
  log("naive run (one runtime per agent, all running)");
  const naive = await naiveRun();
  const row = (name: string, f: Figures): string =>
    `| ${name} | ${(TURNS / (f.wallMs / 1000)).toFixed(2)} | ${pct(f.warm, 50)} / ${pct(f.warm, 95)} / ${pct(f.warm, 99)} (${f.warm.length}) | ${pct(f.cold, 50)} / ${pct(f.cold, 95)} / ${pct(f.cold, 99)} (${f.cold.length}) | ${f.peakOpencode} | ${f.peakRssMiB.toFixed(0)} | ${f.evictions} | ${f.cpuMsPerTurn.toFixed(1)} | ${f.failed} |`;
  const perServer = naive.peakRssMiB / AGENTS;
  const rssTarget = SERVERS * perServer * 1.1;
  const warmRatio = Number(pct(pooled.warm, 50)) / Number(pct(naive.warm, 50));
  const loneP50 = Number(pct(lone, 50));
  const coldRatio = Number(pct(pooled.cold, 50)) / loneP50;
  const coldGain = Number(pct(together.cold, 50)) / Number(pct(pooled.cold, 50));
  const cpuRatio = pooled.cpuMsPerTurn / naive.cpuMsPerTurn;
  const naiveSetupCpu = naive.cpuMsPerTurn + naive.setupCpuMs / TURNS;
  const out = [
    "## Many agents on one host: @taos/opencode-pool against one runtime per agent",
    "",
    `${AGENTS} agents, \`maxServers: ${SERVERS}\`, ${TURNS} text turns, ${CONCURRENCY} at a time; ${HOT} hot agents take 60% of the turns,`,
    `the other ${AGENTS - HOT} share the rest. Each agent continues its own session. Real \`opencode serve\` 1.18.33 (the pool's`,
    'servers under its default sandbox), the LiteLLM stand-in in a child process (echo replies). "Paid a start": the agent had',
    "no server when its turn was issued (pool), or it was the server's first turn (naive: opencode sets up a directory lazily).",
    "Processes and RSS: every process with an agent's HOME, sampled every 250 ms. CPU: this process, per turn, the sampler's own CPU taken out.",
    "",
    "| setup | turns/s | warm p50 / p95 / p99 ms (n) | paid a start p50 / p95 / p99 ms (n) | peak opencode processes | peak RSS MiB | evictions | CPU ms/turn | failed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    row(`pool (default \`maxConcurrentStarts\`: ${defaultStarts})`, pooled),
    row(`pool, every start at once (\`maxConcurrentStarts: ${SERVERS}\`)`, together),
    row(
      `naive (${AGENTS} runtimes, started in ${(naive.setupMs / 1000).toFixed(1)} s first)`,
      naive,
    ),
    "",
    `Per server (naive peak RSS / ${AGENTS}): ${perServer.toFixed(0)} MiB. Target peak RSS of the pool <= ${SERVERS} x that + 10% = ${rssTarget.toFixed(0)} MiB:`,
    `${pooled.peakRssMiB <= rssTarget ? "met" : "missed"} (${pooled.peakRssMiB.toFixed(0)} MiB). Warm p50, pool / naive: ${warmRatio.toFixed(2)} (target <= 1.10: ${warmRatio <= 1.1 ? "met" : "missed"}).`,
    `Failed turns of the pool: ${pooled.failed} (target 0: ${pooled.failed === 0 ? "met" : "missed"}); of the naive setup: ${naive.failed}.`,
    `A lone cold turn (start, instance set-up, first turn; nothing else running), ${LONE} times: ${lone.map((ms) => ms.toFixed(0)).join(", ")} ms (p50 ${loneP50}).`,
    `Paid a start p50, pool / lone cold turn: ${coldRatio.toFixed(2)}x (target <= 2: ${coldRatio <= 2 ? "met" : "missed"}); every start at once / default: ${coldGain.toFixed(2)}x.`,
    `CPU per turn, pool / naive: ${cpuRatio.toFixed(2)}x (target <= 1.5: ${cpuRatio <= 1.5 ? "met" : "missed"}); the naive setup's ${AGENTS} starts, spent before its workload, are not in its figure (with them: ${naiveSetupCpu.toFixed(1)} ms/turn, pool / that ${(pooled.cpuMsPerTurn / naiveSetupCpu).toFixed(2)}x).`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
} catch (error) {
  process.exitCode = 1;
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  llm.kill("SIGTERM");
}

/**
 * A server's first turn, with opencode's plugin install skipped (what
 * @taos/opencode-server sets up: an empty `node_modules` and a lock naming
 * `@opencode-ai/plugin` in the config directory) and without it (the two removed
 * after the start, before the first request that sets up the instance: what every
 * start was before). One OpenCodeRuntime per round on a fresh home, `start()`, then
 * one timed turn; rounds alternate the two. The LiteLLM stand-in runs in a child
 * process. Prints one Markdown section; progress to stderr.
 *
 *   node --import tsx bench/first-turn.bench.ts      (from the repo root, after a build)
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { OpenCodeRuntime } from "@taos/opencode-runtime";
import { makeTempHome, waitForOpenCodeLog } from "@taos/testkit";
import { sizeFromEnv } from "../tooling/stack-suite/src/random.js";
import { cpuMsOfHome } from "./process-sample.js";
import { startStandInProcess } from "./stand-in.js";

const ROUNDS = sizeFromEnv("FIRST_TURN_ROUNDS", 8);
const KEY = "sk-bench-first-turn";
const log = (line: string): void => void process.stderr.write(`first-turn.bench: ${line}\n`);

const { url: llmUrl, child: llm } = await startStandInProcess([KEY]);

/** How many times opencode's own log says the install failed (the prompt waited for it). */
async function failedInstalls(home: string): Promise<number> {
  const log = await waitForOpenCodeLog(home, (text) => text.includes("exiting loop"));
  return log.split("background dependency install failed").length - 1;
}

async function firstTurn(
  skipInstall: boolean,
): Promise<{ ms: number; failed: number; cpuMs: number }> {
  const home = await makeTempHome("taos-bench-first-turn-");
  const runtime = new OpenCodeRuntime({
    server: {
      home: home.path,
      litellm: { baseURL: llmUrl, apiKey: KEY, modelIds: ["fake-model"] },
    },
  });
  try {
    await runtime.start();
    if (!skipInstall) {
      const dir = join(home.path, ".config", "opencode");
      await rm(join(dir, "node_modules"), { recursive: true, force: true });
      await rm(join(dir, "package-lock.json"), { force: true });
    }
    const began = performance.now();
    const result = await runtime.turn("hello", { traceId: "first-turn", sink: () => undefined });
    const ms = performance.now() - began;
    if (result.status !== "completed") throw new Error(`first turn: ${result.status}`);
    const cpuMs = cpuMsOfHome(home.path);
    return { ms, failed: await failedInstalls(home.path), cpuMs };
  } finally {
    await runtime.stop();
    await home.cleanup();
  }
}

const p50 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

try {
  const sides = { skipped: [] as number[], installing: [] as number[] };
  const cpu = { skipped: [] as number[], installing: [] as number[] };
  const failed = { skipped: 0, installing: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2
      ? (["installing", "skipped"] as const)
      : (["skipped", "installing"] as const)) {
      const { ms, failed: count, cpuMs } = await firstTurn(side === "skipped");
      sides[side].push(ms);
      cpu[side].push(cpuMs);
      failed[side] += count;
      log(`round ${round} ${side}: ${ms.toFixed(0)} ms, opencode CPU ${cpuMs.toFixed(0)} ms`);
    }
  }
  const [a, b] = [p50(sides.skipped), p50(sides.installing)];
  const list = (values: number[]): string => values.map((ms) => ms.toFixed(0)).join(", ");
  process.stdout.write(
    [
      "## A server's first turn: opencode's plugin install skipped or not (@taos/opencode-server)",
      "",
      `One \`OpenCodeRuntime\` per round on a fresh home (real \`opencode serve\`, the stand-in in a child process): \`start()\`, then one timed text turn. "Skipped": the home as this package writes it (an empty \`node_modules\` and a lock naming \`@opencode-ai/plugin\` in opencode's config directory). "Installing": the two removed after the start, so that opencode runs its background install (offline: it fails) on the turn's first request, as on every start before. ${ROUNDS} rounds, alternating.`,
      "",
      "| first turn                        | p50 ms | each, ms | opencode logged a failed install | opencode CPU, start + first turn, p50 ms |",
      "| --------------------------------- | -----: | -------- | -------------------------------: | ---------------------------------------: |",
      `| skipped (the default)             | ${a.toFixed(0)} | ${list(sides.skipped)} | ${failed.skipped} of ${ROUNDS} | ${p50(cpu.skipped).toFixed(0)} |`,
      `| installing (every start, before)  | ${b.toFixed(0)} | ${list(sides.installing)} | ${failed.installing} of ${ROUNDS} | ${p50(cpu.installing).toFixed(0)} |`,
      "",
      `Skipped / installing, p50: ${(a / b).toFixed(2)}x. opencode CPU: user + system time of every process with the home as HOME (with its reaped children), read after the turn, before the stop.`,
      "",
    ].join("\n"),
  );
} finally {
  llm.kill();
}

/**
 * Warm turns on one running server, each through `driveTurn` (one adapter per turn, as
 * the runtime and the pool run them), with the server's connection held between turns
 * (`holdConnection`) and without (the last adapter out closes the event stream, so each
 * turn opens it again). Blocks of TURNS turns, one at a time, in one session; the two
 * sides alternate. Reports this process's CPU and the latency per turn. The LiteLLM
 * stand-in runs in a child process. Prints one Markdown section; progress to stderr.
 *
 *   node --import tsx bench/connection-hold.bench.ts      (from the repo root, after a build)
 */
import { holdConnection } from "@taos/opencode-adapter";
import { OpenCodeServer } from "@taos/opencode-server";
import { driveTurn } from "@taos/opencode-turn";
import { makeTempHome } from "@taos/testkit";
import { sizeFromEnv } from "../tooling/stack-suite/src/random.js";
import { startStandInProcess } from "./stand-in.js";

const ROUNDS = sizeFromEnv("HOLD_ROUNDS", 6);
const TURNS = sizeFromEnv("HOLD_TURNS", 20);
const KEY = "sk-bench-connection-hold";
const log = (line: string): void => void process.stderr.write(`connection-hold.bench: ${line}\n`);

const p50 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const { url: llmUrl, child: llm } = await startStandInProcess([KEY]);
const home = await makeTempHome("taos-bench-hold-");
const server = new OpenCodeServer({
  home: home.path,
  litellm: { baseURL: llmUrl, apiKey: KEY, modelIds: ["fake-model"] },
});
try {
  await server.ensureRunning();
  const reach = {
    baseUrl: server.baseUrl as string,
    ...(server.auth ?? {}),
  };
  const turn = async (text: string, sessionId?: string): Promise<string> => {
    const result = await driveTurn(text, "hold", () => undefined, {
      ...reach,
      modelId: "fake-model",
      ...(sessionId === undefined ? {} : { sessionId }),
    });
    if (result.status !== "completed") throw new Error(`turn: ${result.status} ${result.error}`);
    return result.sessionId;
  };
  // The instance and the session exist before anything is timed.
  const sessionId = await turn("warm up");
  await turn("warm up again", sessionId);
  const sides = {
    perTurn: { cpu: [] as number[], ms: [] as number[] },
    held: { cpu: [] as number[], ms: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2
      ? (["held", "perTurn"] as const)
      : (["perTurn", "held"] as const)) {
      const hold = side === "held" ? holdConnection(reach) : undefined;
      const cpu = process.cpuUsage();
      const began = performance.now();
      for (let i = 0; i < TURNS; i++) await turn(`round ${round} turn ${i}`, sessionId);
      const ms = (performance.now() - began) / TURNS;
      const used = process.cpuUsage(cpu);
      await hold?.release();
      sides[side].cpu.push((used.user + used.system) / 1000 / TURNS);
      sides[side].ms.push(ms);
      log(
        `round ${round} ${side}: ${sides[side].cpu.at(-1)?.toFixed(2)} ms CPU, ${ms.toFixed(0)} ms per turn`,
      );
    }
  }
  const [cpuHeld, cpuPer] = [p50(sides.held.cpu), p50(sides.perTurn.cpu)];
  const [msHeld, msPer] = [p50(sides.held.ms), p50(sides.perTurn.ms)];
  process.stdout.write(
    [
      "## A server's connection held between turns (@taos/opencode-adapter `holdConnection`)",
      "",
      `One real \`opencode serve\`, warm; turns one at a time in one session, each through \`driveTurn\` (a new adapter per turn, as \`OpenCodeRuntime\` and \`OpenCodePool\` run them). "Held": \`holdConnection\` keeps the server's keep-alive pool and \`/global/event\` stream open between turns (what the runtime and the pool now do); "per turn": the last adapter out closes them and the next turn opens the stream again. ${ROUNDS} rounds of ${TURNS} turns per side, alternating; p50 of the rounds.`,
      "",
      "| connection | our CPU per turn, ms | latency per turn, ms |",
      "| --- | ---: | ---: |",
      `| held | ${cpuHeld.toFixed(2)} | ${msHeld.toFixed(0)} |`,
      `| per turn | ${cpuPer.toFixed(2)} | ${msPer.toFixed(0)} |`,
      "",
      `Held / per turn: CPU ${(cpuHeld / cpuPer).toFixed(2)}x, latency ${(msHeld / msPer).toFixed(2)}x.`,
      "",
    ].join("\n"),
  );
} finally {
  await server.stop();
  await home.cleanup();
  llm.kill();
}

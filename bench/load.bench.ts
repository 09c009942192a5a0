/**
 * Load and soak of the whole stack: one runtime and the real `opencode serve`, with the
 * LiteLLM stand-in in a child process (so its CPU and memory are not counted as ours).
 *
 *   npx tsx bench/load.bench.ts          # from the repo root; STACK_SOAK_TURNS=300 by default
 */

import { loadTraceId, planLoad, processCpuMs, runLoad } from "../tooling/stack-suite/src/load.js";
import { seededRandom, sizeFromEnv } from "../tooling/stack-suite/src/random.js";
import { ReplyRecorder, summarizeTrace } from "../tooling/stack-suite/src/recorder.js";
import type { ResourceSnapshot } from "../tooling/stack-suite/src/resources.js";
import { runSoak, withinTenPercent } from "../tooling/stack-suite/src/soak.js";
import { startIsolatedStack } from "../tooling/stack-suite/src/stack.js";
import { median } from "../tooling/stack-suite/src/stats.js";

const SESSIONS = sizeFromEnv("STACK_LOAD_SESSIONS", 16);
const TURNS = sizeFromEnv("STACK_LOAD_TURNS", 4);
const SOAK_TURNS = sizeFromEnv("STACK_SOAK_TURNS", 300);
const RUNS = sizeFromEnv("STACK_LOAD_RUNS", 3);

const log = (line: string): void => {
  process.stderr.write(`load.bench: ${line}\n`);
};

const random = seededRandom(0x10ad);
// One plan per run (prompts are unique per run), all known to the stand-in up front.
const plans = Array.from({ length: RUNS + 1 }, (_, run) =>
  planLoad(SESSIONS, TURNS, random).map((turns) =>
    turns.map((turn) => ({ ...turn, prompt: `${turn.prompt} run ${run}` })),
  ),
);
const stack = await startIsolatedStack(
  plans.flat(2).map((turn) => ({ match: turn.prompt, reply: turn.reply })),
);
const { runtime } = stack;

interface LoadFigures {
  readonly wallMs: number;
  readonly turnsPerSecond: number;
  readonly cpuMsPerTurn: number;
  readonly opencodeCpuMsPerTurn: number | undefined;
}

const loads: LoadFigures[] = [];
let soakBaseline: ResourceSnapshot | undefined;
let soakAfter: ResourceSnapshot | undefined;
let soakWall = 0;
let soakCpu = 0;
let soakFailures = 0;
let left: string[] = [];
try {
  await runtime.start();
  for (const [index, plan] of plans.entries()) {
    const recorder = new ReplyRecorder();
    const pid = runtime.server.pid;
    const opencodeBefore = pid === undefined ? undefined : processCpuMs(pid);
    const run = await runLoad(runtime, plan, recorder.sink);
    const opencodeAfter = pid === undefined ? undefined : processCpuMs(pid);
    let failed = 0;
    plan.forEach((turns, c) => {
      turns.forEach((turn, t) => {
        const summary = summarizeTrace(loadTraceId(c, t), recorder.of(loadTraceId(c, t)));
        if (summary.problems.length > 0 || summary.final !== turn.reply.text) failed++;
      });
    });
    if (failed > 0)
      throw new Error(`${failed} turns of load run ${index} did not reply as scripted`);
    const turns = SESSIONS * TURNS;
    // Run 0 warms the server up (first turns ask for titles, caches fill): not reported.
    if (index === 0) continue;
    loads.push({
      wallMs: run.wallMs,
      turnsPerSecond: turns / (run.wallMs / 1000),
      cpuMsPerTurn: run.cpuMs / turns,
      opencodeCpuMsPerTurn:
        opencodeBefore === undefined || opencodeAfter === undefined
          ? undefined
          : (opencodeAfter - opencodeBefore) / turns,
    });
    log(`load run ${index}: ${Math.round(run.wallMs)} ms`);
  }

  log(`soak: ${SOAK_TURNS} turns`);
  const soak = await runSoak({
    runtime,
    turns: SOAK_TURNS,
    warmup: 20,
    perSession: 10,
    random,
    onTurn: (turn) => {
      if (turn.result.status !== "completed" || turn.result.text !== turn.expected) soakFailures++;
    },
  });
  soakBaseline = soak.baseline;
  soakAfter = soak.after;
  soakWall = soak.wallMs;
  soakCpu = soak.cpuMsPerTurn;
} finally {
  left = await stack.close();
}
if (left.length > 0) throw new Error(`opencode processes left: ${left.join(", ")}`);

const fixed = (value: number, digits = 1): string => value.toFixed(digits);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

if (soakBaseline === undefined || soakAfter === undefined) throw new Error("the soak did not run");
const over = withinTenPercent(soakBaseline, soakAfter);
const opencodeCpu = loads
  .map((load) => load.opencodeCpuMsPerTurn)
  .filter((value) => value !== undefined);

const rows: [string, string, string][] = [
  ["open file descriptors", String(soakBaseline.fds), String(soakAfter.fds)],
  ["TCP sockets of this process", String(soakBaseline.tcpSockets), String(soakAfter.tcpSockets)],
  [
    "active handles and timers",
    String(soakBaseline.activeResources),
    String(soakAfter.activeResources),
  ],
  [
    "listeners on `process`",
    String(soakBaseline.processListeners),
    String(soakAfter.processListeners),
  ],
  ["heap used after full GC", mib(soakBaseline.heapUsed), mib(soakAfter.heapUsed)],
  ["RSS (reported, not bounded)", mib(soakBaseline.rss), mib(soakAfter.rss)],
];

const out = [
  "## Whole stack: load (16 x 4 turns at once) and soak (300 turns in a row)",
  "",
  `One \`OpenCodeRuntime\` on the real \`opencode serve\`; the LiteLLM stand-in runs in a child process.`,
  `Load: ${SESSIONS} conversations of ${TURNS} turns at once, each turn a unique scripted reply of 3 to 40 chunks;`,
  `a warm-up run, then ${RUNS} measured runs (median shown). CPU is user + system time, of this process and of opencode.`,
  `Every turn's replies were checked (one final, the scripted text). Script: \`npx tsx bench/load.bench.ts\`.`,
  "",
  "| load figure | median | runs |",
  "| --- | --- | --- |",
  `| wall time, ${SESSIONS * TURNS} turns | ${Math.round(median(loads.map((l) => l.wallMs)))} ms | ${loads.map((l) => Math.round(l.wallMs)).join(", ")} |`,
  `| turns per second | ${fixed(median(loads.map((l) => l.turnsPerSecond)))} | ${loads.map((l) => fixed(l.turnsPerSecond)).join(", ")} |`,
  `| CPU of this process per turn | ${fixed(median(loads.map((l) => l.cpuMsPerTurn)), 2)} ms | ${loads.map((l) => fixed(l.cpuMsPerTurn, 2)).join(", ")} |`,
  `| CPU of opencode per turn | ${opencodeCpu.length ? `${fixed(median(opencodeCpu))} ms` : "n/a"} | ${opencodeCpu.map((v) => fixed(v)).join(", ")} |`,
  "",
  `Soak: ${SOAK_TURNS} turns in a row (conversations of 10 turns) after 20 warm-up turns: ${Math.round(soakWall / 1000)} s,`,
  `${fixed(soakCpu, 2)} ms CPU of this process per turn, ${soakFailures} turns not as scripted. Figures after a full GC:`,
  "",
  "| resource | after warm-up | after the soak |",
  "| --- | --- | --- |",
  ...rows.map(([what, before, after]) => `| ${what} | ${before} | ${after} |`),
  "",
  `Verdict: ${
    over.length === 0 && soakFailures === 0
      ? "every bounded figure is back within 10% of its baseline (target met)"
      : `NOT met: ${[...over, ...(soakFailures ? [`${soakFailures} failed turns`] : [])].join("; ")}`
  }. The suite's soak test asserts the same bounds.`,
];
process.stdout.write(`${out.join("\n")}\n`);

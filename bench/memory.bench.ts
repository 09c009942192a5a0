/**
 * Memory and time of one turn that streams 100 000 deltas through the whole stack,
 * against 25 000: RSS growth should stay within 20 MB and time should grow linearly
 * (4x the deltas, about 4x the time; quadratic string building would give 16x).
 *
 *   npx tsx bench/memory.bench.ts        # from the repo root
 */
import {
  measureStreamingTurn,
  type StreamingFigures,
  startStreamingStack,
} from "../tooling/stack-suite/src/memory.js";
import { sizeFromEnv } from "../tooling/stack-suite/src/random.js";
import { median } from "../tooling/stack-suite/src/stats.js";

const SMALL = 25_000;
const LARGE = 100_000;
const ROUNDS = sizeFromEnv("STACK_MEMORY_ROUNDS", 3);
const LIMIT_MIB = 20;

const log = (line: string): void => {
  process.stderr.write(`memory.bench: ${line}\n`);
};

const stack = await startStreamingStack([1_000, SMALL, LARGE]);
const small: StreamingFigures[] = [];
const large: StreamingFigures[] = [];
let cold: StreamingFigures | undefined;
let live: StreamingFigures | undefined;
let left: string[] = [];
try {
  await stack.runtime.start();
  await measureStreamingTurn(stack.runtime, 1_000);
  // The first long stream also sizes V8's heap up once: shown apart as "cold".
  cold = await measureStreamingTurn(stack.runtime, LARGE);
  // What the stack holds while streaming, garbage aside (a full GC every 250 ms).
  live = await measureStreamingTurn(stack.runtime, LARGE, { liveHeap: true });
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating, so that machine load affects both sizes alike.
    for (const [chunks, into] of [
      [SMALL, small],
      [LARGE, large],
    ] as const) {
      const figures = await measureStreamingTurn(stack.runtime, chunks);
      if (figures.status !== "completed" || !figures.intact) {
        throw new Error(
          `the ${chunks}-delta turn ended ${figures.status}, intact=${figures.intact}`,
        );
      }
      into.push(figures);
      log(`${chunks}: ${figures.ms} ms, ${(figures.rssGrowth / 2 ** 20).toFixed(1)} MiB`);
    }
  }
} finally {
  left = await stack.close();
}
if (left.length > 0) throw new Error(`opencode processes left: ${left.join(", ")}`);

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
if (cold === undefined || live === undefined) throw new Error("the warm-up turns did not run");
const liveMiB = (live.liveHeapGrowth ?? Number.NaN) / 2 ** 20;
const row = (label: string, list: readonly StreamingFigures[]): string =>
  `| ${label} | ${Math.round(median(list.map((f) => f.ms)))} | ${Math.round(median(list.map((f) => f.cpuMs)))} | ${mib(median(list.map((f) => f.rssGrowth)))} | ${mib(Math.max(...list.map((f) => f.rssGrowth)))} |`;

const wallRatio = median(large.map((f) => f.ms)) / median(small.map((f) => f.ms));
const cpuRatio = median(large.map((f) => f.cpuMs)) / median(small.map((f) => f.cpuMs));
const worstGrowth = Math.max(...large.map((f) => f.rssGrowth)) / 2 ** 20;
const linear = cpuRatio < 6 && wallRatio < 6;

const out = [
  "## Whole stack: one turn of 100 000 deltas",
  "",
  "One `OpenCodeRuntime` on the real `opencode serve`; the LiteLLM stand-in runs in a child process and",
  "streams the reply (4 characters a chunk) as 25 000 or 100 000 chunks, which opencode turns into as many",
  "`message.part.delta` events. The sink keeps nothing and checks every delta in place. RSS of this process",
  "is sampled every 10 ms; growth = peak minus the idle value just before the turn. After a 1 000-delta turn",
  `(title, module loading) come the process's first 100 000-delta turn (cold), one with a full GC every 250 ms,`,
  `then ${ROUNDS} rounds of 25 000 and 100 000 alternating. Script: \`npx tsx bench/memory.bench.ts\`.`,
  "",
  "| turn | wall ms (median) | CPU ms of this process (median) | RSS growth MiB (median) | RSS growth MiB (max) |",
  "| --- | --- | --- | --- | --- |",
  row("25 000 deltas", small),
  row("100 000 deltas", large),
  `| 100 000, full GC every 250 ms | ${live.ms} | ${live.cpuMs} | ${mib(live.rssGrowth)} | ${mib(live.rssGrowth)} |`,
  `| 100 000, the process's first long turn | ${cold.ms} | ${cold.cpuMs} | ${mib(cold.rssGrowth)} | ${mib(cold.rssGrowth)} |`,
  "",
  `Time ratio 100k / 25k: ${wallRatio.toFixed(2)}x wall, ${cpuRatio.toFixed(2)}x CPU of this process (linear: about 4x; quadratic: 16x).`,
  `Heap in use after the forced GCs, at most, minus before the turn (what the stack holds while streaming): ${liveMiB.toFixed(1)} MiB.`,
  "RSS also follows V8's heap sizing: the first long stream of a process grows the young generation to its",
  "maximum and old space to a new high-water mark once; later turns vary with when V8 collects old-space",
  `garbage. Node ${process.version}, V8 flags: ${process.execArgv.filter((arg) => arg.startsWith("--max")).join(" ") || "defaults"}.`,
  "",
  `Verdict: RSS growth of a 100 000-delta turn ${mib(live.rssGrowth)} MiB with periodic GC and ${worstGrowth.toFixed(1)} MiB at most without`,
  `(target ${LIMIT_MIB} MB: ${Math.max(worstGrowth, live.rssGrowth / 2 ** 20) <= LIMIT_MIB ? "met" : "NOT met"}), ${mib(cold.rssGrowth)} MiB for the process's first long turn`,
  `(${cold.rssGrowth / 2 ** 20 <= LIMIT_MIB ? "within" : "over"} the target); time ${linear ? "linear (target met)" : "NOT linear"}.`,
  "The suite's memory test asserts the RSS bound (warmed up, periodic GC) and the live-heap bound.",
];
process.stdout.write(`${out.join("\n")}\n`);

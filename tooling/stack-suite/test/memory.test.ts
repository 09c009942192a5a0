/**
 * Memory: one turn streaming 100 000 deltas through the whole stack (stand-in in a child
 * process, real opencode, event hub, codec, runtime): every delta arrives in place, and
 * this process's RSS grows by 20 MB or less. Time is measured by `bench/memory.bench.ts`.
 *
 * RSS under V8 moves with its heap sizing, not only with what a turn holds: the first long
 * streams of a process size the heap up once (14 to 47 MB here, whatever the length), and
 * later turns still vary from 0 to about 15 MB with when V8 chooses to collect old-space
 * garbage. So two turns warm the process up (reported as `cold` and `warm`), and the
 * measured turn runs a full GC every 250 ms: its RSS growth then shows what the stack holds
 * and allocates per turn (unbounded buffering or retained replies would show), and the heap
 * in use after each of those GCs bounds the live memory. The figures without forced GCs
 * are in the benchmark.
 */
import { scaled } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureStreamingTurn, type StreamingFigures, startStreamingStack } from "../src/memory.js";
import { sizeFromEnv } from "../src/random.js";
import { writeResult } from "../src/results.js";
import type { IsolatedStack } from "../src/stack.js";

const CHUNKS = sizeFromEnv("STACK_MEMORY_CHUNKS", 100_000);
const LIMIT_BYTES = 20 * 1024 * 1024;

describe(`memory: one turn of ${CHUNKS} deltas`, () => {
  let stack: IsolatedStack;
  let cold: StreamingFigures;
  let warm: StreamingFigures;
  let live: StreamingFigures;

  beforeAll(async () => {
    // opencode answers a flood of 100 000 deltas by blocking: on two busy cores it sent
    // nothing, heartbeats included, for half a minute and more. The silence limit is a
    // liveness deadline like any other here, so it scales with the machine.
    stack = await startStreamingStack([1_000, CHUNKS], { silenceTimeoutMs: scaled(30_000) });
    await stack.runtime.start();
    // The first turn of a server also loads modules and asks for a title.
    await measureStreamingTurn(stack.runtime, 1_000);
    cold = await measureStreamingTurn(stack.runtime, CHUNKS);
    warm = await measureStreamingTurn(stack.runtime, CHUNKS);
    live = await measureStreamingTurn(stack.runtime, CHUNKS, { liveHeap: true });
    writeResult("memory", {
      live,
      cold,
      warm,
      execArgv: process.execArgv.filter((arg) => arg.startsWith("--max")),
    });
  });

  afterAll(async () => {
    const left = await stack?.close();
    expect(left).toEqual([]);
  });

  it("delivers every delta in place and one final with the whole text", () => {
    for (const figures of [cold, warm, live]) {
      expect(figures.status, figures.error).toBe("completed");
      expect(figures.intact).toBe(true);
      expect(figures.deltas).toBeGreaterThan(0);
    }
  });

  it("grows RSS by 20 MB or less (warmed up, a full GC every 250 ms)", () => {
    expect(live.rssGrowth).toBeLessThanOrEqual(LIMIT_BYTES);
  });

  it("holds 20 MB or less of live heap while streaming", () => {
    expect(live.liveHeapGrowth).toBeDefined();
    expect(live.liveHeapGrowth).toBeLessThanOrEqual(LIMIT_BYTES);
  });
});

/**
 * Memory: one turn streaming 100 000 deltas through the whole stack (stand-in, real
 * opencode, event hub, codec, runtime) grows this process's RSS by 20 MB or less, and
 * every delta arrives in place. Time is measured by `bench/memory.bench.ts`, not here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureStreamingTurn, type StreamingFigures, startStreamingStack } from "../src/memory.js";
import { sizeFromEnv } from "../src/random.js";
import { writeResult } from "../src/results.js";
import type { IsolatedStack } from "../src/stack.js";

const CHUNKS = sizeFromEnv("STACK_MEMORY_CHUNKS", 100_000);
const WARMUP_CHUNKS = 25_000;
const LIMIT_BYTES = 20 * 1024 * 1024;

describe(`memory: one turn of ${CHUNKS} deltas`, () => {
  let stack: IsolatedStack;
  let figures: StreamingFigures;
  let cold: StreamingFigures;

  beforeAll(async () => {
    // The stand-in runs in a child process: its buffers are not ours to count.
    stack = await startStreamingStack([1_000, WARMUP_CHUNKS, CHUNKS]);
    await stack.runtime.start();
    // Warm up: the first turn of a server loads modules and asks for a title, and the first
    // long stream makes V8 grow its young generation once (about 20 MB here, whatever the
    // length): a cost of the process, not of the turn. The figure is kept as `cold`.
    await measureStreamingTurn(stack.runtime, 1_000);
    cold = await measureStreamingTurn(stack.runtime, WARMUP_CHUNKS);
    figures = await measureStreamingTurn(stack.runtime, CHUNKS);
    writeResult("memory", { ...figures, cold });
  });

  afterAll(async () => {
    const left = await stack?.close();
    expect(left).toEqual([]);
  });

  it("delivers every delta in place and one final with the whole text", () => {
    expect(figures.status).toBe("completed");
    expect(figures.intact).toBe(true);
    expect(figures.deltas).toBeGreaterThan(0);
  });

  it("grows RSS by 20 MB or less", () => {
    expect(figures.rssGrowth).toBeLessThanOrEqual(LIMIT_BYTES);
  });
});

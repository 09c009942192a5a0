/**
 * Soak: 300 turns in a row on one runtime (conversations of 10 turns). After a warm-up,
 * this process's file descriptors, TCP sockets, active handles, process listeners,
 * listeners on a long-lived abort signal, and heap after a full GC must come back within
 * 10% of the baseline. The figures go to `.results/soak.json`.
 */
import { getEventListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../src/deadline.js";
import { seededRandom, sizeFromEnv } from "../src/random.js";
import { summarizeTrace } from "../src/recorder.js";
import { collectGarbage, type ResourceSnapshot, snapshotResources } from "../src/resources.js";
import { writeResult } from "../src/results.js";
import { runSoak, type SoakFigures, withinTenPercent } from "../src/soak.js";
import { type IsolatedStack, startIsolatedStack } from "../src/stack.js";

const TURNS = sizeFromEnv("STACK_SOAK_TURNS", 300);
const WARMUP = sizeFromEnv("STACK_SOAK_WARMUP", 20);
const PER_SESSION = sizeFromEnv("STACK_SOAK_SESSION_TURNS", 10);

describe(`soak: ${TURNS} turns in a row on one runtime`, () => {
  let stack: IsolatedStack;
  let figures: SoakFigures;
  // The service-lifetime signal taOS would pass to every turn: turns must not pile listeners on it.
  const service = new AbortController();
  const problems: string[] = [];

  beforeAll(async () => {
    expect(collectGarbage(), "a full GC is available").toBe(true);
    // The stand-in runs in a child process: its sockets and memory are not this process's.
    stack = await startIsolatedStack();
    await stack.runtime.start();
    const random = seededRandom(0x50a6);
    figures = await runSoak({
      runtime: stack.runtime,
      turns: TURNS,
      warmup: WARMUP,
      perSession: PER_SESSION,
      random,
      signal: service.signal,
      onTurn: (turn) => {
        const summary = summarizeTrace(turn.traceId, turn.replies);
        if (turn.result.status !== "completed")
          problems.push(`${turn.traceId}: ${turn.result.status}`);
        for (const problem of summary.problems) problems.push(`${turn.traceId}: ${problem}`);
        if (summary.final !== turn.expected) problems.push(`${turn.traceId}: final text differs`);
      },
    });
  });

  afterAll(async () => {
    const left = await stack?.close();
    expect(left).toEqual([]);
  });

  it("completes every turn with the stand-in's text and one final", () => {
    expect(problems.slice(0, 10)).toEqual([]);
    expect(figures.turns).toBe(TURNS);
  });

  it("leaves no listener on the signal every turn shared", () => {
    expect(getEventListeners(service.signal, "abort")).toHaveLength(0);
  });

  it("comes back to the baseline: fds, sockets, handles, process listeners and heap within 10%", async () => {
    const { baseline } = figures;
    // The last turn's connections close asynchronously: give them a moment, then read.
    let after: ResourceSnapshot = snapshotResources();
    await eventually(
      () => {
        after = snapshotResources();
        return withinTenPercent(baseline, after).length === 0;
      },
      3_000,
      100,
    );
    figures = { ...figures, after };
    const path = writeResult("soak", { ...figures });
    console.info(`soak figures: ${path}`);
    expect(withinTenPercent(baseline, after)).toEqual([]);
  });
});

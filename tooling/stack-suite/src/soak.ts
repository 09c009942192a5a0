import type { Reply, TurnResult } from "@taos/opencode-adapter";
import type { OpenCodeRuntime } from "@taos/opencode-runtime";
import type { Random } from "./random.js";
import { type ResourceSnapshot, snapshotResources } from "./resources.js";
import { uniqueText } from "./scripts.js";

export interface SoakTurn {
  readonly traceId: string;
  /** What the stand-in echoes back: the prompt itself. */
  readonly expected: string;
  readonly result: TurnResult;
  readonly replies: readonly Reply[];
}

export interface SoakOptions {
  readonly runtime: OpenCodeRuntime;
  readonly turns: number;
  /** Turns run before the baseline is taken (pools, JIT, caches warm up). */
  readonly warmup: number;
  /** Turns per conversation; then a new session starts. */
  readonly perSession: number;
  readonly random: Random;
  /** Passed to every turn, like a service's lifetime signal. */
  readonly signal?: AbortSignal;
  readonly onTurn?: (turn: SoakTurn) => void;
}

export interface SoakFigures {
  readonly turns: number;
  readonly warmup: number;
  readonly baseline: ResourceSnapshot;
  readonly after: ResourceSnapshot;
  readonly wallMs: number;
  /** CPU time (user + system) of this process per soak turn, in ms. */
  readonly cpuMsPerTurn: number;
}

/**
 * Runs `warmup` turns, takes the baseline, runs `turns` more in a row and takes a second
 * snapshot. The stand-in's default rule echoes each prompt, so every reply is known.
 */
export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const { runtime, random } = options;
  let sessionId: string | undefined;
  let inSession = 0;
  let index = 0;
  const one = async (): Promise<void> => {
    const traceId = `soak-${index++}`;
    const prompt = uniqueText(traceId, random.int(3, 30), random);
    const replies: Reply[] = [];
    if (inSession >= options.perSession) {
      sessionId = undefined;
      inSession = 0;
    }
    const result = await runtime.turn(prompt, {
      traceId,
      sink: (reply) => {
        replies.push(reply);
      },
      ...(sessionId === undefined ? {} : { sessionId }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    sessionId = result.status === "completed" ? result.sessionId : undefined;
    inSession++;
    options.onTurn?.({ traceId, expected: prompt, result, replies });
  };
  for (let i = 0; i < options.warmup; i++) await one();
  const baseline = snapshotResources();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < options.turns; i++) await one();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    turns: options.turns,
    warmup: options.warmup,
    baseline,
    after: snapshotResources(),
    wallMs: Math.round(wallMs),
    cpuMsPerTurn: Number(((used.user + used.system) / 1000 / options.turns).toFixed(2)),
  };
}

/** The figures of `after` more than 10% above `baseline` (rounded up, so small counts may grow by one). */
export function withinTenPercent(baseline: ResourceSnapshot, after: ResourceSnapshot): string[] {
  const over: string[] = [];
  for (const key of Object.keys(baseline) as (keyof ResourceSnapshot)[]) {
    if (key === "rss") continue; // the allocator keeps freed pages; reported, not bounded
    const limit = Math.ceil(baseline[key] * 1.1);
    if (after[key] > limit)
      over.push(`${key}: ${after[key]} > ${limit} (baseline ${baseline[key]})`);
  }
  return over;
}

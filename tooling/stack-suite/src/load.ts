import { readFileSync } from "node:fs";
import type { Sink, TurnResult } from "@taos/opencode-adapter";
import type { OpenCodeRuntime } from "@taos/opencode-runtime";
import type { Random } from "./random.js";
import { type ScriptedTurn, scriptTurn } from "./scripts.js";

/** `sessions` conversations of `turns` scripted turns each, every prompt and reply unique. */
export function planLoad(sessions: number, turns: number, random: Random): ScriptedTurn[][] {
  return Array.from({ length: sessions }, (_, c) =>
    Array.from({ length: turns }, (_, t) => scriptTurn(`c${c}-t${t}`, random)),
  );
}

export function loadTraceId(conversation: number, turn: number): string {
  return `load-c${conversation}-t${turn}`;
}

export interface LoadRun {
  /** results[c][t]: the result of turn t of conversation c. */
  readonly results: TurnResult[][];
  readonly wallMs: number;
  /** CPU time (user + system) of this process over the run, in ms. */
  readonly cpuMs: number;
}

/**
 * Runs every conversation at once; within one, the turns follow each other on the
 * session its first turn created. Replies of all turns go to the one `sink`.
 */
export async function runLoad(
  runtime: OpenCodeRuntime,
  plan: readonly (readonly ScriptedTurn[])[],
  sink: Sink,
): Promise<LoadRun> {
  const results: TurnResult[][] = plan.map(() => []);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    plan.map(async (turns, c) => {
      let sessionId: string | undefined;
      for (const [t, turn] of turns.entries()) {
        const result = await runtime.turn(turn.prompt, {
          traceId: loadTraceId(c, t),
          sink,
          ...(sessionId === undefined ? {} : { sessionId }),
        });
        results[c]?.push(result);
        sessionId = result.sessionId;
      }
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { results, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux clock ticks of 10 ms). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "(comm)": state is field 3, utime 14 and stime 15 (1-based over the whole line).
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) * 10;
  } catch {
    return undefined;
  }
}

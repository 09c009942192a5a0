/**
 * Faults at random points, seeded: the server SIGKILLed mid-turn, the stand-in answering
 * 500, hanging up, stalling, and the event stream cut by a TCP proxy while the server
 * lives. Every turn ends (completed, error or aborted, as the fault dictates) within its
 * deadline; a normal turn completes after each fault; no opencode process is left.
 * Replay a run with STACK_FAULT_SEED=<the printed seed>.
 */
import type { TurnResult } from "@taos/opencode-adapter";
import { scaled, waitForProcessExit } from "@taos/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventually, withinDeadline } from "../src/deadline.js";
import { drawFault, FAULT_KINDS, type FaultPlan, planFault } from "../src/faults.js";
import { processesOfHome } from "../src/processes.js";
import { seededRandom, seedFromEnv, sizeFromEnv } from "../src/random.js";
import { firstDifference, ReplyRecorder, summarizeTrace } from "../src/recorder.js";
import { writeResult } from "../src/results.js";
import { ruleFor, scriptTurn } from "../src/scripts.js";
import { type Stack, startStack } from "../src/stack.js";
import { type CuttingProxy, startCuttingProxy } from "../src/tcp-proxy.js";

const SEED = seedFromEnv("STACK_FAULT_SEED");
const ROUNDS = Math.max(FAULT_KINDS.length, sizeFromEnv("STACK_FAULT_ROUNDS", 8));
/** Past its own abort deadline a turn gets this long to end: the adapter's abort grace and slack. */
const END_SLACK_MS = scaled(10_000);

interface Outcome {
  readonly round: number;
  readonly spec: FaultPlan["spec"];
  readonly expected: string;
  readonly status: string;
  readonly ms: number;
  readonly deadlineMs: number;
  readonly next: string;
  readonly cut?: number;
}

describe(`faults at random points (seed ${SEED}, ${ROUNDS} rounds)`, () => {
  let stack: Stack;
  let proxy: CuttingProxy;
  const outcomes: Outcome[] = [];
  const random = seededRandom(SEED);
  // Every kind at least once, in a seeded order, then random kinds.
  const kinds = random.shuffle([
    ...FAULT_KINDS,
    ...Array.from({ length: ROUNDS - FAULT_KINDS.length }, () => random.pick(FAULT_KINDS)),
  ]);
  const plans = kinds.map((kind, round) => planFault(`r${round}`, drawFault(kind, random), random));
  const followUps = kinds.map((_, round) => scriptTurn(`after-r${round}`, random));
  /** A round that did not finish cleanly: the next one starts on a restarted runtime. */
  let unfinished = false;
  let restarts = 0;

  beforeAll(async () => {
    const source = process.env.STACK_FAULT_SEED?.trim() ? "from STACK_FAULT_SEED" : "random";
    console.info(`fault seed ${SEED} (${source}): replay with STACK_FAULT_SEED=${SEED}`);
    stack = await startStack({
      rules: [...plans.flatMap((plan) => plan.rules), ...followUps.map(ruleFor)],
    });
    // Route the runtime's clients through the proxy; the server itself is untouched. The
    // upstream port is read per connection, so a restarted server is found again.
    proxy = await startCuttingProxy({ upstreamPort: () => stack.runtime.server.port });
    Object.defineProperty(stack.runtime.server, "baseUrl", {
      get: () => proxy.url,
      configurable: true,
    });
    await stack.runtime.start();
    stack.notePid();
  });

  // Each round stands alone: a fresh session every round, and after a round that failed
  // (whatever state it left) a restarted runtime.
  beforeEach(async () => {
    if (!stack || !unfinished) return;
    unfinished = false;
    await stack.runtime.stop();
    await stack.runtime.start();
    restarts += 1;
    stack.notePid();
  });

  afterAll(async () => {
    writeResult("faults", { seed: SEED, rounds: ROUNDS, outcomes });
    const left = await stack?.close();
    await proxy?.close();
    expect(left).toEqual([]);
  });

  it.each(
    plans.map((plan, round) => ({ plan, round, name: `${round}: ${JSON.stringify(plan.spec)}` })),
  )("round $name", async ({ plan, round }) => {
    const recorder = new ReplyRecorder();
    const traceId = `fault-r${round}`;
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new Error("turn deadline")),
      plan.deadlineMs,
    );
    const pidBefore = stack.runtime.server.pid;
    unfinished = true;
    const started = performance.now();
    let cut: number | undefined;
    const turn = stack.runtime.turn(plan.prompt, {
      traceId,
      sink: recorder.sink,
      signal: controller.signal,
    });
    try {
      const { spec } = plan;
      if (spec.kind === "kill" || spec.kind === "streamCut") {
        const deltas = (): number =>
          recorder.of(traceId).filter((reply) => reply.kind === "delta").length;
        const asked = (): boolean =>
          stack.llm.requests.some((r) => !r.isTitleRequest && r.lastUserText === plan.prompt);
        const want = spec.kind === "kill" ? spec.afterChunks : spec.afterDeltas;
        const reached = await eventually(
          () => (want === 0 ? asked() : deltas() >= want),
          scaled(15_000),
        );
        expect(reached, `the turn reached the fault point (${want} deltas)`).toBe(true);
        if (spec.kind === "kill") {
          await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
          expect(pidBefore).toBeDefined();
          process.kill(pidBefore as number, "SIGKILL");
        } else {
          cut = proxy.cutEventStreams();
          expect(cut, "an event stream was open to cut").toBeGreaterThan(0);
        }
      }
      const result: TurnResult = await withinDeadline(
        turn,
        plan.deadlineMs + END_SLACK_MS,
        `fault turn ${round}`,
      );
      const ms = Math.round(performance.now() - started);
      const summary = summarizeTrace(traceId, recorder.of(traceId));
      expect(summary.problems).toEqual([]);
      if (spec.kind === "streamCut" && result.status === "error") {
        // After a drop the adapter promises to "resubscribe once and carry on, or end with error".
        expect(summary.errors).toBe(1);
      } else {
        expect(result.status).toBe(plan.expected);
      }
      if (result.status === "completed" && plan.expected === "completed") {
        if (spec.kind === "hangUp" && spec.afterChunks > 0) {
          // opencode keeps the failed attempt's partial text in the message and retries: the
          // reply is that partial text, then the whole answer, streamed and final alike.
          expect(summary.final?.endsWith(plan.text), summary.final).toBe(true);
          expect(summary.text).toBe(summary.final);
        } else {
          expect(summary.final, firstDifference(summary.final, plan.text)).toBe(plan.text);
          expect(summary.text, firstDifference(summary.text, plan.text)).toBe(plan.text);
        }
      } else if (result.status !== "completed") {
        expect(summary.errors).toBe(1);
      }
      if (spec.kind === "kill")
        expect(await waitForProcessExit(pidBefore as number, scaled(5_000))).toBe(true);

      // The runtime serves the next turn: a fresh normal prompt, in the same conversation
      // unless the fault turn was aborted. opencode can ignore an abort that comes while it
      // sets the turn up and then run the stalled model call anyway; a next prompt of that
      // session would wait behind it (a known gap: the adapter does not yet check that an
      // aborted session went idle).
      const follow = followUps[round];
      if (follow === undefined) throw new Error("no follow-up turn planned");
      const nextTrace = `after-r${round}`;
      const sameSession = result.sessionId !== "" && result.status !== "aborted";
      const next = await withinDeadline(
        stack.runtime.turn(follow.prompt, {
          traceId: nextTrace,
          sink: recorder.sink,
          ...(sameSession ? { sessionId: result.sessionId } : {}),
        }),
        scaled(60_000),
        `the turn after fault ${round}`,
      );
      stack.notePid();
      expect(next.status, next.error).toBe("completed");
      expect(summarizeTrace(nextTrace, recorder.of(nextTrace)).final).toBe(follow.reply.text);
      outcomes.push({
        round,
        spec,
        expected: plan.expected,
        status: result.status,
        ms,
        deadlineMs: plan.deadlineMs,
        next: next.status,
        ...(cut === undefined ? {} : { cut }),
      });
      unfinished = false;
    } finally {
      clearTimeout(deadline);
      controller.abort();
      await turn.catch(() => undefined);
    }
  });

  it("leaves exactly one opencode process, the current one, and every killed one is gone", () => {
    const running = processesOfHome(stack.home.path).map((info) => info.pid);
    expect(running).toEqual([stack.runtime.server.pid]);
    const killed = stack.pids.slice(0, -1);
    for (const pid of killed) expect(running).not.toContain(pid);
    // One server at first, then one more for each kill, heal and restart between rounds.
    const kills = plans.filter((plan) => plan.spec.kind === "kill").length;
    expect(stack.pids.length).toBe(1 + kills + stack.heals.length + restarts);
  });
});

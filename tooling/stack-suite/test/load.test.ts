/**
 * Load: one runtime, 16 conversations of 4 turns each, all at once. Every reply must land
 * on its own trace and session, and each turn's deltas must add up to exactly what the
 * stand-in streamed for it: nothing lost, duplicated or crossed over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoadRun, loadTraceId, planLoad, runLoad } from "../src/load.js";
import { seededRandom, sizeFromEnv } from "../src/random.js";
import { ReplyRecorder, summarizeTrace } from "../src/recorder.js";
import { writeResult } from "../src/results.js";
import { ruleFor } from "../src/scripts.js";
import { type Stack, startStack } from "../src/stack.js";

const SESSIONS = sizeFromEnv("STACK_LOAD_SESSIONS", 16);
const TURNS = sizeFromEnv("STACK_LOAD_TURNS", 4);

describe(`load: ${SESSIONS} sessions x ${TURNS} turns at once on one runtime`, () => {
  let stack: Stack;
  let run: LoadRun;
  const recorder = new ReplyRecorder();
  const plan = planLoad(SESSIONS, TURNS, seededRandom(0x10ad));

  beforeAll(async () => {
    // A function rule per turn, on the request's last user text: each turn gets its own text.
    stack = await startStack({ rules: plan.flat().map(ruleFor) });
    await stack.runtime.start();
    run = await runLoad(stack.runtime, plan, recorder.sink);
    writeResult("load", {
      sessions: SESSIONS,
      turnsPerSession: TURNS,
      turns: SESSIONS * TURNS,
      wallMs: Math.round(run.wallMs),
      turnsPerSecond: Number(((SESSIONS * TURNS) / (run.wallMs / 1000)).toFixed(2)),
      cpuMsPerTurn: Number((run.cpuMs / (SESSIONS * TURNS)).toFixed(2)),
    });
  });

  afterAll(async () => {
    const left = await stack?.close();
    expect(left).toEqual([]);
  });

  it("completes every turn, each conversation on its own session", () => {
    const sessions = run.results.map((turns) => turns[0]?.sessionId);
    expect(new Set(sessions).size).toBe(SESSIONS);
    run.results.forEach((turns, c) => {
      expect(turns.map((result) => result.status)).toEqual(plan[c]?.map(() => "completed"));
      for (const result of turns) expect(result.sessionId).toBe(sessions[c]);
    });
  });

  it("gives each turn exactly the text the stand-in sent, once, on its own trace", () => {
    const expected = new Set<string>();
    plan.forEach((turns, c) => {
      turns.forEach((turn, t) => {
        const traceId = loadTraceId(c, t);
        expected.add(traceId);
        const summary = summarizeTrace(traceId, recorder.of(traceId));
        expect(summary.problems, traceId).toEqual([]);
        expect(summary.text, traceId).toBe(turn.reply.text);
        expect(summary.final, traceId).toBe(turn.reply.text);
        expect(run.results[c]?.[t]?.text, traceId).toBe(turn.reply.text);
      });
    });
    // No reply for a trace nobody asked for.
    expect(new Set(recorder.traces())).toEqual(expected);
    expect(recorder.all.filter((reply) => reply.kind === "final")).toHaveLength(SESSIONS * TURNS);
  });

  it("sent each prompt to the model once, with only its own conversation as history", () => {
    const turnRequests = stack.llm.requests.filter((request) => !request.isTitleRequest);
    expect(turnRequests).toHaveLength(SESSIONS * TURNS);
    plan.forEach((turns, c) => {
      turns.forEach((turn, t) => {
        const matching = turnRequests.filter((request) => request.lastUserText === turn.prompt);
        expect(matching, turn.prompt).toHaveLength(1);
        const messages = matching[0]?.messages ?? [];
        const said = (role: string): string[] =>
          messages
            .filter((message) => message.role === role)
            .map((message) =>
              typeof message.content === "string"
                ? message.content
                : JSON.stringify(message.content),
            );
        // opencode may wrap or annotate texts: compare by inclusion, in order.
        const users = said("user");
        const assistants = said("assistant");
        expect(users, `${c}/${t}`).toHaveLength(t + 1);
        for (const [i, text] of users.entries()) expect(text).toContain(turns[i]?.prompt);
        expect(assistants, `${c}/${t}`).toHaveLength(t);
        for (const [i, text] of assistants.entries()) expect(text).toContain(turns[i]?.reply.text);
      });
    });
  });
});

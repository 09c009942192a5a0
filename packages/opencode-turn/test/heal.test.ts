import type { Reply, TurnResult } from "@taos/opencode-adapter";
import { describe, expect, it } from "vitest";
import {
  isWedgeSign,
  runHealingTurn,
  type WedgedTurn,
  WedgeWatch,
  wedgedAfterOption,
} from "../src/internals.js";

const completed: TurnResult = { sessionId: "s", status: "completed", text: "hi" };
const noAnswer: TurnResult = {
  sessionId: "s",
  status: "error",
  text: "",
  error: "opencode accepted the prompt but produced no answer",
  code: "no_answer",
};
const serverError: TurnResult = { ...noAnswer, code: "opencode_server_error", error: "HTTP 500" };
const upstream: TurnResult = { ...noAnswer, code: "upstream_unavailable", error: "proxy down" };
const aborted: TurnResult = { ...noAnswer, status: "aborted", code: "aborted" };

describe("isWedgeSign", () => {
  it.each([
    [noAnswer, true],
    [serverError, true],
    [upstream, false],
    [completed, false],
    [{ ...noAnswer, status: "aborted" as const }, false],
  ])("%j", (result, expected) => {
    expect(isWedgeSign(result)).toBe(expected);
  });
});

describe("WedgeWatch", () => {
  it("tips after wedgedAfter signs in a row, then counts again from zero", () => {
    const watch = new WedgeWatch(2);
    expect([noAnswer, serverError, noAnswer, noAnswer].map((r) => watch.record(r))).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it("any other end breaks the row; an aborted turn does not", () => {
    const watch = new WedgeWatch(2);
    expect(watch.record(noAnswer)).toBe(false);
    expect(watch.record(aborted)).toBe(false);
    expect(watch.inRow).toBe(1);
    expect(watch.record(upstream)).toBe(false);
    expect(watch.inRow).toBe(0);
    expect(watch.record(noAnswer)).toBe(false);
    expect(watch.record(completed)).toBe(false);
    expect(watch.record(noAnswer)).toBe(false);
  });

  it("never tips with wedgedAfter 0, and tips at once with 1", () => {
    const never = new WedgeWatch(0);
    expect([noAnswer, noAnswer, noAnswer].map((r) => never.record(r))).toEqual([
      false,
      false,
      false,
    ]);
    expect(new WedgeWatch(1).record(noAnswer)).toBe(true);
  });
});

function errorReply(result: TurnResult): Reply {
  return { kind: "error", trace_id: "t", error: result.error ?? "", code: result.code };
}

/** A turn whose runs end as `ends` says, one after the other, replying as a real one would. */
function scripted(ends: TurnResult[], options: { healed?: boolean; deltaOnRun?: number } = {}) {
  const replies: Reply[] = [];
  const heals: WedgedTurn[] = [];
  let runs = 0;
  const watch = new WedgeWatch(2);
  const turn = {
    traceId: "t",
    sink: (reply: Reply) => void replies.push(reply),
    watch,
    run: async (sink: (reply: Reply) => void | Promise<void>) => {
      const result = ends[runs++] ?? completed;
      if (options.deltaOnRun === runs) await sink({ kind: "delta", trace_id: "t", content: "par" });
      await sink(
        result.status === "completed"
          ? { kind: "final", trace_id: "t", content: result.text }
          : errorReply(result),
      );
      return result;
    },
    heal: async (wedged: WedgedTurn) => {
      heals.push(wedged);
      return options.healed ?? true;
    },
  };
  return { turn, replies, heals, runs: () => runs, watch };
}

describe("runHealingTurn", () => {
  it("passes a turn through untouched while the server is not wedged", async () => {
    const s = scripted([noAnswer]);
    expect(await runHealingTurn(s.turn)).toBe(noAnswer);
    expect(s.replies).toEqual([errorReply(noAnswer)]);
    expect(s.heals).toEqual([]);
    expect(s.watch.inRow).toBe(1);
  });

  it("heals on the second sign in a row and sends the turn again once: the caller sees only the answer", async () => {
    const s = scripted([noAnswer]);
    await runHealingTurn(s.turn);
    const again = scripted([serverError, completed]);
    const result = await runHealingTurn({ ...again.turn, watch: s.watch });
    expect(result).toBe(completed);
    expect(again.heals).toEqual([{ code: "opencode_server_error", turns: 2, traceId: "t" }]);
    expect(again.runs()).toBe(2);
    expect(again.replies).toEqual([{ kind: "final", trace_id: "t", content: "hi" }]);
  });

  it("never sends again a turn that produced anything: its error goes out after the heal", async () => {
    const s = scripted([noAnswer, noAnswer], { deltaOnRun: 2 });
    await runHealingTurn(s.turn);
    const result = await runHealingTurn(s.turn);
    expect(result).toBe(noAnswer);
    expect(s.heals).toHaveLength(1);
    expect(s.runs()).toBe(2);
    expect(s.replies.map((reply) => reply.kind)).toEqual(["error", "delta", "error"]);
  });

  it("gives the error when the heal failed, and does not send again", async () => {
    const s = scripted([noAnswer, noAnswer, completed], { healed: false });
    await runHealingTurn(s.turn);
    expect(await runHealingTurn(s.turn)).toBe(noAnswer);
    expect(s.runs()).toBe(2);
    expect(s.replies.map((reply) => reply.kind)).toEqual(["error", "error"]);
  });

  it("sends again only once: a fresh server that fails too gives its error", async () => {
    const s = scripted([noAnswer, noAnswer, noAnswer]);
    await runHealingTurn(s.turn);
    expect(await runHealingTurn(s.turn)).toBe(noAnswer);
    expect(s.runs()).toBe(3);
    expect(s.heals).toHaveLength(1);
    expect(s.replies).toEqual([errorReply(noAnswer), errorReply(noAnswer)]);
    expect(s.watch.inRow).toBe(1);
  });
});

describe("wedgedAfterOption", () => {
  const fail = (message: string): never => {
    throw new Error(message);
  };
  it("defaults to 2 and takes whole numbers >= 0", () => {
    expect(wedgedAfterOption(undefined, fail)).toBe(2);
    expect(wedgedAfterOption(0, fail)).toBe(0);
    expect(wedgedAfterOption(5, fail)).toBe(5);
  });
  it.each([-1, 1.5, "2", Number.NaN, null])("refuses %s", (value) => {
    expect(() => wedgedAfterOption(value, fail)).toThrow(/whole number >= 0/);
  });
});

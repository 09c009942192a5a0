/**
 * A server opencode breaks for good: with OPENCODE_DISABLE_SHARE set (forced here), an
 * abort of a fresh server's first prompt while it boots its instance leaves opencode
 * failing every later prompt without an answer (see the server README). Busy cores make
 * that window wide, as on a loaded board. Whether or not opencode broke this time, no turn
 * may end `completed` with an empty or wrong text, and a turn answers right within two.
 * With the default environment the same abort is followed by normal answers.
 */
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { busyCores, makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenCodeRuntime, type Reply, type TurnResult, type WedgedTurn } from "../src/index.js";
import { pidsWithHome } from "./processes.js";

const KEY = "sk-runtime-wedge-key-51ab";
const MODEL = "fake-model";

let llm: FakeLiteLLM;
let home: TempHome;
let runtime: OpenCodeRuntime | undefined;

beforeAll(async () => {
  // No rule: the stand-in echoes the prompt, so a right answer is the prompt itself.
  llm = await startFakeLiteLLM({ keys: [KEY], models: [MODEL] });
});

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  if (home) expect(pidsWithHome(home.path)).toEqual([]);
  await home?.cleanup();
});

afterAll(async () => {
  await llm?.close();
});

async function newRuntime(env: Record<string, string>): Promise<{
  runtime: OpenCodeRuntime;
  wedges: WedgedTurn[];
}> {
  home = await makeTempHome("taos-runtime-wedge-");
  const wedges: WedgedTurn[] = [];
  runtime = new OpenCodeRuntime({
    server: { home: home.path, litellm: { baseURL: llm.url, apiKey: KEY, modelIds: [MODEL] }, env },
    onWedged: (wedged) => void wedges.push(wedged),
  });
  return { runtime, wedges };
}

/** The first turn of a fresh server, aborted as soon as opencode reports it busy, on busy cores. */
async function abortFirstTurnEarly(rt: OpenCodeRuntime): Promise<TurnResult> {
  const busy = busyCores(2);
  try {
    await rt.start();
    const controller = new AbortController();
    return await rt.turn("the first message", {
      traceId: "early-abort",
      sink: () => undefined,
      signal: controller.signal,
      onStatus: (update) => {
        if (update.type === "busy") controller.abort();
      },
    });
  } finally {
    await busy.stop();
  }
}

/** One normal turn; its replies and result. */
async function normalTurn(rt: OpenCodeRuntime, text: string, sessionId?: string) {
  const replies: Reply[] = [];
  const result = await rt.turn(text, {
    traceId: `t-${text}`,
    sink: (reply) => void replies.push(reply),
    ...(sessionId === undefined ? {} : { sessionId }),
  });
  return { result, replies };
}

/** Never a silent success: completed means the right text; anything else is one error reply. */
function expectHonest(turn: { result: TurnResult; replies: Reply[] }, text: string): void {
  if (turn.result.status === "completed") {
    expect(turn.result.text).toBe(text);
    expect(turn.replies.at(-1)).toMatchObject({ kind: "final", content: text });
  } else {
    expect(turn.replies.filter((reply) => reply.kind === "error")).toHaveLength(1);
    expect(turn.result.code).toMatch(/^(no_answer|opencode_server_error)$/);
  }
}

describe("a server opencode broke after an early abort", () => {
  it("never ends a turn completed with an empty or wrong text, and heals within two turns", async () => {
    const { runtime: rt, wedges } = await newRuntime({ OPENCODE_DISABLE_SHARE: "1" });
    const first = await abortFirstTurnEarly(rt);
    if (first.status === "completed") expect(first.text).toBe("the first message");
    const second = await normalTurn(rt, "the second message");
    expectHonest(second, "the second message");
    const third = await normalTurn(rt, "the third message", second.result.sessionId || undefined);
    expectHonest(third, "the third message");
    // Within two turns one answers right (the heal sends the tipping turn again).
    expect([second.result.status, third.result.status]).toContain("completed");
    const fourth = await normalTurn(rt, "the fourth message");
    expectHonest(fourth, "the fourth message");
    expect(fourth.result.status).toBe("completed");
    // The log of what happened, for a reader of a failure.
    console.info(
      `early abort: ${first.status}; then ${[second, third, fourth].map((t) => t.result.status)}; heals: ${JSON.stringify(wedges)}`,
    );
    // Broken, the second turn fails (one in a row) and the third tips the server: one heal.
    expect(wedges.length).toBe(second.result.status === "completed" ? 0 : 1);
  });
});

describe("the default environment", () => {
  it("answers normally after the early abort, in the same and in a new session", async () => {
    const { runtime: rt, wedges } = await newRuntime({});
    const first = await abortFirstTurnEarly(rt);
    expect(first.status === "aborted" || first.text === "the first message").toBe(true);
    const same = await normalTurn(rt, "same session", first.sessionId || undefined);
    expect(same.result).toMatchObject({ status: "completed", text: "same session" });
    const fresh = await normalTurn(rt, "new session");
    expect(fresh.result).toMatchObject({ status: "completed", text: "new session" });
    expect(fresh.result.sessionId).not.toBe(same.result.sessionId);
    expect(wedges).toEqual([]);
  });
});

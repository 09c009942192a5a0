import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeLiteLLM, startFakeLiteLLM } from "../src/index.js";
import { type ChunkJson, chunksOf, postCompletion } from "./sse.js";

const KEY = "sk-usage";
let llm: FakeLiteLLM;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY] });
});
afterAll(async () => {
  await llm.close();
});
afterEach(() => {
  llm.reset();
});

async function lastChunk(text: string): Promise<ChunkJson | undefined> {
  return (await chunksOf(await postCompletion(llm.url, KEY, text))).at(-1);
}

describe("usage override", () => {
  it("reports the scripted prompt_tokens and keeps the estimate for the rest", async () => {
    llm.setRules([
      { match: "big", reply: { text: "short answer", usage: { prompt_tokens: 50_000 } } },
    ]);
    const usage = (await lastChunk("a big prompt"))?.usage;
    expect(usage?.prompt_tokens).toBe(50_000);
    expect(usage?.completion_tokens).toBe(Math.ceil("short answer".length / 4));
    expect(usage?.total_tokens).toBe(50_000 + (usage?.completion_tokens ?? 0));
  });

  it("reports every scripted count as given, total included", async () => {
    const usage = { prompt_tokens: 10, completion_tokens: 20, total_tokens: 99 };
    llm.setRules([{ reply: { text: "x", usage } }]);
    expect((await lastChunk("anything"))?.usage).toEqual(usage);
  });

  it("applies to a tool-call reply too", async () => {
    llm.setRules([
      {
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "true" } }],
          usage: { completion_tokens: 7 },
        },
      },
    ]);
    const chunk = await lastChunk("run");
    expect(chunk?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(chunk?.usage?.completion_tokens).toBe(7);
  });

  it("rejects a count that is not a non-negative integer, naming the field", () => {
    expect(() => llm.setRules([{ reply: { text: "x", usage: { prompt_tokens: -1 } } }])).toThrow(
      /"rules\[0\]\.reply\.usage\.prompt_tokens"/,
    );
    expect(() =>
      llm.addRule({
        reply: { toolCalls: [{ name: "bash", arguments: {} }], usage: { total_tokens: 1.5 } },
      }),
    ).toThrow(/"rule\.reply\.usage\.total_tokens"/);
  });
});

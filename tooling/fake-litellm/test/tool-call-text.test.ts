import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLiteLLM, startFakeLiteLLM } from "../src/index.js";
import { type ChunkJson, chunksOf, postCompletion } from "./sse.js";

const KEY = "sk-tool-text";
let llm: FakeLiteLLM;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    rules: [
      {
        reply: {
          reasoning: "Thinking.",
          text: "Let me look:",
          toolCalls: [{ name: "bash", arguments: { command: "true" } }],
        },
      },
    ],
  });
});
afterAll(async () => {
  await llm.close();
});

async function chunks(stream: boolean): Promise<unknown> {
  const response = await postCompletion(llm.url, KEY, "go", { stream });
  return stream ? chunksOf(response) : response.json();
}

describe("a tool-call script with text", () => {
  it("streams the reasoning, then the text, then the tool calls", async () => {
    const list = (await chunks(true)) as ChunkJson[];
    const deltas = list.map((chunk) => chunk.choices[0]?.delta ?? {});
    const reasoning = deltas.findIndex((delta) => delta.reasoning_content === "Thinking.");
    const text = deltas.findIndex((delta) => delta.content === "Let me look:");
    const call = deltas.findIndex((delta) => delta.tool_calls !== undefined);
    expect(reasoning).toBeGreaterThanOrEqual(0);
    expect(text).toBeGreaterThan(reasoning);
    expect(call).toBeGreaterThan(text);
    expect(list.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("puts the text in the message content when not streamed", async () => {
    const body = (await chunks(false)) as { choices: { message: { content: unknown } }[] };
    expect(body.choices[0]?.message.content).toBe("Let me look:");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_DEMO_COMMAND,
  agentDemoRules,
  type FakeLiteLLM,
  FakeLiteLLMOptionsError,
  startFakeLiteLLM,
} from "../src/index.js";

const KEY = "sk-agent-demo";
let llm: FakeLiteLLM;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    defaultScript: "agent",
    rules: [{ match: "scripted", reply: { text: "A rule still wins." } }],
  });
});
afterAll(async () => {
  await llm.close();
});

interface Completion {
  choices: Array<{
    message: {
      content: string | null;
      reasoning_content?: string;
      tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    };
    finish_reason: string;
  }>;
}

async function complete(messages: unknown[], tools: string[] = ["bash", "read"]) {
  const res = await fetch(`${llm.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({
      model: "fake-model",
      messages,
      tools: tools.map((name) => ({ type: "function", function: { name, parameters: {} } })),
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as Completion;
  const choice = body.choices[0];
  if (choice === undefined) throw new Error("no choice");
  return choice;
}

describe("the agent demo script", () => {
  it("reasons, runs one bash command, then answers quoting the command's output", async () => {
    const user = { role: "user", content: "Say hello" };
    const first = await complete([user]);
    expect(first.finish_reason).toBe("tool_calls");
    expect(first.message.reasoning_content).toContain('"Say hello"');
    const call = first.message.tool_calls?.[0];
    expect(call?.function.name).toBe("bash");
    expect(JSON.parse(call?.function.arguments ?? "{}")).toMatchObject({
      command: AGENT_DEMO_COMMAND,
    });

    const output = "Plan9 mips-marker-77";
    const second = await complete([
      user,
      {
        role: "assistant",
        content: "",
        tool_calls: [{ id: call?.id, type: "function", function: call?.function }],
      },
      { role: "tool", tool_call_id: call?.id, content: `${output}\n` },
    ]);
    expect(second.finish_reason).toBe("stop");
    expect(second.message.content).toContain(`printed "${output}"`);
    expect(second.message.content).toContain('You wrote: "Say hello"');
  });

  it("answers directly when no bash tool is offered", async () => {
    const reply = await complete([{ role: "user", content: "hi there" }], []);
    expect(reply.message.tool_calls).toBeUndefined();
    expect(reply.message.reasoning_content).toBeDefined();
    expect(reply.message.content).toContain('You wrote: "hi there"');
  });

  it("leaves rules first and structured-output requests to the generated object", async () => {
    expect((await complete([{ role: "user", content: "scripted" }])).message.content).toBe(
      "A rule still wins.",
    );
    const structured = await complete(
      [{ role: "user", content: "json" }],
      ["bash", "StructuredOutput"],
    );
    expect(structured.message.tool_calls?.[0]?.function.name).toBe("StructuredOutput");
  });

  it("is available as rules, and a bad defaultScript is refused", async () => {
    expect(agentDemoRules()).toHaveLength(2);
    await expect(startFakeLiteLLM({ defaultScript: "poem" as never })).rejects.toThrow(
      FakeLiteLLMOptionsError,
    );
  });
});

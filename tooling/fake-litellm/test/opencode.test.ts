import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeLiteLLM, startFakeLiteLLM } from "../src/index.js";
import { type Message, type OpenCodeCall, openCodeCaller } from "./opencode-api.js";

const KEY = "sk-agent-oc-1";
const MODEL = { providerID: "litellm", modelID: "fake-model" };
const MARKER = "tool-output-marker-42";

let llm: FakeLiteLLM;
let opencode: OpenCodeInTempHome;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    rules: [
      { match: "say hello", reply: { text: "Hello from the stand-in.", chunks: 5 } },
      {
        match: "run the echo tool",
        reply: {
          toolCalls: [
            { name: "bash", arguments: { command: `echo ${MARKER}`, description: "echo" } },
          ],
          then: { text: "The command printed the marker." },
        },
      },
    ],
  });
  opencode = await startOpenCodeInTempHome({
    homePrefix: "taos-fake-litellm-",
    config: buildOpenCodeConfig({
      baseURL: llm.url,
      apiKey: KEY,
      modelIds: ["fake-model"],
      // opencode 1.18.33 allows bash by default; say so anyway so a default change cannot hang the test.
      permission: { bash: "allow" },
    }),
  });
});

afterAll(async () => {
  await opencode?.stop();
  await llm?.close();
});

const call: OpenCodeCall = openCodeCaller(() => opencode);

async function prompt(text: string): Promise<{ sessionID: string; reply: Message }> {
  const session = await call<{ id: string }>("POST", "/session", {});
  const reply = await call<Message>("POST", `/session/${session.id}/message`, {
    model: MODEL,
    parts: [{ type: "text", text }],
  });
  return { sessionID: session.id, reply };
}

const textOf = (message: Message) =>
  message.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text)
    .join("");

describe("opencode serve against the stand-in", () => {
  it("runs a text turn: the reply comes from the stand-in, which saw the Bearer key", async () => {
    const { sessionID, reply } = await prompt("please say hello");
    expect(reply.info.error).toBeUndefined();
    expect(textOf(reply)).toBe("Hello from the stand-in.");

    const turn = llm.requests.filter(
      (r) => !r.isTitleRequest && r.lastUserText === "please say hello",
    );
    expect(turn).toHaveLength(1);
    expect(turn[0]?.key).toBe(KEY);
    expect(turn[0]?.model).toBe("fake-model");
    expect(turn[0]?.stream).toBe(true);
    expect(turn[0]?.tools).toContain("bash");

    // The title request of the session's first prompt is answered with the stand-in's title.
    const titles = llm.requests.filter((r) => r.isTitleRequest);
    expect(titles.length).toBeGreaterThanOrEqual(1);
    expect(titles.every((r) => r.key === KEY && r.status === 200)).toBe(true);
    await vi.waitFor(
      async () => {
        const session = await call<{ title: string }>("GET", `/session/${sessionID}`);
        expect(session.title).toBe("Scripted session");
      },
      { timeout: scaled(15_000), interval: 100 },
    );
  });

  it("runs a tool-call turn: bash runs, its result goes back, and the `then` text is the answer", async () => {
    const { sessionID, reply } = await prompt("run the echo tool now");
    expect(reply.info.error).toBeUndefined();
    expect(textOf(reply)).toBe("The command printed the marker.");

    const messages = await call<Message[]>("GET", `/session/${sessionID}/message`);
    const tools = messages.flatMap((m) => m.parts).filter((p) => p.type === "tool");
    expect(tools).toHaveLength(1);
    const [tool] = tools;
    expect(tool?.tool).toBe("bash");
    expect(tool?.state?.status).toBe("completed");
    expect(tool?.state?.input).toMatchObject({ command: `echo ${MARKER}` });
    expect(tool?.state?.output).toContain(MARKER);

    // opencode sent the result back as a role "tool" message naming the call.
    const followUp = llm.requests.find((r) => r.messages.at(-1)?.role === "tool");
    const last = followUp?.messages.at(-1);
    expect(last?.tool_call_id).toBe(tool?.callID);
    expect(String(last?.content)).toContain(MARKER);
    expect(followUp?.key).toBe(KEY);
  });
});

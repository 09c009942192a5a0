/** What the adapter's real-server test files share: their stack, its secrets and model rules. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type FakeLiteLLM, type RecordedRequest, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, beforeAll } from "vitest";

import { startProxy, TestAdapters, type TestProxy } from "./support.js";

export const KEY = "sk-agent-adapter-test-7f3a";
export const PASSWORD = "pw-adapter-test-91c2";
export const MARKER = "tool-output-marker-5521";
/** A long reply streamed fast: a cut stream then drops events while a new one is being confirmed. */
export const DENSE_TEXT: string = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
export const BASIC: string = `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString("base64")}`;

export let llm: FakeLiteLLM;
export let opencode: OpenCodeInTempHome;
export let proxy: TestProxy;
export let elsewhere: string;
export const adapters: TestAdapters = new TestAdapters(() => ({
  baseUrl: proxy.url,
  password: PASSWORD,
  modelId: "fake-model",
}));
export const adapter: TestAdapters["make"] = adapters.make;

/**
 * One real `opencode serve` for the file (Basic auth on, `bash` set to "ask"), its
 * LiteLLM stand-in and a recording proxy in front of it: started before the file's
 * tests, stopped after them.
 */
export function useRealStack(): void {
  beforeAll(async () => {
    llm = await startFakeLiteLLM({
      keys: [KEY],
      rules: [
        {
          match: "say hello",
          reply: { text: "Hello from the stand-in, in six pieces.", chunks: 6 },
        },
        {
          match: "think first",
          reply: { reasoning: "Weighing it up.", text: "Thought it through." },
        },
        {
          match: "run the growing tool",
          reply: {
            toolCalls: [
              {
                name: "bash",
                arguments: {
                  command: `echo one; sleep 0.3; echo ${MARKER}; sleep 0.3; echo three`,
                  description: "print three lines",
                },
              },
            ],
            then: { text: "The command ran." },
          },
        },
        {
          match: "run the plain tool",
          reply: {
            toolCalls: [
              { name: "bash", arguments: { command: "echo plain", description: "echo" } },
            ],
            then: { text: "Plain tool done." },
          },
        },
        {
          match: "run the slow tool",
          reply: {
            toolCalls: [{ name: "bash", arguments: { command: "sleep 30", description: "sleep" } }],
            then: { text: "Slept." },
          },
        },
        {
          match: "ask me",
          reply: {
            toolCalls: [
              {
                name: "question",
                arguments: {
                  questions: [
                    {
                      question: "Which colour?",
                      header: "Colour",
                      options: [
                        { label: "Red", description: "warm" },
                        { label: "Blue", description: "cool" },
                      ],
                    },
                  ],
                },
              },
            ],
            then: { text: "Noted." },
          },
        },
        { match: "upstream refuses", reply: { error: { status: 401 } } },
        {
          match: "stall now",
          reply: { stall: { ms: 60_000, afterChunks: 1, text: "Stalled reply text" } },
        },
        { match: "describe the file", reply: { text: "I see the file." } },
        { match: "upstream keeps failing", reply: { error: { status: 500 } } },
        { match: "dense words", reply: { text: DENSE_TEXT, chunks: 3000, chunkDelayMs: 1 } },
      ],
    });
    opencode = await startOpenCodeInTempHome({
      homePrefix: "taos-adapter-",
      password: PASSWORD,
      config: buildOpenCodeConfig({
        baseURL: llm.url,
        apiKey: KEY,
        modelIds: ["fake-model"],
        permission: { bash: "ask" },
      }),
    });
    elsewhere = join(opencode.home, "elsewhere");
    await mkdir(elsewhere);
    proxy = await startProxy(opencode.url);
  });
  afterAll(async () => {
    await adapters.closeAll();
    await proxy?.close();
    await opencode?.stop();
    await llm?.close();
  });
}

/** The last model request (titles aside) whose messages hold `text`. */
export function lastRequestWith(text: string): RecordedRequest | undefined {
  return [...llm.requests]
    .reverse()
    .find((r) => !r.isTitleRequest && JSON.stringify(r.messages).includes(text));
}

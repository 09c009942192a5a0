import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type FakeLiteLLM, startFakeLiteLLM } from "../src/index.js";
import { type ChunkJson, SseReader } from "./sse.js";

export const KEY = "sk-agent-1";
/** The file's stand-in (a live binding: `useStandIn` starts it before the tests). */
export let llm: FakeLiteLLM;

/** One stand-in for the file's tests, reset after each. */
export function useStandIn(): void {
  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY, "sk-agent-2"], models: ["fake-model", "other"] });
  });
  afterAll(async () => {
    await llm.close();
  });
  afterEach(() => {
    llm.reset();
  });
}

export interface ChatOptions {
  readonly text?: string;
  readonly stream?: boolean;
  readonly key?: string | null;
  readonly messages?: readonly unknown[];
  readonly extra?: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

export function chat(options: ChatOptions = {}): Promise<Response> {
  const key = options.key === undefined ? KEY : options.key;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const messages = options.messages ?? [
    { role: "system", content: "You are a test." },
    { role: "user", content: options.text ?? "hello" },
  ];
  return fetch(`${llm.url}/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "fake-model",
      stream: options.stream ?? true,
      messages,
      ...options.extra,
    }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Reads a whole SSE reply: parsed chunks, and whether `[DONE]` closed it. */
export async function streamed(
  response: Response,
): Promise<{ chunks: ChunkJson[]; done: boolean }> {
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const payloads = await new SseReader(response).rest();
  const done = payloads.at(-1) === "[DONE]";
  const chunks = payloads.filter((p) => p !== "[DONE]").map((p) => JSON.parse(p) as ChunkJson);
  return { chunks, done };
}

export const contentOf = (chunks: ChunkJson[]): string =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

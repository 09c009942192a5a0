import { type FakeLiteLLM, type RecordedRequest, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll } from "vitest";
import { OpenCodeRuntime, type Reply } from "../src/index.js";

export const KEY = "sk-runtime-test-key-9c1d";

/** Live bindings: set by `useRuntimeStack` before the file's tests. */
export let llm: FakeLiteLLM;
export let home: TempHome;
let runtime: OpenCodeRuntime | undefined;

/** One stand-in and one home for the file; the runtime a test made is stopped after it. */
export function useRuntimeStack(): void {
  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY], models: ["first-model", "second-model"] });
    home = await makeTempHome("taos-runtime-");
  });
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });
  afterAll(async () => {
    await llm?.close();
    await home?.cleanup();
  });
}

/** Stops `made` after the test (a runtime made by hand rather than by `newRuntime`). */
export function track(made: OpenCodeRuntime): void {
  runtime = made;
}

export function newRuntime(): OpenCodeRuntime {
  runtime = new OpenCodeRuntime({
    server: {
      home: home.path,
      litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model", "second-model"] },
    },
  });
  return runtime;
}

export function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

/** The model requests of turns (titles aside). */
export function turnRequests(): RecordedRequest[] {
  return llm.requests.filter((request) => !request.isTitleRequest);
}

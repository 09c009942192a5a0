import type { OpenCodeAdapterConfig, Reply, Sink, TurnResult } from "@taos/opencode-adapter";
import type { AdapterFactory, DriveTurnOptions, TurnAdapter } from "../src/index.js";

// A scripted stand-in for OpenCodeAdapter: only for failures the real one cannot be made to show.
export interface Script {
  readonly session?: string | Error;
  readonly replies?: readonly Reply[];
  readonly result?: TurnResult | Error;
  readonly closeError?: Error;
}

export interface Recorded {
  config?: OpenCodeAdapterConfig;
  promptText?: string;
  promptOptions?: Parameters<TurnAdapter["prompt"]>[1];
  ensureCalls: number;
  promptCalls: number;
  closeCalls: number;
}

export function fakeFactory(script: Script): { factory: AdapterFactory; rec: Recorded } {
  const rec: Recorded = { ensureCalls: 0, promptCalls: 0, closeCalls: 0 };
  const factory: AdapterFactory = (config, sink) => {
    rec.config = config;
    const adapter: TurnAdapter = {
      async ensureSession() {
        rec.ensureCalls++;
        const session = script.session ?? "ses_fake";
        if (session instanceof Error) throw session;
        return session;
      },
      async prompt(text, options) {
        rec.promptCalls++;
        rec.promptText = text;
        rec.promptOptions = options;
        for (const reply of script.replies ?? []) await sink(reply);
        const result = script.result ?? { sessionId: "ses_fake", status: "completed", text: "" };
        if (result instanceof Error) throw result;
        return result;
      },
      async close() {
        rec.closeCalls++;
        if (script.closeError) throw script.closeError;
      },
    };
    return adapter;
  };
  return { factory, rec };
}

export function collector(): { sink: Sink; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

export const base: Omit<DriveTurnOptions, "adapterFactory"> = {
  baseUrl: "http://127.0.0.1:4096",
  modelId: "fake-model",
};

export const textReplies: Reply[] = [
  { kind: "delta", trace_id: "t1", content: "Hel" },
  { kind: "delta", trace_id: "t1", content: "lo" },
  { kind: "final", trace_id: "t1", content: "Hello" },
];
export const completed: TurnResult = { sessionId: "ses_fake", status: "completed", text: "Hello" };

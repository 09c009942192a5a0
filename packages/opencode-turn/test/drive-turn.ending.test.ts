import { REDACTED } from "@taos/internal";
import type { Reply, Sink, TurnResult } from "@taos/opencode-adapter";
import { describe, expect, it } from "vitest";
import { type AdapterFactory, driveTurn } from "../src/index.js";
import {
  base,
  collector,
  completed,
  fakeFactory,
  type Script,
  textReplies,
} from "./scripted-adapter.js";

describe("driveTurn with a scripted adapter: its own error, the sink, abort", () => {
  it("adds no error when the adapter already reported the failure", async () => {
    const adapterError: Reply = {
      kind: "error",
      trace_id: "t1",
      error: "Authentication Error, invalid key",
      code: "upstream_unauthorized",
      opencode_error: "APIError",
    };
    const { factory } = fakeFactory({
      replies: [adapterError],
      result: {
        sessionId: "ses_fake",
        status: "error",
        text: "",
        error: "Authentication Error, invalid key",
      },
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([adapterError]);
    expect(result.status).toBe("error");
  });

  it("adds no error when the adapter reported one and then rejected", async () => {
    const { factory } = fakeFactory({
      replies: [{ kind: "error", trace_id: "t1", error: "upstream 500" }],
      result: new Error("then it broke"),
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies.filter((r) => r.kind === "error")).toHaveLength(1);
    expect(result.status).toBe("error");
  });

  it("adds the missing error when the adapter ends a failed turn silently", async () => {
    const { factory } = fakeFactory({
      result: { sessionId: "ses_fake", status: "error", text: "", error: "model not found" },
    });
    const { sink, replies } = collector();
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([{ kind: "error", trace_id: "t1", error: "model not found" }]);
  });

  const throwingSinks: [string, Sink][] = [
    [
      "throws",
      () => {
        throw new Error("sink down");
      },
    ],
    [
      "rejects",
      async () => {
        throw new Error("sink down");
      },
    ],
  ];

  it.each(throwingSinks)(
    "never throws when the sink %s, ends as the adapter did and closes it",
    async (_, sink) => {
      const cases: [Script, TurnResult["status"]][] = [
        [{ replies: textReplies, result: completed }, "completed"],
        [{ session: new Error("no session") }, "error"],
        [{ result: new Error("prompt broke") }, "error"],
      ];
      for (const [script, status] of cases) {
        const { factory, rec } = fakeFactory(script);
        const warnings: string[] = [];
        const record = (_fields: object, message?: string): void =>
          void warnings.push(message ?? "");
        const logger = { debug: record, info: record, warn: record, error: record };
        const result = await driveTurn("hi", "t1", sink, {
          ...base,
          logger,
          adapterFactory: factory,
        });
        expect(result.status).toBe(status);
        expect(warnings).toContain("sink failed");
        expect(rec.closeCalls).toBe(1);
      }
    },
  );

  it("awaits an async sink in order", async () => {
    const { factory } = fakeFactory({ replies: textReplies, result: completed });
    const seen: string[] = [];
    const sink: Sink = async (reply) => {
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(reply.kind === "delta" ? reply.content : reply.kind);
    };
    await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(seen).toEqual(["Hel", "lo", "final"]);
  });

  it("adds no queue of its own: a sync sink takes each reply inside the adapter's call, which gets no promise back", async () => {
    const returned: unknown[] = [];
    const seenAtReturn: number[] = [];
    const replies: Reply[] = [];
    const factory: AdapterFactory = (_config, sink) => ({
      ensureSession: async () => "ses_fake",
      async prompt() {
        for (const reply of textReplies) {
          returned.push(sink(reply));
          seenAtReturn.push(replies.length);
        }
        return completed;
      },
      close: () => undefined,
    });
    await driveTurn("hi", "t1", (reply) => void replies.push(reply), {
      ...base,
      adapterFactory: factory,
    });
    expect(returned).toEqual([undefined, undefined, undefined]);
    expect(seenAtReturn).toEqual([1, 2, 3]);
  });

  it("sends its own error after the reply an async sink is still taking", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const factory: AdapterFactory = (_config, sink) => ({
      ensureSession: async () => "ses_fake",
      async prompt() {
        // Not awaited: the adapter's own bug, rejecting while the sink still works.
        void sink({ kind: "delta", trace_id: "t1", content: "slow" });
        throw new Error("adapter broke");
      },
      close: () => undefined,
    });
    const sink: Sink = async (reply) => {
      if (reply.kind === "delta") await gate;
      seen.push(reply.kind);
    };
    const turn = driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    release();
    const result = await turn;
    expect(seen).toEqual(["delta", "error"]);
    expect(result.status).toBe("error");
  });

  it("stamps the turn's trace id on every reply", async () => {
    const { factory } = fakeFactory({
      replies: [{ kind: "delta", trace_id: "", content: "x" }],
      result: completed,
    });
    const { sink, replies } = collector();
    await driveTurn("hi", "trace-42", sink, { ...base, adapterFactory: factory });
    expect(replies).toEqual([{ kind: "delta", trace_id: "trace-42", content: "x" }]);
  });

  it("keeps the result when close fails", async () => {
    const { factory, rec } = fakeFactory({
      replies: textReplies,
      result: completed,
      closeError: new Error("pool busy"),
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, { ...base, adapterFactory: factory });
    expect(result).toEqual(completed);
    expect(replies).toEqual(textReplies);
    expect(rec.closeCalls).toBe(1);
  });

  it("keeps stacks and the password out of error messages", async () => {
    const failure = new Error("401 for opencode:s3cret-pw at http://127.0.0.1:4096");
    failure.stack = `Error: ${failure.message}\n    at fetch (node:internal)`;
    const { factory } = fakeFactory({ session: failure });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      password: "s3cret-pw",
      adapterFactory: factory,
    });
    const text = JSON.stringify({ replies, result });
    expect(text).not.toContain("s3cret-pw");
    expect(text).not.toContain("node:internal");
    expect(replies[0]).toMatchObject({ kind: "error" });
    expect((replies[0] as { error: string }).error).toContain(`401 for opencode:${REDACTED}`);
  });

  it("does not prompt when the signal is already aborted", async () => {
    const { factory, rec } = fakeFactory({ result: completed });
    const controller = new AbortController();
    controller.abort();
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      signal: controller.signal,
      adapterFactory: factory,
    });
    expect(result.status).toBe("aborted");
    expect(result.sessionId).toBe("ses_fake");
    expect(replies).toHaveLength(1);
    expect(replies[0]?.kind).toBe("error");
    expect(rec.promptCalls).toBe(0);
    expect(rec.closeCalls).toBe(1);
  });

  it("ends aborted, not failed, when the signal fires while the session is looked up", async () => {
    const controller = new AbortController();
    let received: AbortSignal | undefined;
    const factory: AdapterFactory = () => ({
      ensureSession: (signal) => {
        received = signal;
        controller.abort();
        return Promise.reject(new Error("This operation was aborted"));
      },
      prompt: () => Promise.reject(new Error("not reached")),
      close: () => undefined,
    });
    const { sink, replies } = collector();
    const result = await driveTurn("hi", "t1", sink, {
      ...base,
      signal: controller.signal,
      adapterFactory: factory,
    });
    expect(received).toBe(controller.signal);
    expect(result).toMatchObject({ status: "aborted", sessionId: "", code: "aborted" });
    expect(replies).toEqual([
      { kind: "error", trace_id: "t1", error: "turn aborted", code: "aborted" },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import {
  type AskDecision,
  DEFAULT_REJECT_MESSAGE,
  holdConnection,
  OpenCodeAdapter,
} from "../src/index.js";
import {
  adapter,
  adapters,
  lastRequestWith,
  MARKER,
  opencode,
  PASSWORD,
  proxy,
  useRealStack,
} from "./real-stack.js";
import { collectingSink } from "./support.js";

useRealStack();

describe("text and reasoning", () => {
  it("streams deltas in order, then exactly one final with the whole text and usage", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("say hello", { traceId: "trace-text" });
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Hello from the stand-in, in six pieces.");
    const deltas = out.of("delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((d) => d.content).join("")).toBe(result.text);
    const finals = out.of("final");
    expect(finals).toHaveLength(1);
    expect(out.replies.at(-1)).toBe(finals[0]);
    expect(finals[0]?.content).toBe(result.text);
    expect(finals[0]?.usage?.output_tokens).toBeGreaterThan(0);
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
    expect(out.replies.every((r) => r.trace_id === "trace-text")).toBe(true);
    expect(out.of("error")).toHaveLength(0);
  });

  it("sends reasoning as reasoning replies, kept out of the final text", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("think first");
    expect(result.status).toBe("completed");
    expect(
      out
        .of("reasoning")
        .map((r) => r.content)
        .join(""),
    ).toBe("Weighing it up.");
    expect(result.text).toBe("Thought it through.");
    expect(out.of("final")[0]?.content).toBe("Thought it through.");
  });
});

describe("tools and permissions", () => {
  it("emits one tool_call (args from state.input) and one tool_result per call, whatever the running updates", async () => {
    const out = collectingSink();
    const decisions: AskDecision[] = [];
    const result = await adapter(out.sink, {
      permission: () => "once",
      onDecision: (decision) => decisions.push(decision),
    }).prompt("run the growing tool");
    expect(result.status).toBe("completed");
    const calls = out.of("tool_call");
    const results = out.of("tool_result");
    expect(calls).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(calls[0]?.tool).toBe("bash");
    expect(calls[0]?.args).toMatchObject({ description: "print three lines" });
    expect(String(calls[0]?.args.command)).toContain(MARKER);
    expect(results[0]?.call_id).toBe(calls[0]?.call_id);
    expect(results[0]?.success).toBe(true);
    expect(results[0]?.result).toContain(MARKER);
    expect(result.text).toBe("The command ran.");
    expect(decisions).toEqual(result.decisions);
    expect(result.decisions).toMatchObject([
      { kind: "permission", permission: "bash", reply: "once" },
    ]);
  });

  it("rejects a permission ask by default, with a message the model gets, and the turn goes on", async () => {
    const out = collectingSink();
    const result = await adapter(out.sink).prompt("run the plain tool");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Plain tool done.");
    expect(result.decisions).toMatchObject([
      { kind: "permission", reply: "reject", message: DEFAULT_REJECT_MESSAGE },
    ]);
    const toolResult = out.of("tool_result")[0];
    expect(toolResult?.success).toBe(false);
    expect(toolResult?.result).toContain(DEFAULT_REJECT_MESSAGE);
    const followUp = lastRequestWith("run the plain tool");
    expect(JSON.stringify(followUp?.messages)).toContain("no one is present to approve it");
  });

  it("rejects a question by default and answers it through a question policy", async () => {
    const rejectedOut = collectingSink();
    const rejected = await adapter(rejectedOut.sink).prompt("ask me, reject");
    // opencode ends the turn when a question is dismissed: no error, and the tool failed.
    expect(rejected.status).toBe("completed");
    expect(rejectedOut.of("error")).toEqual([]);
    expect(rejectedOut.of("tool_result")[0]?.success).toBe(false);
    expect(rejected.decisions).toMatchObject([
      { kind: "question", reply: "reject", questions: ["Which colour?"] },
    ]);

    const out = collectingSink();
    const answered = await adapter(out.sink, {
      question: (request) => request.questions.map((q) => [q.options[1]?.label ?? ""]),
    }).prompt("ask me, answer");
    expect(answered.status).toBe("completed");
    expect(answered.decisions).toMatchObject([
      { kind: "question", reply: "answer", answers: [["Blue"]] },
    ]);
    expect(out.of("tool_result")[0]?.success).toBe(true);
    const toolMessage = lastRequestWith("ask me, answer")?.messages.find((m) => m.role === "tool");
    expect(JSON.stringify(toolMessage)).toContain("Blue");
  });
});

describe("attachments", () => {
  it("sends attachments as file parts with data URLs, which the real server accepts", async () => {
    const out = collectingSink();
    const content = "attached-file-content-3141";
    const result = await adapter(out.sink).prompt("describe the file", {
      attachments: [
        {
          mimeType: "text/plain",
          data: Buffer.from(content).toString("base64"),
          filename: "note.txt",
        },
        {
          mimeType: "text/plain",
          data: new TextEncoder().encode(`${content}-bytes`),
          filename: "b.txt",
        },
      ],
    });
    expect(result.status).toBe("completed");
    expect(result.text).toBe("I see the file.");
    const sent = JSON.stringify(lastRequestWith("describe the file")?.messages);
    expect(sent).toContain(content);
    expect(sent).toContain(`${content}-bytes`);
  });

  it("an attachment as {media_type, data} is refused by opencode with 400", async () => {
    const a = adapter(collectingSink().sink);
    const sessionId = await a.ensureSession();
    const response = await fetch(`${opencode.url}/session/${sessionId}/prompt_async`, {
      method: "POST",
      headers: { ...opencode.headers, "content-type": "application/json" },
      body: JSON.stringify({
        model: { providerID: "litellm", modelID: "fake-model" },
        parts: [
          { type: "text", text: "hello" },
          { type: "file", media_type: "text/plain", data: Buffer.from("x").toString("base64") },
        ],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("mime");
  });
});

describe("a held connection (holdConnection)", () => {
  const turnOn = async (sessionId?: string): Promise<string> => {
    const one = new OpenCodeAdapter(
      { baseUrl: proxy.url, password: PASSWORD, modelId: "fake-model", sessionId },
      () => undefined,
    );
    try {
      const result = await one.prompt("say hello");
      expect(result.status).toBe("completed");
      return result.sessionId;
    } finally {
      await one.close();
    }
  };

  it("keeps one event stream for adapters made one per turn; released, the next turn opens its own", async () => {
    // The file's earlier adapters share the connection: with them closed, it is closed too.
    await adapters.closeAll();
    const before = proxy.subscriptions();
    const hold = holdConnection({ baseUrl: proxy.url, password: PASSWORD });
    const sessionId = await turnOn();
    await turnOn(sessionId);
    await turnOn(sessionId);
    expect(proxy.subscriptions() - before).toBe(1);
    await hold.release();
    await hold.release();
    await turnOn(sessionId);
    await turnOn(sessionId);
    expect(proxy.subscriptions() - before).toBe(3);
  });

  it("checks its options like the adapter's config, naming the field", () => {
    expect(() => holdConnection({ baseUrl: "ftp://127.0.0.1:1" })).toThrow(/baseUrl/);
    expect(() => holdConnection({ baseUrl: "http://127.0.0.1:1", connectTimeoutMs: -1 })).toThrow(
      /connectTimeoutMs/,
    );
    expect(() => holdConnection({ baseUrl: "http://127.0.0.1:1", password: "" })).toThrow(
      /password/,
    );
  });
});

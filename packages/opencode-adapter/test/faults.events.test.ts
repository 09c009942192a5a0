import { describe, expect, it } from "vitest";

import { statusEvent, textTurnEvents, userMessageEvent } from "./fake-opencode.js";
import { adapter, closeAfterEach, fake } from "./fault-support.js";
import { collectingSink } from "./support.js";

closeAfterEach();

describe("a fake server for faults: what the events say", () => {
  it("an idle turn with no output and no session.error reports the last message's info.error", async () => {
    const messages: unknown[] = [];
    const server = await fake({
      messages,
      onPrompt: (s, sessionID) => {
        const user = s.lastMessageId();
        messages.push(
          { info: { id: user, role: "user" }, parts: [] },
          {
            info: {
              id: `${user}a`,
              role: "assistant",
              parentID: user,
              error: {
                name: "ProviderModelNotFoundError",
                data: { message: "Model not found: litellm/nope" },
              },
            },
            parts: [],
          },
        );
        s.send(userMessageEvent(sessionID, user));
        s.send(statusEvent(sessionID, "busy"));
        s.send(statusEvent(sessionID, "idle"));
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("error");
    expect(result.error).toBe("Model not found: litellm/nope");
    expect(out.replies).toEqual([
      expect.objectContaining({
        kind: "error",
        code: "model_not_found",
        opencode_error: "ProviderModelNotFoundError",
      }),
    ]);
  });

  it("past maxRetries, retries opencode reports before it honours the abort are not passed to onStatus", async () => {
    const retry = (sessionID: string, attempt: number): unknown => ({
      id: `evt_retry${attempt}`,
      type: "session.status",
      properties: {
        sessionID,
        status: { type: "retry", attempt, message: `upstream down (${attempt})`, next: 0 },
      },
    });
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        // Attempt 2 spends a budget of 1; opencode is still retrying when attempt 3 comes.
        for (const attempt of [1, 2, 3]) s.send(retry(sessionID, attempt));
        s.send(statusEvent(sessionID, "idle"));
      },
    });
    const out = collectingSink();
    const statuses: unknown[] = [];
    const result = await adapter(server.url, out.sink).prompt("hello", {
      maxRetries: 1,
      onStatus: (update) => statuses.push(update),
    });
    expect(result.code).toBe("upstream_unavailable");
    expect(result.error).toBe("the model call still failed after 1 retries: upstream down (2)");
    expect(statuses).toEqual([
      { type: "busy" },
      { type: "retry", attempt: 1, message: "upstream down (1)", next: 0 },
      { type: "retry", attempt: 2, message: "upstream down (2)", next: 0 },
      { type: "idle" },
    ]);
    expect(out.of("error")).toHaveLength(1);
  });

  it("skips non-JSON, unknown and sync events, and idle events from before the prompt", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.raw("data: this is not json\n\n");
        s.raw(": a comment line\n\n");
        s.send({ type: "sync", syncEvent: { type: "session.updated.1" } });
        s.send({ id: "evt_u", type: "mystery.event", properties: { sessionID } });
        // Left over from an earlier turn on this session: must not end this one.
        s.send({ id: "evt_s", type: "session.idle", properties: { sessionID } });
        s.send({
          id: "evt_e",
          type: "session.error",
          properties: { sessionID, error: { name: "UnknownError", data: { message: "old" } } },
        });
        for (const event of textTurnEvents(sessionID, "Fresh answer.", s.lastMessageId()))
          s.send(event);
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Fresh answer.");
    expect(out.of("final")).toEqual([expect.objectContaining({ content: "Fresh answer." })]);
  });

  it("ignores another message's tail: only replies to this prompt's user message count", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        const events = textTurnEvents(sessionID, "Only this.", s.lastMessageId());
        // The user message of this prompt and busy first, then the tail of an older reply.
        for (const event of events.slice(0, 2)) s.send(event);
        s.send({
          id: "evt_old1",
          type: "message.updated",
          properties: {
            sessionID,
            info: {
              id: "msg_fake000000z",
              sessionID,
              role: "assistant",
              parentID: "msg_fake000000y",
            },
          },
        });
        s.send({
          id: "evt_old2",
          type: "message.part.updated",
          properties: {
            sessionID,
            part: {
              id: "prt_old_tool",
              messageID: "msg_fake000000z",
              sessionID,
              type: "tool",
              tool: "bash",
              callID: "call_old",
              state: {
                status: "completed",
                input: { command: "sleep 30" },
                output: "User aborted",
              },
            },
          },
        });
        s.send({
          id: "evt_old3",
          type: "message.part.delta",
          properties: {
            sessionID,
            messageID: "msg_fake000000z",
            partID: "prt_old",
            field: "text",
            delta: "OLD ",
          },
        });
        for (const event of events.slice(2)) s.send(event);
      },
    });
    const out = collectingSink();
    const result = await adapter(server.url, out.sink).prompt("hello");
    expect(result.status).toBe("completed");
    expect(result.text).toBe("Only this.");
    expect(out.replies.map((r) => r.kind)).toEqual(["delta", "delta", "final"]);
  });
});

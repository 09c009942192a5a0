import { describe, expect, it } from "vitest";
import { DEFAULT_REJECT_MESSAGE } from "../src/index.js";

import {
  type startFakeOpenCode,
  statusEvent,
  textTurnEvents,
  userMessageEvent,
} from "./fake-opencode.js";
import { adapter, closeAfterEach, fake } from "./fault-support.js";
import { collectingSink, memoryLogger, until } from "./support.js";

closeAfterEach();

describe("a fake server for faults: asks and a continued session", () => {
  it("answers a permission with the default when the policy throws, and reports it", async () => {
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        s.send({
          id: "evt_p",
          type: "permission.asked",
          properties: {
            id: "per_1",
            sessionID,
            permission: "edit",
            patterns: ["a.txt"],
            always: [],
            metadata: {},
          },
        });
        // Another session's ask is none of ours.
        s.send({
          id: "evt_q",
          type: "permission.asked",
          properties: { id: "per_other", sessionID: "ses_other", permission: "bash", patterns: [] },
        });
      },
    });
    const log = memoryLogger();
    const out = collectingSink();
    const a = adapter(server.url, out.sink, {
      logger: log.logger,
      permission: () => {
        throw new Error("policy bug");
      },
    });
    const turn = a.prompt("edit it");
    await until(() => server.requests.some((r) => r.path.startsWith("/permission/")));
    const sessionID = a.sessionId ?? "";
    for (const event of textTurnEvents(sessionID, "Done anyway.", server.lastMessageId()))
      server.send(event);
    const result = await turn;
    expect(result.status).toBe("completed");
    const replies = server.requests.filter((r) => r.path.startsWith("/permission/"));
    expect(replies).toEqual([
      {
        method: "POST",
        path: "/permission/per_1/reply",
        body: { reply: "reject", message: DEFAULT_REJECT_MESSAGE },
      },
    ]);
    expect(result.decisions).toMatchObject([
      { kind: "permission", requestId: "per_1", reply: "reject" },
    ]);
    expect(log.text()).toContain("policy bug");
  });

  it("a subagent's session: its ask is answered by the turn's policy, its text never reaches the sink", async () => {
    const CHILD = "ses_child_of_turn";
    const server = await fake({
      onPrompt: (s, sessionID) => {
        s.send(userMessageEvent(sessionID, s.lastMessageId()));
        s.send(statusEvent(sessionID, "busy"));
        // opencode announces a subagent's session with its parent's id.
        s.send({
          id: "evt_c",
          type: "session.created",
          properties: { sessionID: CHILD, info: { id: CHILD, parentID: sessionID, title: "sub" } },
        });
      },
    });
    const asked: string[] = [];
    const out = collectingSink();
    const a = adapter(server.url, out.sink, {
      permission: (request) => {
        asked.push(`${request.sessionId}:${request.permission}`);
        return "once";
      },
    });
    const turn = a.prompt("delegate it");
    await until(() => server.requests.some((r) => r.path.endsWith("/prompt_async")));
    const sessionID = a.sessionId ?? "";
    // The subagent's own turn: an ask, then its text, all on its session.
    for (const event of [
      {
        id: "evt_cp",
        type: "permission.asked",
        properties: { id: "per_child", sessionID: CHILD, permission: "bash", patterns: ["ls"] },
      },
      statusEvent(CHILD, "busy"),
      ...textTurnEvents(CHILD, "The subagent's own words.", "msg_child_user"),
    ])
      server.send(event);
    await until(() => server.requests.some((r) => r.path === "/permission/per_child/reply"));
    for (const event of textTurnEvents(sessionID, "Delegated.", server.lastMessageId()))
      server.send(event);
    const result = await turn;
    expect(result).toMatchObject({ status: "completed", text: "Delegated." });
    expect(asked).toEqual([`${CHILD}:bash`]);
    expect(result.decisions).toMatchObject([
      { kind: "permission", requestId: "per_child", reply: "once" },
    ]);
    expect(JSON.stringify(out.replies)).not.toContain("subagent's own words");
  });

  describe("a continued session whose stream drops right after prompt_async", () => {
    const PREVIOUS_USER = "msg_000000000001prevUserAAAAAA";
    const previousTurn = [
      { info: { id: PREVIOUS_USER, role: "user" }, parts: [] },
      {
        info: {
          id: "msg_000000000002prevAnswerAAAA",
          role: "assistant",
          parentID: PREVIOUS_USER,
          time: { created: 1, completed: 2 },
        },
        parts: [
          {
            id: "prt_prev",
            messageID: "msg_000000000002prevAnswerAAAA",
            type: "text",
            text: "The previous answer.",
          },
        ],
      },
    ];

    async function continuedTurn(options: Parameters<typeof startFakeOpenCode>[0]) {
      const server = await fake({
        ...options,
        // opencode has not stored the new prompt yet when the stream drops.
        onPrompt: (s) => s.dropStreams(),
      });
      const out = collectingSink();
      const a = adapter(server.url, out.sink, { sessionId: "ses_continued" });
      const turn = a.prompt("the next question");
      // The catch-up has run on the new stream: now opencode gets to the prompt.
      await until(() => server.requests.some((r) => r.path === "/session/status"));
      for (const event of textTurnEvents(
        "ses_continued",
        "The new answer.",
        server.lastMessageId(),
      ))
        server.send(event);
      return { result: await turn, out, server };
    }

    it("never adopts the previous turn's user message: the answer is this prompt's", async () => {
      const { result, out, server } = await continuedTurn({ messages: previousTurn });
      expect(result.status).toBe("completed");
      expect(result.text).toBe("The new answer.");
      expect(out.of("final")).toEqual([expect.objectContaining({ content: "The new answer." })]);
      const prompt = server.requests.find((r) => r.path.endsWith("/prompt_async"));
      expect((prompt?.body as { messageID?: string } | undefined)?.messageID).toMatch(
        /^msg_[0-9a-f]{12}/,
      );
    });

    it("copes when opencode cannot list the session's messages (400 after a structured-output prompt)", async () => {
      const { result } = await continuedTurn({
        messages: (limit) =>
          limit === 1
            ? { status: 200, body: previousTurn.slice(-1) }
            : {
                status: 400,
                body: { name: "BadRequest", data: { message: "Expected OutputFormatJsonSchema" } },
              },
      });
      expect(result.status).toBe("completed");
      expect(result.text).toBe("The new answer.");
    });
  });
});

/** Which events belong to a turn: the pure rule, case by case. */
import { describe, expect, it } from "vitest";
import { type EventFacts, ownership, type TurnMessages } from "../src/internals.js";

const OURS = "msg_0100";

function turn(over: Partial<TurnMessages> = {}): TurnMessages {
  return {
    userMessageId: OURS,
    userMessageSeen: true,
    addedUsers: new Set(),
    assistants: new Map(),
    ...over,
  };
}

const status: EventFacts = { kind: "status" };
const user = (id: string): EventFacts => ({
  kind: "message",
  id,
  role: "user",
  parentId: undefined,
  summary: false,
});
const assistant = (id: string, parentId: string, summary = false): EventFacts => ({
  kind: "message",
  id,
  role: "assistant",
  parentId,
  summary,
});
const part = (messageId: string, partType: string, synthetic = false): EventFacts => ({
  kind: "part",
  messageId,
  partType,
  synthetic,
});

describe("the tail of the previous turn", () => {
  it("status events before the turn's own user message are not its own", () => {
    expect(ownership(turn({ userMessageSeen: false }), status)).toEqual({ owned: false });
  });

  it("the turn's user message, matched by its exact id, makes its status events count", () => {
    const waiting = turn({ userMessageSeen: false });
    expect(ownership(waiting, user(OURS))).toEqual({ owned: true, learned: { userSeen: true } });
    expect(ownership(turn(), status)).toEqual({ owned: true });
  });

  it("an older assistant message and its parts and deltas are not the turn's", () => {
    const t = turn();
    expect(ownership(t, assistant("msg_0099", "msg_0098")).owned).toBe(false);
    expect(ownership(t, part("msg_0099", "tool")).owned).toBe(false);
    expect(ownership(t, { kind: "delta", messageId: "msg_0099" }).owned).toBe(false);
  });
});

describe("the turn's own answer", () => {
  it("an assistant message answering the turn's user message is learned, then its parts count", () => {
    expect(ownership(turn(), assistant("msg_0101", OURS))).toEqual({
      owned: true,
      learned: { assistant: "msg_0101", role: "answer" },
    });
    const known = turn({ assistants: new Map([["msg_0101", "answer"]]) });
    expect(ownership(known, part("msg_0101", "text"))).toEqual({ owned: true });
    expect(ownership(known, { kind: "delta", messageId: "msg_0101" })).toEqual({ owned: true });
  });
});

describe("a queued prompt and another client's prompt", () => {
  it("another user message is never the turn's, nor is the answer to it", () => {
    const t = turn();
    expect(ownership(t, user("msg_0200")).owned).toBe(false);
    expect(ownership(t, part("msg_0200", "text"))).toEqual({
      owned: false,
      learned: { notAddedUser: "msg_0200" },
    });
    expect(ownership(t, assistant("msg_0201", "msg_0200")).owned).toBe(false);
  });

  it("a prompt sent before the turn's (a queued one) is not the turn's, whatever its parts", () => {
    expect(ownership(turn(), part("msg_0050", "text", true))).toEqual({ owned: false });
  });
});

describe("compaction", () => {
  it("opencode's compaction request and synthetic continuation join the turn; answers to them count", () => {
    const t = turn();
    expect(ownership(t, part("msg_0102", "compaction"))).toEqual({
      owned: false,
      learned: { addedUser: "msg_0102" },
    });
    expect(ownership(t, part("msg_0104", "text", true))).toEqual({
      owned: false,
      learned: { addedUser: "msg_0104" },
    });
    const added = turn({ addedUsers: new Set(["msg_0102", "msg_0104"]) });
    expect(ownership(added, assistant("msg_0103", "msg_0102")).owned).toBe(true);
    expect(ownership(added, assistant("msg_0105", "msg_0104")).owned).toBe(true);
  });

  it("a compaction summary is learned as one, so that its text is never the answer", () => {
    const added = turn({ addedUsers: new Set(["msg_0102"]) });
    expect(ownership(added, assistant("msg_0103", "msg_0102", true))).toEqual({
      owned: true,
      learned: { assistant: "msg_0103", role: "summary" },
    });
    const known = turn({
      addedUsers: new Set(["msg_0102"]),
      assistants: new Map([["msg_0103", "summary"]]),
    });
    expect(ownership(known, assistant("msg_0103", "msg_0102", true))).toEqual({ owned: true });
    expect(ownership(known, part("msg_0103", "text"))).toEqual({ owned: true });
  });

  it("before the turn's own user message is seen, nothing joins it", () => {
    expect(ownership(turn({ userMessageSeen: false }), part("msg_0102", "compaction"))).toEqual({
      owned: false,
    });
  });
});

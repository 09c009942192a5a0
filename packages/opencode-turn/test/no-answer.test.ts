/**
 * A prompt opencode takes and never answers, through driveTurn with the real adapter
 * (a small fake server plays opencode's part: user message, busy, idle, no answer).
 */
import type { Reply } from "@taos/opencode-adapter";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeOpenCode,
  startFakeOpenCode,
  statusEvent,
  userMessageEvent,
} from "../../opencode-adapter/test/fake-opencode.js";
import { driveTurn } from "../src/index.js";

let fake: FakeOpenCode | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("driveTurn and a prompt opencode never answers", () => {
  it("ends with one error reply, code no_answer, and a result with that code", async () => {
    fake = await startFakeOpenCode({
      onPrompt: (server, sessionID) => {
        server.send(userMessageEvent(sessionID, server.lastMessageId()));
        server.send(statusEvent(sessionID, "busy"));
        server.send(statusEvent(sessionID, "idle"));
      },
    });
    const replies: Reply[] = [];
    const result = await driveTurn("hello", "t-none", (reply) => void replies.push(reply), {
      baseUrl: fake.url,
      modelId: "fake-model",
    });
    expect(result).toMatchObject({ status: "error", code: "no_answer" });
    expect(replies).toEqual([
      expect.objectContaining({ kind: "error", trace_id: "t-none", code: "no_answer" }),
    ]);
  });

  it("gives a 5xx on the prompt its code and opencode's ref", async () => {
    fake = await startFakeOpenCode({
      promptAnswer: {
        status: 500,
        body: {
          name: "UnknownError",
          data: { message: "Unexpected server error", ref: "err_1a2b" },
        },
      },
    });
    const replies: Reply[] = [];
    const result = await driveTurn("hello", "t-500", (reply) => void replies.push(reply), {
      baseUrl: fake.url,
      modelId: "fake-model",
    });
    expect(result).toMatchObject({
      status: "error",
      code: "opencode_server_error",
      opencodeRef: "err_1a2b",
    });
    expect(replies).toEqual([
      expect.objectContaining({
        kind: "error",
        code: "opencode_server_error",
        opencode_ref: "err_1a2b",
      }),
    ]);
  });
});

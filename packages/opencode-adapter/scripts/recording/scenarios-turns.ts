/** Scenarios of one kind of turn each: text, reasoning, tools, asks, abort, two sessions. */
import { join } from "node:path";
import {
  bash,
  call,
  createSession,
  ofSession,
  oneTurn,
  prompt,
  type Scenario,
  untilIdle,
} from "./opencode.js";

export const TURN_SCENARIOS: readonly Scenario[] = [
  {
    name: "text-turn",
    about: "a plain text reply streamed in 5 chunks",
    rules: () => [
      {
        match: "[text]",
        reply: { text: "Hello from the stand-in model.", chunks: 5, chunkDelayMs: 5 },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[text] say hello")),
  },
  {
    name: "long-text",
    about: "a long text reply streamed in 200 chunks (the shape of most of a busy stream)",
    rules: () => [
      {
        match: "[long]",
        reply: {
          text: Array.from({ length: 200 }, (_, i) => `Sentence ${i + 1} of a long reply.`).join(
            " ",
          ),
          chunks: 200,
          chunkDelayMs: 2,
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[long] write at length")),
  },
  {
    name: "reasoning-text",
    about: "reasoning (2 chunks) then text (3 chunks)",
    rules: () => [
      {
        match: "[reasoning]",
        reply: {
          reasoning: "Let me think this through.",
          reasoningChunks: 2,
          text: "Thought it through.",
          chunks: 3,
          chunkDelayMs: 5,
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[reasoning] think first")),
  },
  {
    name: "tool-bash",
    about: "one bash tool call (echo hi), then a text reply in a second step",
    rules: () => [{ match: "[tool]", reply: bash("echo hi", "Print hi") }],
    run: async (ctx) => void (await oneTurn(ctx, "[tool] run echo")),
  },
  {
    name: "tool-error",
    about: "a read of a missing file: the tool part ends in state error, then a text reply",
    rules: (home) => [
      {
        match: "[tool-error]",
        reply: {
          toolCalls: [{ name: "read", arguments: { filePath: join(home, "missing.txt") } }],
          then: { text: "The file does not exist.", chunks: 3, chunkDelayMs: 5 },
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[tool-error] read a missing file")),
  },
  {
    name: "two-tools",
    about: "two bash tool calls in one step, then a text reply",
    rules: () => [
      {
        match: "[two-tools]",
        reply: {
          toolCalls: [
            { name: "bash", arguments: { command: "echo one", description: "Print one" } },
            { name: "bash", arguments: { command: "echo two", description: "Print two" } },
          ],
          then: { text: "Both commands ran.", chunks: 3, chunkDelayMs: 5 },
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[two-tools] run two commands")),
  },
  {
    name: "upstream-401",
    about: "the model proxy answers 401: session.error APIError",
    rules: () => [{ match: "[401]", reply: { error: { status: 401 } } }],
    run: async (ctx) => void (await oneTurn(ctx, "[401] this key is refused")),
  },
  {
    name: "abort",
    about: "the model stalls after 2 chunks; POST /session/:id/abort: MessageAbortedError",
    rules: () => [
      {
        match: "[abort]",
        reply: { stall: { ms: 60_000, afterChunks: 2, text: "This reply never gets to its end." } },
      },
    ],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[abort] stall please");
      const first = await ctx.sub.waitFor(ofSession(sessionId, "message.part.delta"), 30_000);
      await ctx.sub.waitFor(ofSession(sessionId, "message.part.delta"), 30_000, first + 1);
      await call(ctx.server.oc, "POST", `/session/${sessionId}/abort`);
      await untilIdle(ctx, sessionId);
    },
  },
  {
    name: "permission-reject",
    about:
      'config permission bash "ask": permission.asked, replied "reject" via POST /permission/:id/reply',
    permission: { bash: "ask" },
    rules: () => [{ match: "[permission]", reply: bash("echo hi", "Print hi") }],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[permission] run echo");
      const at = await ctx.sub.waitFor(ofSession(sessionId, "permission.asked"), 30_000);
      const id = ctx.sub.events[at]?.event.properties?.id as string;
      await call(ctx.server.oc, "POST", `/permission/${id}/reply`, { reply: "reject" });
      await untilIdle(ctx, sessionId);
    },
  },
  {
    name: "question-reject",
    about: "a scripted question tool call: question.asked, rejected via POST /question/:id/reject",
    rules: () => [
      {
        match: "[question]",
        reply: {
          toolCalls: [
            {
              name: "question",
              arguments: {
                questions: [
                  {
                    question: "Which colour should the button be?",
                    header: "Colour",
                    options: [
                      { label: "Red", description: "A warm colour" },
                      { label: "Blue", description: "A cool colour" },
                    ],
                  },
                ],
              },
            },
          ],
          then: { text: "No answer, so I stop here.", chunks: 3, chunkDelayMs: 5 },
        },
      },
    ],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[question] ask me");
      const at = await ctx.sub.waitFor(ofSession(sessionId, "question.asked"), 30_000);
      const id = ctx.sub.events[at]?.event.properties?.id as string;
      await call(ctx.server.oc, "POST", `/question/${id}/reject`);
      await untilIdle(ctx, sessionId);
    },
  },
  {
    name: "two-sessions",
    about: "two sessions streaming at once on one server: both in one stream",
    rules: () => [
      {
        match: "[first]",
        reply: { text: "First session speaking here.", chunks: 5, chunkDelayMs: 30 },
      },
      {
        match: "[second]",
        reply: { text: "Second session answering now.", chunks: 5, chunkDelayMs: 30 },
      },
    ],
    run: async (ctx) => {
      const first = await createSession(ctx.server.oc, "fixture one");
      const second = await createSession(ctx.server.oc, "fixture two");
      await Promise.all([
        prompt(ctx.server.oc, first, "[first] talk"),
        prompt(ctx.server.oc, second, "[second] talk"),
      ]);
      await untilIdle(ctx, first);
      await untilIdle(ctx, second);
    },
  },
];

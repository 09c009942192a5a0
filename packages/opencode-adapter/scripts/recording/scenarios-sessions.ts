/** Scenarios of faults and longer sessions: retries, mixed parts, abort then prompt, compaction, a continued session. */
import {
  ascendingMessageId,
  call,
  createSession,
  MODEL,
  ofSession,
  oneTurn,
  prompt,
  type Recorded,
  type Scenario,
  settle,
  small,
  untilIdle,
} from "./opencode.js";

export const SESSION_SCENARIOS: readonly Scenario[] = [
  {
    name: "hang-up-retry",
    about:
      "the model proxy drops every connection after 2 chunks: opencode retries (session.status retry) without end; aborted after the second retry",
    rules: () => [
      {
        match: "[hang-up]",
        reply: { hangUp: { afterChunks: 2, text: "This reply is cut off by the proxy." } },
      },
    ],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[hang-up] drop the line");
      const retry = (event: Recorded["event"]): boolean =>
        ofSession(sessionId, "session.status")(event) &&
        (event.properties?.status as { type?: string } | undefined)?.type === "retry";
      const first = await ctx.sub.waitFor(retry, 30_000);
      await ctx.sub.waitFor(retry, 30_000, first + 1);
      await call(ctx.server.oc, "POST", `/session/${sessionId}/abort`);
      await untilIdle(ctx, sessionId);
    },
  },
  {
    name: "text-tool-text",
    about: "text, a bash tool call, then more text: two text parts in two steps",
    rules: () => [
      {
        match: "[text-tool-text]",
        reply: {
          text: "Let me update the README with the new command syntax:",
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Print hi" } }],
          then: { text: "README updated.", chunks: 3, chunkDelayMs: 5 },
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[text-tool-text] update the readme")),
  },
  {
    name: "reasoning-two-parts",
    about: "reasoning and a bash tool call, then reasoning and text: two reasoning parts",
    rules: () => [
      {
        match: "[reasoning-two]",
        reply: {
          reasoning: "First I should look.",
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Print hi" } }],
          then: {
            reasoning: "Now I know enough.",
            text: "It printed hi.",
            chunks: 3,
            chunkDelayMs: 5,
          },
        },
      },
    ],
    run: async (ctx) => void (await oneTurn(ctx, "[reasoning-two] look then answer")),
  },
  {
    name: "abort-bash-then-prompt",
    about:
      "abort while a bash tool runs (sleep 2), then at once a second prompt on the same session",
    rules: () => [
      {
        match: "[slow-bash]",
        reply: {
          toolCalls: [
            { name: "bash", arguments: { command: "sleep 2; echo late", description: "Sleep" } },
          ],
          then: { text: "The slow command finished.", chunks: 2, chunkDelayMs: 5 },
        },
      },
      {
        match: "[after-abort]",
        reply: { text: "Second turn answer.", chunks: 3, chunkDelayMs: 5 },
      },
    ],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[slow-bash] run a slow command");
      const running = (event: Recorded["event"]): boolean => {
        const part = event.properties?.part as { type?: string; state?: { status?: string } };
        return (
          event.type === "message.part.updated" &&
          part?.type === "tool" &&
          part.state?.status === "running"
        );
      };
      await ctx.sub.waitFor(running, 30_000);
      await call(ctx.server.oc, "POST", `/session/${sessionId}/abort`);
      await prompt(ctx.server.oc, sessionId, "[after-abort] the next question");
      const user = await ctx.sub.waitFor(
        (event) =>
          event.type === "message.part.updated" &&
          (event.properties?.part as { text?: string })?.text === "[after-abort] the next question",
        30_000,
      );
      await ctx.sub.waitFor(ofSession(sessionId, "session.idle"), 30_000, user);
    },
  },
  {
    name: "compaction",
    about:
      "model limit {context: 2000, output: 500}; the stand-in reports 50,000 prompt tokens: opencode compacts, then answers",
    limit: { context: 2000, output: 500 },
    rules: () => [
      {
        match: "[compact-me]",
        reply: {
          text: "A first answer that overflows the context.",
          chunks: 2,
          chunkDelayMs: 5,
          usage: { prompt_tokens: 50_000 },
        },
      },
      {
        match: /^Continue if you have next steps/,
        reply: small("Continuing after the compaction."),
      },
      {
        match: "[after-compact]",
        reply: small("The answer after the compaction."),
      },
      // The compaction request itself (its last user text is opencode's summary prompt).
      { reply: small("Summary of the conversation so far."), titles: true },
    ],
    run: async (ctx) => {
      const sessionId = await createSession(ctx.server.oc, "fixture");
      await prompt(ctx.server.oc, sessionId, "[compact-me] a long conversation");
      await untilIdle(ctx, sessionId);
      await settle(ctx.sub);
      await prompt(ctx.server.oc, sessionId, "[after-compact] and now?");
      const user = await ctx.sub.waitFor(
        (event) =>
          event.type === "message.part.updated" &&
          (event.properties?.part as { text?: string })?.text === "[after-compact] and now?",
        30_000,
      );
      await ctx.sub.waitFor(ofSession(sessionId, "session.idle"), 60_000, user);
    },
  },
  {
    name: "continued-session",
    about:
      "a second prompt on a session that has one answered turn, sent with the prompt's own messageID",
    rules: () => [
      { match: "[first-turn]", reply: { text: "First answer.", chunks: 2, chunkDelayMs: 5 } },
      { match: "[second-turn]", reply: { text: "Second answer.", chunks: 2, chunkDelayMs: 5 } },
    ],
    run: async (ctx) => {
      const sessionId = await oneTurn(ctx, "[first-turn] hello");
      await settle(ctx.sub);
      const at = ctx.sub.events.length;
      await prompt(ctx.server.oc, sessionId, "[second-turn] again", MODEL, {
        messageID: ascendingMessageId(),
      });
      await ctx.sub.waitFor(ofSession(sessionId, "session.idle"), 30_000, at);
    },
  },
  {
    name: "unknown-model",
    about: "a model the provider does not list: session.error UnknownError (not silent in 1.18.33)",
    run: async (ctx) => void (await oneTurn(ctx, "[unknown] hello", "no-such-model")),
  },
];

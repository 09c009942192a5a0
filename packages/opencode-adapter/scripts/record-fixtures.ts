/**
 * Records the real `opencode serve` event stream for each codec scenario into
 * test/fixtures/<scenario>.jsonl (one event per line): from the subscription
 * until the scenario's sessions are idle and the stream has been quiet for 1 s,
 * with ids, times, paths, ports and versions replaced by stable placeholders.
 *
 *   cd packages/opencode-adapter && npx tsx scripts/record-fixtures.ts [scenario ...]
 *
 * Needs built workspace packages (testkit, fake-litellm, opencode-config).
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type FakeLiteLLM, type Rule, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig, type PermissionConfig } from "@taos/opencode-config";
import { makeTempHome, type RawOpenCode, startRawOpenCode, type TempHome } from "@taos/testkit";
import { createParser } from "eventsource-parser";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const KEY = "sk-fixture-key";
const MODEL = "fake-model";
const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Recorded {
  readonly data: string;
  readonly event: { type?: string; properties?: Record<string, unknown> };
}

/** One `GET /event` subscription, collecting every `data:` line. */
class Subscription {
  readonly events: Recorded[] = [];
  private readonly controller = new AbortController();
  private readonly done: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(server: RawOpenCode) {
    this.done = this.run(server).catch((error: unknown) => {
      if (!this.controller.signal.aborted) log(`event stream failed: ${String(error)}`);
    });
  }

  private async run(server: RawOpenCode): Promise<void> {
    const response = await fetch(`${server.url}/event`, {
      headers: { ...server.headers, accept: "text/event-stream" },
      signal: this.controller.signal,
    });
    if (!response.ok || response.body === null) throw new Error(`GET /event: ${response.status}`);
    const parser = createParser({
      onEvent: (message) => {
        this.events.push({
          data: message.data,
          event: JSON.parse(message.data) as Recorded["event"],
        });
        for (const wake of this.waiters.splice(0)) wake();
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) parser.feed(decoder.decode(chunk, { stream: true }));
  }

  /** Resolves with the first event (from `from` on) that matches; rejects after `timeoutMs`. */
  async waitFor(
    match: (event: Recorded["event"]) => boolean,
    timeoutMs: number,
    from = 0,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((item, i) => i >= from && match(item.event));
      if (index >= 0) return index;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out; seen: ${this.events.map((e) => e.event.type).join(", ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}

const ofSession = (sessionId: string, type: string) => (event: Recorded["event"]) =>
  event.type === type && event.properties?.sessionID === sessionId;

interface Server {
  readonly oc: RawOpenCode;
  readonly home: TempHome;
}

/** What a scenario needs of its server's config. */
interface ServerNeeds {
  readonly permission?: PermissionConfig;
  /** opencode's per-model limit (a small context makes it compact). */
  readonly limit?: { readonly context: number; readonly output: number };
}

async function startServer(llm: FakeLiteLLM, needs: ServerNeeds): Promise<Server> {
  const home = await makeTempHome("taos-oc-fixture-");
  const { permission, limit } = needs;
  const config = buildOpenCodeConfig({
    baseURL: llm.url,
    apiKey: KEY,
    modelIds: [MODEL],
    ...(permission === undefined ? {} : { permission }),
  });
  const provider = config.provider.litellm as unknown as { models: Record<string, unknown> };
  if (limit !== undefined) provider.models[MODEL] = { limit };
  const oc = await startRawOpenCode({ home: home.path, config });
  return { oc, home };
}

async function call(
  server: RawOpenCode,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...server.headers, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

async function createSession(server: RawOpenCode, title: string): Promise<string> {
  const session = (await call(server, "POST", "/session", { title })) as { id: string };
  return session.id;
}

async function prompt(
  server: RawOpenCode,
  sessionId: string,
  text: string,
  modelID = MODEL,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await call(server, "POST", `/session/${sessionId}/prompt_async`, {
    model: { providerID: "litellm", modelID },
    parts: [{ type: "text", text }],
    ...extra,
  });
}

/** Waits until the server has sent nothing (heartbeats aside) for `quietMs`. */
async function settle(monitor: Subscription, quietMs = 1000): Promise<void> {
  let seen = -1;
  while (seen !== monitor.events.length) {
    seen = monitor.events.length;
    await sleep(quietMs);
  }
}

interface Context {
  readonly llm: FakeLiteLLM;
  readonly server: Server;
  readonly sub: Subscription;
}

interface Scenario {
  readonly name: string;
  readonly about: string;
  /** Needs a server whose config sets this permission block. */
  readonly permission?: PermissionConfig;
  /** Needs a server whose model has this limit. */
  readonly limit?: ServerNeeds["limit"];
  readonly rules?: (home: string) => Rule[];
  run(ctx: Context): Promise<void>;
}

/** Prompts one new session and waits for its idle (or, failing that, for its error and a grace period). */
async function oneTurn(ctx: Context, text: string, modelID = MODEL): Promise<string> {
  const sessionId = await createSession(ctx.server.oc, "fixture");
  await prompt(ctx.server.oc, sessionId, text, modelID);
  await untilIdle(ctx, sessionId);
  return sessionId;
}

async function untilIdle(ctx: Context, sessionId: string): Promise<void> {
  try {
    await ctx.sub.waitFor(ofSession(sessionId, "session.idle"), 30_000);
  } catch (error) {
    // A session.error that no idle follows is itself a finding: keep what came.
    await ctx.sub.waitFor(ofSession(sessionId, "session.error"), 0);
    log(`  note: no session.idle after session.error (${String(error).slice(0, 80)})`);
  }
}

const bash = (command: string, description: string): Rule["reply"] => ({
  toolCalls: [{ name: "bash", arguments: { command, description } }],
  then: { text: `The command printed ${command.slice(5)}.`, chunks: 3, chunkDelayMs: 5 },
});

/** A short text reply that reports few tokens (a server with a small context would compact). */
const small = (text: string): Rule["reply"] => ({
  text,
  chunks: 2,
  chunkDelayMs: 5,
  usage: { prompt_tokens: 100, completion_tokens: 10 },
});

const SCENARIOS: readonly Scenario[] = [
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

/** A message id in opencode's ascending layout (time-ordered), as a client may choose one. */
function ascendingMessageId(): string {
  const stamp = (BigInt(Date.now()) * 0x1000n).toString(16).padStart(12, "0").slice(-12);
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let rest = "";
  for (let i = 0; i < 14; i++) rest += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `msg_${stamp}${rest}`;
}

/** Idle server, no session: what server.connected and server.heartbeat look like. */
async function recordHeartbeat(server: Server): Promise<Recorded[]> {
  const sub = new Subscription(server.oc);
  await sub.waitFor((event) => event.type === "server.heartbeat", 15_000);
  await sub.close();
  return sub.events.filter(
    (e) => e.event.type === "server.connected" || e.event.type === "server.heartbeat",
  );
}

// ---- normalisation -------------------------------------------------------

const ID = /\b(evt|ses|msg|prt|per|que)_[0-9A-Za-z]{20,}/g;
const TIME_KEYS = new Set([
  "time",
  "created",
  "updated",
  "completed",
  "start",
  "end",
  "compacted",
  "initialized",
]);
const T0 = 1_700_000_000_000;

function isTime(key: string, value: unknown): value is number {
  return typeof value === "number" && (TIME_KEYS.has(key) || (value > 1.5e12 && value < 2.5e12));
}

/** Replaces run-specific values with placeholders numbered by first appearance (times by rank). */
function normalise(events: readonly Recorded[], home: string, ports: readonly number[]): string {
  const ids = new Map<string, string>();
  const counters = new Map<string, number>();
  const calls = new Map<string, string>();
  const slugs = new Map<string, string>();
  const times = new Set<number>();
  const placeholder = (map: Map<string, string>, prefix: string, value: string): string => {
    let name = map.get(value);
    if (name === undefined) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      name = `${prefix}_${n}`;
      map.set(value, name);
    }
    return name;
  };
  const relHome = home.replace(/^\//, "");
  const fixString = (value: string): string => {
    let out = value.split(home).join("/home").split(relHome).join("home");
    for (const port of ports) out = out.split(`127.0.0.1:${port}`).join("127.0.0.1:4000");
    out = out.replace(ID, (match, prefix: string) => placeholder(ids, prefix, match));
    return calls.get(out) ?? out;
  };
  const collect = (value: unknown, key: string): void => {
    if (isTime(key, value)) times.add(value);
    else if (Array.isArray(value)) for (const item of value) collect(item, key);
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (k === "callID" && typeof v === "string") placeholder(calls, "call", v);
        collect(v, k);
      }
    }
  };
  for (const { event } of events) collect(event, "");
  const rank = new Map([...times].sort((a, b) => a - b).map((t, i) => [t, T0 + i]));
  const fix = (value: unknown, key: string): unknown => {
    if (isTime(key, value)) return rank.get(value) ?? value;
    if (typeof value === "string") {
      if (key === "version") return "0.0.0";
      if (key === "slug") return placeholder(slugs, "slug", value);
      return fixString(value);
    }
    if (Array.isArray(value)) return value.map((item) => fix(item, key));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fix(v, k)]));
    }
    return value;
  };
  return `${events.map(({ event }) => JSON.stringify(fix(event, ""))).join("\n")}\n`;
}

// ---- main ---------------------------------------------------------------

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
  const llm = await startFakeLiteLLM({ keys: [KEY], models: [MODEL] });
  const servers = new Map<string, Server>();
  const serverFor = async (needs: ServerNeeds = {}): Promise<Server> => {
    const key = JSON.stringify([needs.permission ?? null, needs.limit ?? null]);
    let server = servers.get(key);
    if (server === undefined) {
      server = await startServer(llm, needs);
      servers.set(key, server);
      // A first turn installs plugins and warms caches, so that recordings start from a steady server.
      const monitor = new Subscription(server.oc);
      // With a small context, every request must report few tokens, or opencode compacts forever.
      llm.setRules(needs.limit === undefined ? [] : [{ reply: small("Warm."), titles: true }]);
      const warm = await createSession(server.oc, "warm-up");
      await prompt(server.oc, warm, "warm up");
      await monitor.waitFor(ofSession(warm, "session.idle"), 60_000);
      await settle(monitor, 1500);
      await monitor.close();
    }
    return server;
  };
  try {
    const manifestPath = join(FIXTURES, "manifest.json");
    const previous = await readFile(manifestPath, "utf8").then(
      (text) => (JSON.parse(text) as { scenarios?: Record<string, string> }).scenarios ?? {},
      () => ({}),
    );
    const manifest: Record<string, string> = { ...previous };
    let version = "unknown";
    for (const scenario of chosen) {
      log(`recording ${scenario.name}`);
      const server = await serverFor({
        ...(scenario.permission === undefined ? {} : { permission: scenario.permission }),
        ...(scenario.limit === undefined ? {} : { limit: scenario.limit }),
      });
      const health = (await call(server.oc, "GET", "/global/health")) as { version?: string };
      version = health.version ?? version;
      llm.setRules(scenario.rules?.(server.home.path) ?? []);
      const sub = new Subscription(server.oc);
      await sub.waitFor((event) => event.type === "server.connected", 10_000);
      await scenario.run({ llm, server, sub });
      // What trails the idle (a second idle, late errors, summaries) is kept: the codec must ignore it.
      await settle(sub);
      await sub.close();
      // Heartbeats come every ~10 s whatever happens: kept out so that a re-recording gives the same file.
      const events = sub.events.filter((e) => e.event.type !== "server.heartbeat");
      await writeFile(
        join(FIXTURES, `${scenario.name}.jsonl`),
        normalise(events, server.home.path, [llm.port, server.oc.port]),
      );
      manifest[scenario.name] = scenario.about;
      log(`  ${events.length} events`);
    }
    if (only.length === 0 || only.includes("heartbeat")) {
      log("recording heartbeat");
      const server = await serverFor();
      const events = await recordHeartbeat(server);
      await writeFile(
        join(FIXTURES, "heartbeat.jsonl"),
        normalise(events, server.home.path, [server.oc.port]),
      );
      manifest.heartbeat =
        "an idle server: server.connected, then server.heartbeat about every 10 s";
    }
    const file = {
      opencodeVersion: version,
      recordedBy: "scripts/record-fixtures.ts",
      scenarios: manifest,
    };
    await writeFile(manifestPath, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    for (const { oc, home } of servers.values()) {
      await oc.stop();
      await home.cleanup();
    }
    await llm.close();
  }
}

await main();

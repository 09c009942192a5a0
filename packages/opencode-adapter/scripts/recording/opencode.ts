/** The recorder's talk with a real `opencode serve`: its server, its event stream, its calls. */
import { setTimeout as sleep } from "node:timers/promises";
import type { FakeLiteLLM, Rule } from "@taos/fake-litellm";
import { buildOpenCodeConfig, type PermissionConfig } from "@taos/opencode-config";
import { makeTempHome, type RawOpenCode, startRawOpenCode, type TempHome } from "@taos/testkit";
import { createParser } from "eventsource-parser";

export const KEY = "sk-fixture-key";
export const MODEL = "fake-model";
export const log = (line: string): void => void process.stderr.write(`${line}\n`);

export interface Recorded {
  readonly data: string;
  readonly event: { type?: string; properties?: Record<string, unknown> };
}

/** One `GET /event` subscription, collecting every `data:` line. */
export class Subscription {
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

export const ofSession =
  (sessionId: string, type: string): ((event: Recorded["event"]) => boolean) =>
  (event) =>
    event.type === type && event.properties?.sessionID === sessionId;

export interface Server {
  readonly oc: RawOpenCode;
  readonly home: TempHome;
}

/** What a scenario needs of its server's config. */
export interface ServerNeeds {
  readonly permission?: PermissionConfig;
  /** opencode's per-model limit (a small context makes it compact). */
  readonly limit?: { readonly context: number; readonly output: number };
}

export async function startServer(llm: FakeLiteLLM, needs: ServerNeeds): Promise<Server> {
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

export async function call(
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

export async function createSession(server: RawOpenCode, title: string): Promise<string> {
  const session = (await call(server, "POST", "/session", { title })) as { id: string };
  return session.id;
}

export async function prompt(
  server: RawOpenCode,
  sessionId: string,
  text: string,
  modelID: string = MODEL,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await call(server, "POST", `/session/${sessionId}/prompt_async`, {
    model: { providerID: "litellm", modelID },
    parts: [{ type: "text", text }],
    ...extra,
  });
}

/** Waits until the server has sent nothing (heartbeats aside) for `quietMs`. */
export async function settle(monitor: Subscription, quietMs = 1000): Promise<void> {
  let seen = -1;
  while (seen !== monitor.events.length) {
    seen = monitor.events.length;
    await sleep(quietMs);
  }
}

export interface Context {
  readonly llm: FakeLiteLLM;
  readonly server: Server;
  readonly sub: Subscription;
}

export interface Scenario {
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
export async function oneTurn(
  ctx: Context,
  text: string,
  modelID: string = MODEL,
): Promise<string> {
  const sessionId = await createSession(ctx.server.oc, "fixture");
  await prompt(ctx.server.oc, sessionId, text, modelID);
  await untilIdle(ctx, sessionId);
  return sessionId;
}

export async function untilIdle(ctx: Context, sessionId: string): Promise<void> {
  try {
    await ctx.sub.waitFor(ofSession(sessionId, "session.idle"), 30_000);
  } catch (error) {
    // A session.error that no idle follows is itself a finding: keep what came.
    await ctx.sub.waitFor(ofSession(sessionId, "session.error"), 0);
    log(`  note: no session.idle after session.error (${String(error).slice(0, 80)})`);
  }
}

export const bash = (command: string, description: string): Rule["reply"] => ({
  toolCalls: [{ name: "bash", arguments: { command, description } }],
  then: { text: `The command printed ${command.slice(5)}.`, chunks: 3, chunkDelayMs: 5 },
});

/** A short text reply that reports few tokens (a server with a small context would compact). */
export const small = (text: string): Rule["reply"] => ({
  text,
  chunks: 2,
  chunkDelayMs: 5,
  usage: { prompt_tokens: 100, completion_tokens: 10 },
});

/** A message id in opencode's ascending layout (time-ordered), as a client may choose one. */
export function ascendingMessageId(): string {
  const stamp = (BigInt(Date.now()) * 0x1000n).toString(16).padStart(12, "0").slice(-12);
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let rest = "";
  for (let i = 0; i < 14; i++) rest += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `msg_${stamp}${rest}`;
}

/** Idle server, no session: what server.connected and server.heartbeat look like. */
export async function recordHeartbeat(server: Server): Promise<Recorded[]> {
  const sub = new Subscription(server.oc);
  await sub.waitFor((event) => event.type === "server.heartbeat", 15_000);
  await sub.close();
  return sub.events.filter(
    (e) => e.event.type === "server.connected" || e.event.type === "server.heartbeat",
  );
}

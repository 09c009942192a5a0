import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { LaunchedServer } from "../src/index.js";

/** One event of `GET /global/event`: the directory it belongs to and opencode's own event. */
export interface GlobalEvent {
  readonly directory: string | undefined;
  readonly type: string;
  readonly properties: Record<string, unknown>;
}

/** A live subscription to a server's `/global/event`, every event kept in order. */
export interface GlobalEventStream {
  readonly events: GlobalEvent[];
  close(): void;
}

function authHeaders(server: LaunchedServer): Record<string, string> {
  if (server.auth === null) return {};
  const { username, password } = server.auth;
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
}

function parseEvent(data: string): GlobalEvent | undefined {
  try {
    const parsed = JSON.parse(data) as {
      directory?: unknown;
      payload?: { type?: unknown; properties?: unknown };
    };
    const payload = parsed.payload;
    if (typeof payload?.type !== "string") return undefined;
    return {
      directory: typeof parsed.directory === "string" ? parsed.directory : undefined,
      type: payload.type,
      properties: (payload.properties ?? {}) as Record<string, unknown>,
    };
  } catch {
    return undefined;
  }
}

async function readInto(body: ReadableStream<Uint8Array>, events: GlobalEvent[]): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of body) {
      buffered += decoder.decode(chunk, { stream: true });
      let end = buffered.indexOf("\n");
      while (end >= 0) {
        const line = buffered.slice(0, end).trimEnd();
        buffered = buffered.slice(end + 1);
        if (line.startsWith("data:")) {
          const event = parseEvent(line.slice(5).trim());
          if (event !== undefined) events.push(event);
        }
        end = buffered.indexOf("\n");
      }
    }
  } catch {
    // The stream ends with the server (or with close()); the events read so far stay.
  }
}

/**
 * Subscribes to the server's `/global/event` and returns once the stream is live:
 * opencode answers `server.connected` before its subscription is, so a harmless
 * probe (a 1 ms toast) is sent until it comes back on the stream.
 */
export async function subscribeGlobalEvents(
  server: LaunchedServer,
  timeoutMs = 30_000,
): Promise<GlobalEventStream> {
  const controller = new AbortController();
  const response = await fetch(new URL("/global/event", server.baseUrl), {
    headers: authHeaders(server),
    signal: controller.signal,
  });
  if (!response.ok || response.body === null)
    throw new Error(`GET /global/event answered ${response.status}`);
  const events: GlobalEvent[] = [];
  void readInto(response.body, events);
  const stream = { events, close: () => controller.abort() };
  const token = `dispose test stream check ${randomUUID()}`;
  const deadline = Date.now() + timeoutMs;
  const echoed = (): boolean =>
    events.some(
      (event) => event.type === "tui.toast.show" && JSON.stringify(event).includes(token),
    );
  while (!echoed()) {
    if (Date.now() > deadline) {
      stream.close();
      throw new Error("the /global/event stream did not become live");
    }
    const probe = await fetch(new URL("/tui/show-toast", server.baseUrl), {
      method: "POST",
      headers: { ...authHeaders(server), "content-type": "application/json" },
      body: JSON.stringify({ message: token, variant: "info", duration: 1 }),
    });
    await probe.body?.cancel();
    await sleep(100);
  }
  return stream;
}

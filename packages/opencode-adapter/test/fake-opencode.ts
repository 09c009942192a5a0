/**
 * A tiny stand-in for `opencode serve`, only for faults the real server cannot be made
 * to show on demand: a stream that goes silent, never says `server.connected`, an abort
 * that is never honoured, a silent failure, garbage on the stream.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface FakeOpenCodeOptions {
  /** Say `server.connected` when a stream opens. @default true */
  readonly connected?: boolean;
  /** Called on `POST /session/:id/prompt_async` after the 204. */
  readonly onPrompt?: (fake: FakeOpenCode, sessionId: string) => void;
  /** Answer for `GET /session/:id/message` (a function gets the `limit` asked for). */
  readonly messages?: unknown[] | ((limit: number) => { status: number; body: unknown });
  /** Answer for `GET /session/:id/message/:messageID` (default 404). */
  readonly message?: (messageId: string) => unknown;
  /** The answer to `POST /session/:id/prompt_async` instead of 204 (`onPrompt` is not called). */
  readonly promptAnswer?: { readonly status: number; readonly body: unknown };
  /** Publish only this many toasts (`POST /tui/show-toast`), answer the rest without (a stream that carries nothing). */
  readonly toastsEchoed?: number;
  /** Never answer `POST /session/:id/abort`. */
  readonly ignoreAbort?: boolean;
  /**
   * Like opencode's `/global/event`: a new stream gets events only this long after it
   * said `server.connected` (earlier ones are lost). @default 0
   */
  readonly liveAfterMs?: number;
  /** What `GET /global/health` reports as `version`; no such route when unset (404). */
  readonly version?: string;
}

export interface FakeOpenCode {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Writes an event (wrapped like `/global/event`) to every open stream. */
  send(payload: unknown): void;
  /** Writes a raw SSE chunk to every open stream. */
  raw(chunk: string): void;
  /** The `messageID` the last prompt was sent with (its user message's id). */
  lastMessageId(): string;
  /** Ends every open event stream (the server stays up). */
  dropStreams(): void;
  close(): Promise<void>;
}

const DIRECTORY = "/tmp/fake-opencode";

export async function startFakeOpenCode(options: FakeOpenCodeOptions = {}): Promise<FakeOpenCode> {
  const requests: FakeRequest[] = [];
  const streams = new Set<ServerResponse>();
  const liveAt = new WeakMap<ServerResponse, number>();
  const sockets = new Set<Socket>();
  let sessions = 0;
  let toasts = 0;
  let lastMessageId = "";
  let fake: FakeOpenCode;

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    let text = "";
    for await (const chunk of req) text += chunk;
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const body = await readBody(req);
    requests.push({ method: req.method ?? "GET", path: url.pathname, body });
    const parts = url.pathname.split("/").filter(Boolean);
    if (req.method === "GET" && url.pathname === "/global/health" && options.version) {
      json(res, 200, { healthy: true, version: options.version });
      return;
    }
    if (req.method === "GET" && url.pathname === "/global/event") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.flushHeaders();
      streams.add(res);
      liveAt.set(res, Date.now() + (options.liveAfterMs ?? 0));
      res.on("close", () => streams.delete(res));
      if (options.connected !== false) {
        res.write(
          `data: ${JSON.stringify({ payload: { id: "evt_0", type: "server.connected", properties: {} } })}\n\n`,
        );
      }
      return;
    }
    if (req.method === "POST" && url.pathname === "/session") {
      sessions++;
      json(res, 200, { id: `ses_fake${sessions}`, directory: DIRECTORY });
      return;
    }
    if (parts[0] === "session" && parts.length === 2 && req.method === "GET") {
      json(res, 200, { id: parts[1], directory: DIRECTORY });
      return;
    }
    if (parts[0] === "session" && parts[2] === "prompt_async") {
      const sent = (body as { messageID?: unknown } | undefined)?.messageID;
      lastMessageId = typeof sent === "string" ? sent : "";
      if (options.promptAnswer !== undefined) {
        json(res, options.promptAnswer.status, options.promptAnswer.body);
        return;
      }
      res.writeHead(204);
      res.end();
      options.onPrompt?.(fake, parts[1] ?? "");
      return;
    }
    if (parts[0] === "session" && parts[2] === "abort") {
      if (options.ignoreAbort) return;
      json(res, 200, true);
      return;
    }
    if (parts[0] === "session" && parts[2] === "message" && parts.length === 4) {
      const found = options.message?.(parts[3] ?? "");
      if (found === undefined) json(res, 404, { name: "NotFoundError", data: { message: "no" } });
      else json(res, 200, found);
      return;
    }
    if (parts[0] === "session" && parts[2] === "message") {
      const { messages } = options;
      if (typeof messages === "function") {
        const answer = messages(Number(url.searchParams.get("limit") ?? "100"));
        json(res, answer.status, answer.body);
      } else json(res, 200, messages ?? []);
      return;
    }
    if (url.pathname === "/session/status") {
      json(res, 200, {});
      return;
    }
    if (url.pathname === "/tui/show-toast") {
      // Like opencode: the toast is published on the bus, so it comes back on the streams.
      json(res, 200, true);
      toasts++;
      if (toasts <= (options.toastsEchoed ?? Number.POSITIVE_INFINITY))
        fake.send({ id: "evt_toast", type: "tui.toast.show", properties: body });
      return;
    }
    if (parts[0] === "permission" || parts[0] === "question") {
      json(res, 200, parts.length === 1 ? [] : true);
      return;
    }
    json(res, 404, { name: "NotFoundError", data: { message: `no route ${url.pathname}` } });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake = {
    url: `http://127.0.0.1:${port}`,
    requests,
    send(payload) {
      const data = JSON.stringify({ directory: DIRECTORY, project: "global", payload });
      const now = Date.now();
      for (const res of streams) if (now >= (liveAt.get(res) ?? 0)) res.write(`data: ${data}\n\n`);
    },
    raw(chunk) {
      for (const res of streams) res.write(chunk);
    },
    lastMessageId: () => lastMessageId,
    dropStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

let turns = 0;

/** A `session.status` event. */
export function statusEvent(sessionID: string, type: "busy" | "idle"): unknown {
  return { id: `evt_${type}`, type: "session.status", properties: { sessionID, status: { type } } };
}

/** The `message.updated` that announces a user message. */
export function userMessageEvent(sessionID: string, id: string): unknown {
  return {
    id: "evt_user",
    type: "message.updated",
    properties: { sessionID, info: { id, sessionID, role: "user" } },
  };
}

/** The `message.updated` of an assistant message answering `parentID`. */
export function assistantMessageEvent(sessionID: string, id: string, parentID: string): unknown {
  return {
    id: "evt_assistant",
    type: "message.updated",
    properties: { sessionID, info: { id, sessionID, role: "assistant", parentID } },
  };
}

/**
 * The events of a short successful turn: the prompt's user message (`userID`, the id the
 * prompt was sent with), busy, one assistant message answering it with its text in two
 * deltas, idle. Ids ascend like opencode's.
 */
export function textTurnEvents(sessionID: string, text: string, userID: string): unknown[] {
  turns++;
  const messageID = `${userID}b`;
  const partID = `prt_fake${String(turns).padStart(6, "0")}`;
  const half = Math.ceil(text.length / 2);
  return [
    {
      id: "evt_0",
      type: "message.updated",
      properties: { sessionID, info: { id: userID, sessionID, role: "user" } },
    },
    { id: "evt_1", type: "session.status", properties: { sessionID, status: { type: "busy" } } },
    {
      id: "evt_2",
      type: "message.updated",
      properties: {
        sessionID,
        info: { id: messageID, sessionID, role: "assistant", parentID: userID },
      },
    },
    {
      id: "evt_3",
      type: "message.part.updated",
      properties: { sessionID, part: { id: partID, messageID, sessionID, type: "text", text: "" } },
    },
    {
      id: "evt_4",
      type: "message.part.delta",
      properties: { sessionID, messageID, partID, field: "text", delta: text.slice(0, half) },
    },
    {
      id: "evt_5",
      type: "message.part.delta",
      properties: { sessionID, messageID, partID, field: "text", delta: text.slice(half) },
    },
    { id: "evt_6", type: "session.status", properties: { sessionID, status: { type: "idle" } } },
    { id: "evt_7", type: "session.idle", properties: { sessionID } },
  ];
}

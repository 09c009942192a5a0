import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setImmediate as tick } from "node:timers/promises";

/** What one `GET /global/event` connection gets. */
export interface StreamScript {
  /** Written at once (e.g. the `server.connected` event). */
  readonly head: readonly Uint8Array[];
  /**
   * Written once every expected prompt has arrived, one chunk per write. A function gets
   * the `messageID` each session's prompt was sent with (session id to message id), so a
   * script can announce the prompts' user messages by the ids their senders chose.
   */
  readonly body:
    | readonly Uint8Array[]
    | ((messageIds: ReadonlyMap<string, string>) => readonly Uint8Array[]);
  /** End the response after the body (the stream "drops"); default false. */
  readonly end?: boolean;
  /** The line end of events the server adds itself (the echo of a toast); default "\n". */
  readonly eol?: string;
}

export interface ScriptedEventServerOptions {
  /** Ids handed out by `POST /session`, in order. */
  readonly sessions: readonly string[];
  /** How many `prompt_async` calls to wait for before the body goes out. */
  readonly prompts: number;
  /** The script of the n-th event connection (0-based); undefined answers 503. */
  readonly stream: (connection: number) => StreamScript | undefined;
}

export interface ScriptedEventServer {
  readonly url: string;
  /** Event connections opened so far. */
  connections(): number;
  close(): Promise<void>;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function writeChunks(response: ServerResponse, chunks: readonly Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    if (response.destroyed) return;
    await new Promise<void>((resolve) => response.write(chunk, () => resolve()));
    // A turn of the event loop between writes, so chunks tend to arrive as separate reads.
    await tick();
  }
}

function messageIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { messageID?: unknown }).messageID;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Fixed answers: empty message lists, no pending asks, `true` for abort and ask replies. */
function plainAnswer(method: string, path: string): { readonly body: unknown } | undefined {
  if (method === "GET" && /^\/session\/[^/]+\/message$/.test(path)) return { body: [] };
  if (method === "GET" && path === "/session/status") return { body: {} };
  if (method === "GET" && /^\/session\/[^/]+$/.test(path)) {
    return { body: { id: path.slice("/session/".length), directory: "/home" } };
  }
  if (method === "GET" && (path === "/permission" || path === "/question")) return { body: [] };
  if (method === "POST") return { body: true };
  return undefined;
}

interface OpenStream {
  /** Between scripted events: an added event may go out now. */
  atBoundary: boolean;
  readonly eol: string;
  readonly pending: string[];
}

/** The scripted server's state and its answers. */
class Script {
  connections = 0;
  private sessionIndex = 0;
  private prompts = 0;
  private readonly messageIds = new Map<string, string>();
  private readonly waiting: (() => void)[] = [];
  /** Open event streams; an added event goes out only between scripted events. */
  private readonly open = new Map<ServerResponse, OpenStream>();

  constructor(private readonly options: ScriptedEventServerOptions) {}

  route(request: IncomingMessage, response: ServerResponse, body: string): void {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/global/event") void this.onEvents(response);
    else if (method === "POST" && path === "/tui/show-toast") this.onToast(response, body);
    else if (method === "POST" && path === "/session") {
      const id = this.options.sessions[this.sessionIndex++] ?? `ses_extra${this.sessionIndex}`;
      json(response, 200, { id, directory: "/home" });
    } else if (method === "POST" && /^\/session\/[^/]+\/prompt_async$/.test(path)) {
      this.onPrompt(response, path, body);
    } else {
      const answer = plainAnswer(method, path);
      if (answer !== undefined) json(response, 200, answer.body);
      else json(response, 404, { name: "NotFound", data: { message: path } });
    }
  }

  close(): void {
    for (const response of this.open.keys()) response.destroy();
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async onEvents(response: ServerResponse): Promise<void> {
    const script = this.options.stream(this.connections++);
    if (script === undefined) {
      json(response, 503, { name: "Unavailable", data: { message: "no more streams" } });
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    response.flushHeaders();
    response.socket?.setNoDelay(true);
    const stream: OpenStream = { atBoundary: false, eol: script.eol ?? "\n", pending: [] };
    this.open.set(response, stream);
    response.on("close", () => this.open.delete(response));
    await writeChunks(response, script.head);
    flushPending(response, stream);
    await this.allPrompted();
    stream.atBoundary = false;
    const body = typeof script.body === "function" ? script.body(this.messageIds) : script.body;
    await writeChunks(response, body);
    if (script.end === true) response.end();
    else flushPending(response, stream);
  }

  /**
   * What opencode does with a toast: publish it on the event streams (the adapter's
   * event hub sends one to check that a new subscription is live).
   */
  private onToast(response: ServerResponse, body: string): void {
    let message: unknown;
    try {
      message = (JSON.parse(body) as { message?: unknown }).message;
    } catch {
      message = undefined;
    }
    const payload = {
      id: "evt_toast",
      type: "tui.toast.show",
      properties: { message, variant: "info", duration: 1 },
    };
    for (const [stream, state] of this.open) {
      const event = `data: ${JSON.stringify({ directory: "/home", payload })}${state.eol}${state.eol}`;
      if (state.atBoundary) stream.write(event);
      else state.pending.push(event);
    }
    json(response, 200, true);
  }

  private onPrompt(response: ServerResponse, path: string, body: string): void {
    this.prompts++;
    const messageId = messageIdOf(body);
    if (messageId !== undefined) this.messageIds.set(path.split("/")[2] ?? "", messageId);
    response.writeHead(204).end();
    if (this.prompts >= this.options.prompts)
      for (const resolve of this.waiting.splice(0)) resolve();
  }

  private allPrompted(): Promise<void> {
    if (this.prompts >= this.options.prompts) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** At a boundary between scripted events: what was added meanwhile goes out. */
function flushPending(response: ServerResponse, stream: OpenStream): void {
  stream.atBoundary = true;
  for (const event of stream.pending.splice(0)) response.write(event);
}

/**
 * A tiny stand-in for the HTTP surface of `opencode serve` that the adapter uses, whose
 * event stream writes scripted bytes: for the SSE reader's property tests only (random
 * bytes and split points the real server cannot be made to produce).
 */
export async function startScriptedEventServer(
  options: ScriptedEventServerOptions,
): Promise<ScriptedEventServer> {
  const script = new Script(options);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () =>
      script.route(request, response, Buffer.concat(chunks).toString("utf8")),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => script.connections,
    close(): Promise<void> {
      script.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

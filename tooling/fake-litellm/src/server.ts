import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  ChatMessage,
  FakeLiteLLM,
  FakeLiteLLMOptions,
  Matcher,
  RecordedRequest,
  Rule,
  Script,
  TextScript,
  ToolCallScript,
  UsageOverride,
} from "./types.js";
import {
  ChunkEncoder,
  completionBody,
  errorBody,
  type ResolvedToolCall,
  splitText,
  toolArguments,
  usageFor,
  withUsage,
} from "./wire.js";

const TITLE_MARKER = "You are a title generator";
/** Stream writes are batched up to this many characters. */
const BATCH_CHARS = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A bad option given to `startFakeLiteLLM`; `field` names it. */
export class FakeLiteLLMOptionsError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`fake-litellm: option "${field}" ${problem}`);
    this.name = "FakeLiteLLMOptionsError";
    this.field = field;
  }
}

type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

/** Starts the stand-in and resolves once it listens. */
export async function startFakeLiteLLM(options: FakeLiteLLMOptions = {}): Promise<FakeLiteLLM> {
  const keys = new Set(validateKeys(options.keys));
  const models = validateModels(options.models);
  const host = options.host ?? "127.0.0.1";
  const title = options.title ?? "Scripted session";
  let rules: readonly Rule[] = validateRules(options.rules ?? [], "rules");
  const requests: RecordedRequest[] = [];
  /** Tool call id -> the script that answers its result. */
  const pending = new Map<string, Script>();
  let toolCallCounter = 0;
  const sockets = new Set<Socket>();
  const inFlight = new Set<AbortController>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController();
    inFlight.add(abort);
    res.once("close", () => abort.abort());
    try {
      await route(req, res, abort.signal);
    } catch (error) {
      if (!abort.signal.aborted && !res.headersSent) {
        sendJson(res, 500, errorBody(500, `fake-litellm failed: ${String(error)}`));
      } else {
        res.destroy();
      }
    } finally {
      inFlight.delete(abort);
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const key = bearerKey(req);
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      if (!authorized(res, key)) return;
      const created = Math.floor(Date.now() / 1000);
      sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created, owned_by: "openai" })),
      });
      return;
    }
    if (
      req.method === "POST" &&
      (path === "/v1/chat/completions" || path === "/chat/completions")
    ) {
      const raw = await readBody(req, signal);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        sendJson(res, 400, errorBody(400, "fake-litellm: the request body is not JSON"));
        return;
      }
      if (typeof body !== "object" || body === null || !Array.isArray((body as Body).messages)) {
        sendJson(res, 400, errorBody(400, "fake-litellm: the body needs a messages array"));
        return;
      }
      const record = recordOf(key, body as Body);
      requests.push(record);
      if (key === undefined || !keys.has(key)) {
        record.status = 401;
        authorized(res, key);
        return;
      }
      const script = choose(record);
      await play(script, record, raw.length, res, signal);
      return;
    }
    sendJson(res, 404, errorBody(404, `fake-litellm: no route ${req.method} ${path}`));
  };

  const authorized = (res: ServerResponse, key: string | undefined): boolean => {
    if (key !== undefined && keys.has(key)) return true;
    const message =
      key === undefined
        ? "Authentication Error, No api key passed in."
        : "Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`";
    sendJson(res, 401, errorBody(401, message));
    return false;
  };

  const choose = (record: MutableRecord): Script => {
    const last = record.messages.at(-1);
    const fromUser = last?.role === "user";
    if (last?.role === "tool" && typeof last.tool_call_id === "string") {
      const then = pending.get(last.tool_call_id);
      if (then !== undefined) return then;
    }
    for (const rule of rules) {
      if (record.isTitleRequest && rule.titles !== true) continue;
      if (matches(rule.match, record, fromUser)) return rule.reply;
    }
    if (record.isTitleRequest) return { text: title, chunks: 1 };
    if (last?.role === "tool") return { text: "Done." };
    return { text: record.lastUserText };
  };

  const play = async (
    script: Script,
    record: MutableRecord,
    promptChars: number,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> => {
    const stream = record.stream;
    if ("error" in script) {
      record.status = script.error.status;
      sendJson(
        res,
        script.error.status,
        errorBody(script.error.status, script.error.message),
        script.error.headers,
      );
      return;
    }
    record.status = 200;
    if ("toolCalls" in script) {
      const calls = resolveToolCalls(script);
      const completionChars = calls.reduce((n, c) => n + c.name.length + c.arguments.length, 0);
      const usage = withUsage(usageFor(promptChars, completionChars), script.usage);
      if (!stream) {
        sendJson(
          res,
          200,
          completionBody(record.model, { content: null, toolCalls: calls }, "tool_calls", usage),
        );
        return;
      }
      const enc = new ChunkEncoder(record.model);
      const out = new StreamWriter(res, signal);
      out.start();
      if (script.reasoning !== undefined) out.push(enc.reasoning(script.reasoning));
      if (script.text !== undefined) out.push(enc.content(script.text));
      calls.forEach((call, index) => {
        out.push(enc.toolCallStart(index, call));
        // Two argument deltas, so clients must accumulate them as with a real model.
        const half = Math.floor(call.arguments.length / 2);
        for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
          if (piece !== "") out.push(enc.toolCallArguments(index, piece));
        }
      });
      out.push(enc.finish("tool_calls", usage));
      out.push(ChunkEncoder.done);
      await out.end();
      return;
    }
    if ("hangUp" in script) {
      const text = script.hangUp.text ?? record.lastUserText;
      const after = script.hangUp.afterChunks ?? 0;
      if (!stream) {
        res.destroy();
        return;
      }
      const enc = new ChunkEncoder(record.model);
      const out = new StreamWriter(res, signal);
      out.start();
      for (const piece of splitText(text, Math.max(5, after + 1)).slice(0, after)) {
        out.push(enc.content(piece));
      }
      await out.flush(true);
      res.destroy();
      return;
    }
    if ("stall" in script) {
      const { ms } = script.stall;
      const text = script.stall.text ?? record.lastUserText;
      const after = script.stall.afterChunks ?? 0;
      const usage = usageFor(promptChars, text.length);
      if (!stream) {
        await sleep(ms, undefined, { signal });
        sendJson(res, 200, completionBody(record.model, { content: text }, "stop", usage));
        return;
      }
      const enc = new ChunkEncoder(record.model);
      const out = new StreamWriter(res, signal);
      out.start();
      const pieces = splitText(text, Math.max(5, after + 1));
      pieces.forEach((piece, i) => {
        if (i < after) out.push(enc.content(piece));
      });
      await out.flush(true);
      await sleep(ms, undefined, { signal });
      for (const piece of pieces.slice(after)) out.push(enc.content(piece));
      out.push(enc.finish("stop", usage));
      out.push(ChunkEncoder.done);
      await out.end();
      return;
    }
    await playText(script, record, promptChars, res, signal);
  };

  const playText = async (
    script: TextScript,
    record: MutableRecord,
    promptChars: number,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> => {
    const { text, reasoning } = script;
    const usage = withUsage(
      usageFor(promptChars, text.length + (reasoning?.length ?? 0)),
      script.usage,
    );
    if (!record.stream) {
      const message = reasoning === undefined ? { content: text } : { content: text, reasoning };
      sendJson(res, 200, completionBody(record.model, message, "stop", usage));
      return;
    }
    const enc = new ChunkEncoder(record.model);
    const out = new StreamWriter(res, signal);
    out.start();
    const delay = script.chunkDelayMs ?? 0;
    const pieces = reasoning === undefined ? [] : splitText(reasoning, script.reasoningChunks ?? 1);
    const contentStart = pieces.length;
    for (const piece of splitText(text, script.chunks ?? 5)) pieces.push(piece);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? "";
      const chunk = i < contentStart ? enc.reasoning(piece) : enc.content(piece);
      if (delay > 0 && i > 0) {
        await out.flush(true);
        await sleep(delay, undefined, { signal });
      }
      if (!out.push(chunk)) await out.flush(false);
    }
    out.push(enc.finish("stop", usage));
    out.push(ChunkEncoder.done);
    await out.end();
  };

  const resolveToolCalls = (script: ToolCallScript): ResolvedToolCall[] => {
    const then = script.then ?? { text: "Done." };
    return script.toolCalls.map((spec) => {
      toolCallCounter += 1;
      const id = spec.id ?? `call_${toolCallCounter}`;
      pending.set(id, then);
      return { id, name: spec.name, arguments: toolArguments(spec) };
    });
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    get requests(): readonly RecordedRequest[] {
      return requests;
    },
    setRules(next) {
      rules = validateRules(next, "rules");
    },
    addRule(rule) {
      rules = [...validateRules([rule], "rule"), ...rules];
    },
    reset() {
      rules = [];
      requests.length = 0;
      pending.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const controller of inFlight) controller.abort();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

interface Body {
  readonly model?: unknown;
  readonly stream?: unknown;
  readonly messages: readonly ChatMessage[];
  readonly tools?: unknown;
}

function recordOf(key: string | undefined, body: Body): MutableRecord {
  const messages = body.messages;
  const tools = Array.isArray(body.tools)
    ? body.tools
        .map((tool: { function?: { name?: unknown } }) => tool?.function?.name)
        .filter((name): name is string => typeof name === "string")
    : [];
  let lastUserText = "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === "user") {
      lastUserText = textOf(message);
      break;
    }
  }
  const isTitleRequest = messages.some(
    (m) => m?.role === "system" && textOf(m).includes(TITLE_MARKER),
  );
  return {
    key,
    model: typeof body.model === "string" ? body.model : "",
    stream: body.stream === true,
    messages,
    tools,
    lastUserText,
    isTitleRequest,
    body,
    status: 200,
  };
}

function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part) => part?.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

function matches(matcher: Matcher | undefined, record: RecordedRequest, fromUser: boolean) {
  if (matcher === undefined) return true;
  if (typeof matcher === "function") return matcher(record);
  if (!fromUser) return false;
  if (typeof matcher === "string") return record.lastUserText.includes(matcher);
  matcher.lastIndex = 0;
  return matcher.test(record.lastUserText);
}

function bearerKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

async function readBody(req: IncomingMessage, signal: AbortSignal): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    signal.throwIfAborted();
    size += (part as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Batches SSE chunks into large writes and waits for `drain` when the socket
 * buffer is full, so a 100 000-chunk stream costs a few hundred writes.
 */
class StreamWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
  ) {}

  start(): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    this.res.flushHeaders();
  }

  /** Queues a chunk; false when the batch is full and should be flushed. */
  push(chunk: string): boolean {
    this.parts.push(chunk);
    this.size += chunk.length;
    return this.size < BATCH_CHARS;
  }

  /** Writes the batch; waits for drain on backpressure, or until the data left when `settle`. */
  async flush(settle: boolean): Promise<void> {
    this.signal.throwIfAborted();
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? (this.parts[0] ?? "") : this.parts.join("");
    this.parts = [];
    this.size = 0;
    if (settle) {
      await new Promise<void>((resolve, reject) => {
        this.res.write(data, (error) => (error ? reject(error) : resolve()));
      });
      return;
    }
    if (!this.res.write(data)) await once(this.res, "drain", { signal: this.signal });
  }

  async end(): Promise<void> {
    await this.flush(false);
    this.res.end();
  }
}

function validateKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined) return ["sk-test"];
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new FakeLiteLLMOptionsError("keys", "must be a non-empty array of strings");
  }
  keys.forEach((key, i) => {
    if (typeof key !== "string" || key === "" || /\s/.test(key)) {
      throw new FakeLiteLLMOptionsError(`keys[${i}]`, "must be a non-empty string without spaces");
    }
  });
  return keys;
}

function validateModels(models: readonly string[] | undefined): readonly string[] {
  if (models === undefined) return ["fake-model"];
  if (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m === "")) {
    throw new FakeLiteLLMOptionsError("models", "must be an array of non-empty strings");
  }
  return models;
}

function validateRules(list: readonly Rule[], field: string): readonly Rule[] {
  if (!Array.isArray(list)) throw new FakeLiteLLMOptionsError(field, "must be an array");
  list.forEach((rule, i) => {
    const name = field === "rule" ? "rule" : `${field}[${i}]`;
    if (typeof rule !== "object" || rule === null) {
      throw new FakeLiteLLMOptionsError(name, "must be an object");
    }
    const m = rule.match;
    if (
      m !== undefined &&
      typeof m !== "string" &&
      typeof m !== "function" &&
      !(m instanceof RegExp)
    ) {
      throw new FakeLiteLLMOptionsError(`${name}.match`, "must be a string, RegExp or function");
    }
    validateScript(rule.reply, `${name}.reply`);
  });
  return [...list];
}

function validateScript(script: Script | undefined, field: string): void {
  if (typeof script !== "object" || script === null) {
    throw new FakeLiteLLMOptionsError(field, "must be a script object");
  }
  const count = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0;
  if ("toolCalls" in script) {
    if (!Array.isArray(script.toolCalls) || script.toolCalls.length === 0) {
      throw new FakeLiteLLMOptionsError(`${field}.toolCalls`, "must be a non-empty array");
    }
    script.toolCalls.forEach((call, i) => {
      if (typeof call?.name !== "string" || call.name === "") {
        throw new FakeLiteLLMOptionsError(
          `${field}.toolCalls[${i}].name`,
          "must be a non-empty string",
        );
      }
    });
    if (script.then !== undefined) validateScript(script.then, `${field}.then`);
    validateUsage(script.usage, `${field}.usage`);
  } else if ("error" in script) {
    const status = script.error?.status;
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new FakeLiteLLMOptionsError(
        `${field}.error.status`,
        "must be an HTTP error status (400-599)",
      );
    }
  } else if ("stall" in script) {
    if (!count(script.stall?.ms)) {
      throw new FakeLiteLLMOptionsError(`${field}.stall.ms`, "must be a non-negative integer");
    }
    if (script.stall.afterChunks !== undefined && !count(script.stall.afterChunks)) {
      throw new FakeLiteLLMOptionsError(
        `${field}.stall.afterChunks`,
        "must be a non-negative integer",
      );
    }
  } else if ("hangUp" in script) {
    if (script.hangUp?.afterChunks !== undefined && !count(script.hangUp.afterChunks)) {
      throw new FakeLiteLLMOptionsError(
        `${field}.hangUp.afterChunks`,
        "must be a non-negative integer",
      );
    }
  } else if ("text" in script) {
    if (typeof script.text !== "string") {
      throw new FakeLiteLLMOptionsError(`${field}.text`, "must be a string");
    }
    if (script.chunks !== undefined && !(count(script.chunks) && script.chunks > 0)) {
      throw new FakeLiteLLMOptionsError(`${field}.chunks`, "must be a positive integer");
    }
    if (script.chunkDelayMs !== undefined && !count(script.chunkDelayMs)) {
      throw new FakeLiteLLMOptionsError(`${field}.chunkDelayMs`, "must be a non-negative integer");
    }
    validateUsage(script.usage, `${field}.usage`);
  } else {
    throw new FakeLiteLLMOptionsError(field, "needs text, toolCalls, error, stall or hangUp");
  }
}

function validateUsage(usage: UsageOverride | undefined, field: string): void {
  if (usage === undefined) return;
  if (typeof usage !== "object" || usage === null) {
    throw new FakeLiteLLMOptionsError(field, "must be an object of token counts");
  }
  for (const name of ["prompt_tokens", "completion_tokens", "total_tokens"] as const) {
    const n = usage[name];
    if (n !== undefined && !(typeof n === "number" && Number.isInteger(n) && n >= 0)) {
      throw new FakeLiteLLMOptionsError(`${field}.${name}`, "must be a non-negative integer");
    }
  }
}

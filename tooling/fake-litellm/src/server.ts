import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { agentDemoRules } from "./agent-demo.js";
import { bearerKey, readBody, sendJson } from "./http.js";
import { play } from "./play.js";
import { isBody, type MutableRecord, matches, recordOf } from "./request.js";
import type {
  FakeLiteLLM,
  FakeLiteLLMOptions,
  RecordedRequest,
  Reply,
  Rule,
  Script,
  ToolCallScript,
} from "./types.js";
import {
  validateDefaultScript,
  validateKeys,
  validateModels,
  validateRules,
  validateScript,
} from "./validate.js";
import { errorBody, type ResolvedToolCall, toolArguments } from "./wire.js";

/** Starts the stand-in and resolves once it listens. */
export async function startFakeLiteLLM(options: FakeLiteLLMOptions = {}): Promise<FakeLiteLLM> {
  const standIn = new StandIn(options);
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    void standIn.handle(req, res);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const port = await listen(server, options.port ?? 0, host);
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    get requests(): readonly RecordedRequest[] {
      return standIn.requests;
    },
    setRules: (next) => standIn.setRules(next),
    addRule: (rule) => standIn.addRule(rule),
    reset: () => standIn.reset(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        standIn.abortAll();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** The stand-in's state and its answer to each HTTP request. */
class StandIn {
  readonly requests: RecordedRequest[] = [];
  private readonly keys: ReadonlySet<string>;
  private readonly models: readonly string[];
  private readonly fallbackRules: readonly Rule[];
  private readonly title: string;
  private rules: readonly Rule[];
  /** Tool call id -> the reply to its result. */
  private readonly pending = new Map<string, Reply>();
  private toolCallCounter = 0;
  private readonly inFlight = new Set<AbortController>();

  constructor(options: FakeLiteLLMOptions) {
    this.keys = new Set(validateKeys(options.keys));
    this.models = validateModels(options.models);
    const agent = validateDefaultScript(options.defaultScript) === "agent";
    this.fallbackRules = agent ? agentDemoRules() : [];
    this.title = options.title ?? "Scripted session";
    this.rules = validateRules(options.rules ?? [], "rules");
  }

  setRules(next: readonly Rule[]): void {
    this.rules = validateRules(next, "rules");
  }

  addRule(rule: Rule): void {
    this.rules = [...validateRules([rule], "rule"), ...this.rules];
  }

  reset(): void {
    this.rules = [];
    this.requests.length = 0;
    this.pending.clear();
  }

  abortAll(): void {
    for (const controller of this.inFlight) controller.abort();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    this.inFlight.add(abort);
    res.once("close", () => abort.abort());
    try {
      await this.route(req, res, abort.signal);
    } catch (error) {
      if (!abort.signal.aborted && !res.headersSent) {
        sendJson(res, 500, errorBody(500, `fake-litellm failed: ${String(error)}`));
      } else {
        res.destroy();
      }
    } finally {
      this.inFlight.delete(abort);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, signal: AbortSignal) {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const key = bearerKey(req);
    if (req.method === "GET" && (path === "/v1/models" || path === "/models")) {
      if (!this.authorized(res, key)) return;
      const created = Math.floor(Date.now() / 1000);
      sendJson(res, 200, {
        object: "list",
        data: this.models.map((id) => ({ id, object: "model", created, owned_by: "openai" })),
      });
      return;
    }
    if (
      req.method === "POST" &&
      (path === "/v1/chat/completions" || path === "/chat/completions")
    ) {
      await this.complete(req, res, key, signal);
      return;
    }
    sendJson(res, 404, errorBody(404, `fake-litellm: no route ${req.method} ${path}`));
  }

  private async complete(
    req: IncomingMessage,
    res: ServerResponse,
    key: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const raw = await readBody(req, signal);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(res, 400, errorBody(400, "fake-litellm: the request body is not JSON"));
      return;
    }
    if (!isBody(body)) {
      sendJson(res, 400, errorBody(400, "fake-litellm: the body needs a messages array"));
      return;
    }
    const record = recordOf(key, body);
    this.requests.push(record);
    if (!this.authorized(res, key)) {
      record.status = 401;
      return;
    }
    const script = this.choose(record);
    const issue = (s: ToolCallScript) => this.issue(s);
    await play(script, { record, promptChars: raw.length, res, signal, issue });
  }

  private authorized(res: ServerResponse, key: string | undefined): boolean {
    if (key !== undefined && this.keys.has(key)) return true;
    const message =
      key === undefined
        ? "Authentication Error, No api key passed in."
        : "Authentication Error, Invalid proxy server token passed. Unable to find token in cache or `LiteLLM_VerificationTokenTable`";
    sendJson(res, 401, errorBody(401, message));
    return false;
  }

  private choose(record: MutableRecord): Script {
    const last = record.messages.at(-1);
    const fromUser = last?.role === "user";
    if (last?.role === "tool" && typeof last.tool_call_id === "string") {
      const then = this.pending.get(last.tool_call_id);
      if (then !== undefined) return scriptOf(then, record);
    }
    for (const rule of [...this.rules, ...this.fallbackRules]) {
      if (record.isTitleRequest && rule.titles !== true) continue;
      if (matches(rule.match, record, fromUser)) return scriptOf(rule.reply, record);
    }
    if (record.isTitleRequest) return { text: this.title, chunks: 1 };
    if (record.structuredSchema !== undefined) return { structured: {} };
    if (last?.role === "tool") return { text: "Done." };
    return { text: record.lastUserText };
  }

  private issue(script: ToolCallScript): ResolvedToolCall[] {
    const then = script.then ?? { text: "Done." };
    return script.toolCalls.map((spec) => {
      this.toolCallCounter += 1;
      const id = spec.id ?? `call_${this.toolCallCounter}`;
      this.pending.set(id, then);
      return { id, name: spec.name, arguments: toolArguments(spec) };
    });
  }
}

/** The script of a reply; a function's script is checked (a bad one becomes a 500). */
function scriptOf(reply: Reply, record: RecordedRequest): Script {
  if (typeof reply !== "function") return reply;
  const script = reply(record);
  validateScript(script, "reply()");
  return script;
}

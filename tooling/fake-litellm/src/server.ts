import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
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
  const keys = new Set(validateKeys(options.keys));
  const models = validateModels(options.models);
  const fallbackRules =
    validateDefaultScript(options.defaultScript) === "agent" ? agentDemoRules() : [];
  const host = options.host ?? "127.0.0.1";
  const title = options.title ?? "Scripted session";
  let rules: readonly Rule[] = validateRules(options.rules ?? [], "rules");
  const requests: RecordedRequest[] = [];
  /** Tool call id -> the reply to its result. */
  const pending = new Map<string, Reply>();
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
      await complete(req, res, key, signal);
      return;
    }
    sendJson(res, 404, errorBody(404, `fake-litellm: no route ${req.method} ${path}`));
  };

  const complete = async (
    req: IncomingMessage,
    res: ServerResponse,
    key: string | undefined,
    signal: AbortSignal,
  ): Promise<void> => {
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
    requests.push(record);
    if (key === undefined || !keys.has(key)) {
      record.status = 401;
      authorized(res, key);
      return;
    }
    const script = choose(record);
    await play(script, { record, promptChars: raw.length, res, signal, issue });
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
      if (then !== undefined) return scriptOf(then, record);
    }
    for (const rule of [...rules, ...fallbackRules]) {
      if (record.isTitleRequest && rule.titles !== true) continue;
      if (matches(rule.match, record, fromUser)) return scriptOf(rule.reply, record);
    }
    if (record.isTitleRequest) return { text: title, chunks: 1 };
    if (record.structuredSchema !== undefined) return { structured: {} };
    if (last?.role === "tool") return { text: "Done." };
    return { text: record.lastUserText };
  };

  const issue = (script: ToolCallScript): ResolvedToolCall[] => {
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

/** The script of a reply; a function's script is checked (a bad one becomes a 500). */
function scriptOf(reply: Reply, record: RecordedRequest): Script {
  if (typeof reply !== "function") return reply;
  const script = reply(record);
  validateScript(script, "reply()");
  return script;
}

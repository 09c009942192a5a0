import type { IncomingMessage, ServerResponse } from "node:http";
import { describeError } from "@taos/internal";
import type { OpenCodePool } from "@taos/opencode-pool";
import { validateAgentId } from "@taos/opencode-pool/internals";
import { readBody } from "./body.js";
import { ENDPOINTS } from "./endpoints.js";
import {
  type HostHandlerOptions,
  type ResolvedHostOptions,
  resolveHostOptions,
} from "./options.js";
import { ReplayCache } from "./replay.js";
import { errorAnswer, sendError } from "./responses.js";
import { bodyCap, matchRoute } from "./routes.js";
import { checkSignature, SIGNATURE_HEADERS } from "./signing.js";

/** A Node request handler, as `node:http`, Express and Fastify (raw) take it. */
export type HostHandler = (req: IncomingMessage, res: ServerResponse) => void;

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === "string" ? value : undefined;
};

/** Why the request is not let in (its signature, its timestamp or a replay), or undefined. */
function refusal(
  req: IncomingMessage,
  body: Buffer,
  options: ResolvedHostOptions,
  replays: ReplayCache,
): string | undefined {
  const now = Date.now();
  const signature = header(req, SIGNATURE_HEADERS.signature);
  const parts = {
    timestamp: header(req, SIGNATURE_HEADERS.timestamp) ?? "",
    method: req.method ?? "",
    pathWithQuery: req.url ?? "",
    body,
  };
  const rejected = checkSignature(options.secret, parts, signature, now, options.windowMs);
  if (rejected !== undefined) return rejected;
  return replays.admit(signature as string, now) ? undefined : "replayed";
}

/**
 * The pool behind a signed HTTP API (see the README for the endpoints).
 * Every request must carry a valid HMAC signature less than `windowMs` old,
 * seen once; any other is answered 401 before anything runs.
 */
export function createHostHandler(pool: OpenCodePool, options: HostHandlerOptions): HostHandler {
  const resolved = resolveHostOptions(options);
  const replays = new ReplayCache(resolved.windowMs);
  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    seen: { route?: string },
  ): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://host");
    const route = matchRoute(req.method ?? "", url.pathname);
    if (route.kind !== "route") {
      req.resume();
      const status = route.kind === "not_found" ? 404 : 405;
      return sendError(res, { status, code: route.kind, message: "no such endpoint" });
    }
    const body = await readBody(
      req,
      bodyCap(route.name, { json: resolved.maxJsonBytes, archive: resolved.maxArchiveBytes }),
    );
    const refused = refusal(req, body, resolved, replays);
    if (refused !== undefined) {
      resolved.logger?.warn(
        { method: req.method, path: url.pathname, reason: refused },
        "request refused",
      );
      return sendError(res, {
        status: 401,
        code: "unauthorized",
        message: "bad or missing signature",
      });
    }
    seen.route = route.name;
    const agentId = route.agentId === undefined ? "" : validateAgentId(route.agentId, "agentId");
    await ENDPOINTS[route.name](
      pool,
      { name: route.name, agentId, query: url.searchParams, body, res },
      resolved,
    );
  };
  return (req, res) => {
    const seen: { route?: string } = {};
    serve(req, res, seen).catch((error: unknown) => {
      const answer = errorAnswer(error, seen.route);
      if (answer.status === 500)
        resolved.logger?.error({ err: describeError(error) }, "host request failed");
      if (answer.status === 413) res.setHeader("connection", "close");
      sendError(res, answer);
    });
  };
}

import type { ServerResponse } from "node:http";
import { ConfigValidationError } from "@taos/opencode-config";
import {
  AgentBusyError,
  AgentExistsError,
  InvalidArchiveError,
  InvalidPoolOptionError,
  PoolClosedError,
  PoolRefusedError,
  UnknownAgentError,
} from "@taos/opencode-pool";
import { BodyTooLargeError } from "./body.js";
import { HostInputError } from "./errors.js";

/** What an error answer says: HTTP status, code, a message fit to send, the field at fault. */
export interface ErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

const REFUSAL_STATUS: Readonly<Record<string, number>> = {
  unknown_agent: 404,
  aborted: 499,
  pool_busy: 503,
  pool_closed: 503,
  agent_failing: 503,
};

/**
 * The answer for an error a route threw; anything unknown is a 500 that says
 * nothing more. A settings check names the pool's field (`register.settings.apiKey`).
 */
export function errorAnswer(error: unknown, route?: string): ErrorAnswer {
  if (ConfigValidationError.isInstance(error)) {
    const method = route === "import" ? "importAgent" : (route ?? "register");
    const field = `${method}.settings.${error.field}`;
    return { status: 400, code: "invalid_input", message: error.message, field };
  }
  if (HostInputError.isInstance(error) || InvalidPoolOptionError.isInstance(error))
    return { status: 400, code: "invalid_input", message: error.message, field: error.field };
  if (InvalidArchiveError.isInstance(error))
    return { status: 400, code: "invalid_archive", message: error.message };
  if (BodyTooLargeError.isInstance(error))
    return { status: 413, code: "body_too_large", message: error.message };
  if (UnknownAgentError.isInstance(error))
    return { status: 404, code: "unknown_agent", message: error.message };
  if (AgentExistsError.isInstance(error))
    return { status: 409, code: "agent_exists", message: error.message };
  if (AgentBusyError.isInstance(error))
    return { status: 409, code: "agent_busy", message: error.message };
  if (PoolClosedError.isInstance(error))
    return { status: 503, code: "pool_closed", message: error.message };
  if (PoolRefusedError.isInstance(error))
    return { status: REFUSAL_STATUS[error.code] ?? 503, code: error.code, message: error.message };
  return { status: 500, code: "internal_error", message: "the host failed; see its log" };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, answer: ErrorAnswer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, ...error } = answer;
  sendJson(res, status, { error });
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

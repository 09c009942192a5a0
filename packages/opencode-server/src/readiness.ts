import { abortable, delay } from "@taos/internal";
import { Agent, request } from "undici";
import type { OpenCodeChild } from "./child.js";
import { OpenCodeHealthError } from "./errors.js";
import { backoffDelays } from "./timing.js";

/** One health answer: healthy with opencode's version (when it said), or why not. */
export type Health =
  | { readonly ok: true; readonly version: string | undefined }
  | { readonly ok: false; readonly error: OpenCodeHealthError };

/** Where a health request goes; `healthPath` falls back to `/doc` on servers without `/global/health`. */
export interface HealthTarget {
  readonly baseUrl: string;
  healthPath: "/global/health" | "/doc";
}

export const HEALTH_TIMEOUT_MS = 2_000;

interface HealthBody {
  readonly healthy?: unknown;
  readonly version?: unknown;
}

function unhealthy(
  url: string,
  statusCode: number | undefined,
  message: string,
  cause?: unknown,
): Health {
  const isRetryable = statusCode === undefined || statusCode >= 500 || statusCode === 429;
  return {
    ok: false,
    error: new OpenCodeHealthError({ url, statusCode, isRetryable, message, cause }),
  };
}

/**
 * Parses a 200 answer. `/global/health` must say healthy and carries opencode's
 * version. `/doc` only proves the server answers: its `info.version` is the
 * API document's own version ("1.0.0" on 1.18.33), not opencode's, so no
 * version comes from it.
 */
function healthOf(target: HealthTarget, url: string, text: string): Health {
  if (target.healthPath === "/doc") return { ok: true, version: undefined };
  let body: HealthBody;
  try {
    body = JSON.parse(text) as HealthBody;
  } catch (error) {
    return unhealthy(url, 200, "the answer is not JSON", error);
  }
  if (body.healthy !== true) return unhealthy(url, 200, "the server reports itself unhealthy");
  return { ok: true, version: typeof body.version === "string" ? body.version : undefined };
}

/** Health requests to one server, with its Basic auth, over one keep-alive agent. */
export class HealthClient {
  readonly #authorization: () => string | undefined;
  #agent: Agent | undefined;

  constructor(authorization: () => string | undefined) {
    this.#authorization = authorization;
  }

  /**
   * One request, bounded by `timeoutMs`. Resolves with the answer (a failure
   * to connect is an unhealthy answer); rejects with `signal.reason` only.
   */
  async check(
    target: HealthTarget,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<Health> {
    const url = `${target.baseUrl}${target.healthPath}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    this.#agent ??= new Agent({ connect: { timeout: HEALTH_TIMEOUT_MS }, keepAliveTimeout: 4_000 });
    const authorization = this.#authorization();
    try {
      const response = await request(url, {
        dispatcher: this.#agent,
        headers: authorization ? { authorization } : {},
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.body.text();
      const { statusCode } = response;
      if (statusCode === 404 && target.healthPath === "/global/health") {
        // Servers older than /global/health: fall back to the OpenAPI document.
        target.healthPath = "/doc";
        return await this.check(target, signal, timeoutMs);
      }
      if (statusCode !== 200) return unhealthy(url, statusCode, `HTTP ${statusCode}`);
      return healthOf(target, url, text);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return unhealthy(url, undefined, `no answer within ${timeoutMs} ms`);
      const code = (error as { code?: string }).code;
      const message = code ?? (error instanceof Error ? error.message : String(error));
      return unhealthy(url, undefined, message, error);
    }
  }

  /** Closes the agent's connections; a later check opens a new one. */
  async close(): Promise<void> {
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }
}

/**
 * Resolves with opencode's version once the child has printed its listening
 * line and then passed a health check: at once, then after a short backoff.
 * Only after the line: the port accepts connections a little earlier, and a
 * request in that window can hang. A child that dies meanwhile fails the wait
 * at once with `OpenCodeExitedError`; an abort rejects with `signal.reason`.
 */
export async function waitReady(
  child: OpenCodeChild,
  health: HealthClient,
  signal: AbortSignal,
  onHealthError: (error: OpenCodeHealthError) => void,
): Promise<string | undefined> {
  const died = new AbortController();
  void child.exited.then(async (info) => {
    if (!signal.aborted && !child.ready) died.abort(await child.exitError(info));
  });
  const attempt = AbortSignal.any([signal, died.signal]);
  try {
    await abortable(child.listening, attempt);
    for (const wait of backoffDelays()) {
      const answer = await health.check(child, attempt, HEALTH_TIMEOUT_MS);
      if (answer.ok) return answer.version;
      onHealthError(answer.error);
      await delay(wait, attempt);
    }
    throw new Error("unreachable: backoffDelays never ends");
  } finally {
    // Detaches the exit watch's abort from the composite signal.
    died.abort();
  }
}

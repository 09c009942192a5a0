import { Agent, type Dispatcher, request } from "undici";
import { HostRequestError } from "./errors.js";
import { SIGNATURE_HEADERS, signRequest } from "./signing.js";

/** One signed request to a host: where, how, with which secret. */
export interface SignedRequest {
  readonly method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE";
  readonly pathWithQuery: string;
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Signs and sends requests to one host; timestamps only go up, so no two requests sign alike. */
export class HostClient {
  readonly url: string;
  readonly #secret: string;
  readonly #dispatcher: Agent;
  #lastTimestamp = 0;

  constructor(url: string, secret: string, silenceTimeoutMs: number) {
    this.url = url.replace(/\/+$/, "");
    this.#secret = secret;
    this.#dispatcher = new Agent({
      bodyTimeout: silenceTimeoutMs,
      headersTimeout: silenceTimeoutMs,
    });
  }

  #timestamp(): string {
    this.#lastTimestamp = Math.max(Date.now(), this.#lastTimestamp + 1);
    return String(this.#lastTimestamp);
  }

  /** Sends the request; any HTTP status comes back, a failure to connect throws `HostRequestError` (status 0). */
  async send(call: SignedRequest): Promise<Dispatcher.ResponseData> {
    const body = call.body ?? new Uint8Array(0);
    const timestamp = this.#timestamp();
    const signature = signRequest(this.#secret, {
      timestamp,
      method: call.method,
      pathWithQuery: call.pathWithQuery,
      body,
    });
    const headers: Record<string, string> = {
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.signature]: signature,
    };
    if (call.contentType !== undefined) headers["content-type"] = call.contentType;
    try {
      return await request(`${this.url}${call.pathWithQuery}`, {
        method: call.method,
        headers,
        ...(body.length > 0 ? { body } : {}),
        dispatcher: this.#dispatcher,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
    } catch (error) {
      if (call.signal?.aborted) throw error;
      throw unreachable(this.url, error);
    }
  }

  /** Sends the request and throws `HostRequestError` for any answer of 400 or more. */
  async expectOk(call: SignedRequest): Promise<Dispatcher.ResponseData> {
    const response = await this.send(call);
    if (response.statusCode < 400) return response;
    throw await answerError(`${this.url}${call.pathWithQuery}`, response);
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}

export function unreachable(url: string, cause: unknown): HostRequestError {
  return new HostRequestError({
    message: `the host at ${url} could not be reached`,
    url,
    statusCode: 0,
    code: "host_unreachable",
    cause,
  });
}

async function answerError(
  url: string,
  response: Dispatcher.ResponseData,
): Promise<HostRequestError> {
  let error: { code?: unknown; message?: unknown; field?: unknown } = {};
  try {
    error = ((await response.body.json()) as { error?: typeof error }).error ?? {};
  } catch {
    // Not our JSON: the status says enough.
  }
  return new HostRequestError({
    message:
      typeof error.message === "string"
        ? error.message
        : `the host answered ${response.statusCode}`,
    url,
    statusCode: response.statusCode,
    code: typeof error.code === "string" ? error.code : "http_error",
    ...(typeof error.field === "string" ? { field: error.field } : {}),
  });
}

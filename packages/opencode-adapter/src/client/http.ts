import { Pool } from "undici";
import {
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
} from "./errors.js";

export interface HttpClientOptions {
  readonly baseUrl: URL;
  readonly username: string;
  readonly password: string | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Headers and body timeout; the client's `requestTimeoutMs` when unset. */
  readonly timeoutMs?: number;
  /** Turns a 404 into `OpenCodeSessionNotFoundError` for this session id. */
  readonly sessionId?: string;
}

type Method = "GET" | "POST";

/** What an undici response body offers that we use. */
export interface ResponseBody {
  readonly body: ReadableStream<Uint8Array>;
  dump(): Promise<void>;
}

const MAX_ERROR_BODY = 4096;

/**
 * HTTP to one `opencode serve`: one keep-alive undici Pool, Basic auth on every request
 * (event stream included), JSON in and out, failures as `OpenCodeHttpError`.
 */
export class HttpClient {
  readonly origin: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly requestTimeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.origin = options.baseUrl.origin;
    this.prefix = options.baseUrl.pathname === "/" ? "" : options.baseUrl.pathname;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.pool = new Pool(this.origin, { connect: { timeout: options.connectTimeoutMs } });
    const headers: Record<string, string> = {};
    if (options.password !== undefined) {
      const token = Buffer.from(`${options.username}:${options.password}`).toString("base64");
      headers.authorization = `Basic ${token}`;
    }
    this.headers = headers;
  }

  /** `path` under the base URL, with the query's defined values. */
  path(path: string, query?: Readonly<Record<string, string | undefined>>): string {
    let search = "";
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined) params.set(key, value);
      }
      const text = params.toString();
      if (text) search = `?${text}`;
    }
    return `${this.prefix}${path}${search}`;
  }

  /** Sends a request and parses the JSON answer (undefined for an empty one, e.g. 204). */
  async json<T>(
    method: Method,
    path: string,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    const fullPath = this.path(path, options.query);
    const timeout = options.timeoutMs ?? this.requestTimeoutMs;
    const headers: Record<string, string> = { ...this.headers, accept: "application/json" };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    let response: Awaited<ReturnType<Pool["request"]>>;
    try {
      response = await this.pool.request({
        method,
        path: fullPath,
        headers,
        body,
        signal: options.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (error) {
      throw this.failure(method, fullPath, undefined, {}, error, options);
    }
    const { statusCode } = response;
    if (statusCode >= 400) {
      const text = await readLimited(response.body).catch(() => "");
      throw this.failure(method, fullPath, statusCode, errorBody(text), undefined, options);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.failure(method, fullPath, statusCode, {}, error, options);
    }
    if (text === "") return undefined;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw this.failure(
        method,
        fullPath,
        statusCode,
        { detail: "the answer is not JSON" },
        error,
        options,
      );
    }
  }

  /**
   * Opens a long-lived GET (the SSE stream). Resolves once the headers are in; a non-2xx
   * answer throws. No body timeout: the caller watches for silence itself.
   */
  async stream(path: string, signal: AbortSignal, headersTimeoutMs: number): Promise<ResponseBody> {
    const fullPath = this.path(path);
    let response: Awaited<ReturnType<Pool["request"]>>;
    try {
      response = await this.pool.request({
        method: "GET",
        path: fullPath,
        headers: { ...this.headers, accept: "text/event-stream" },
        signal,
        headersTimeout: headersTimeoutMs,
        bodyTimeout: 0,
      });
    } catch (error) {
      throw this.failure("GET", fullPath, undefined, {}, error, { signal });
    }
    if (response.statusCode >= 300) {
      const text = await readLimited(response.body).catch(() => "");
      throw this.failure("GET", fullPath, response.statusCode, errorBody(text), undefined, {});
    }
    const raw = response.body;
    return { body: raw.body as unknown as ReadableStream<Uint8Array>, dump: () => raw.dump() };
  }

  /** Closes the pool; running requests are destroyed. Idempotent. */
  async close(): Promise<void> {
    if (this.pool.closed || this.pool.destroyed) return;
    await this.pool.destroy().catch(() => undefined);
  }

  private failure(
    method: Method,
    path: string,
    statusCode: number | undefined,
    body: ErrorBody,
    cause: unknown,
    options: RequestOptions,
  ): unknown {
    // An abort by our own signal stays an abort: callers check the signal, not the error.
    if (options.signal?.aborted) return options.signal.reason;
    const url = `${this.origin}${path}`;
    if (statusCode === 401) return new OpenCodeUnauthorizedError({ method, url, statusCode });
    if (statusCode === 404 && options.sessionId !== undefined) {
      return new OpenCodeSessionNotFoundError({
        method,
        url,
        statusCode,
        sessionId: options.sessionId,
      });
    }
    return new OpenCodeHttpError({
      method,
      url,
      statusCode,
      ...body,
      cause,
    });
  }
}

async function readLimited(body: { text(): Promise<string> }): Promise<string> {
  const text = await body.text();
  return text.length > MAX_ERROR_BODY ? text.slice(0, MAX_ERROR_BODY) : text;
}

/** What an error body says: opencode's `{name, data: {message, ref?}}` or `{message}`; else a short raw text. */
export interface ErrorBody {
  readonly detail?: string;
  readonly opencodeError?: string;
  readonly ref?: string;
}

// opencode's names and refs are identifiers; anything else is not passed on.
const IDENTIFIER = /^[A-Za-z_$][\w$.-]{0,99}$/;

function identifier(value: unknown): string | undefined {
  return typeof value === "string" && IDENTIFIER.test(value) ? value : undefined;
}

/** Reads an error body (pure). */
export function errorBody(text: string): ErrorBody {
  if (text === "") return {};
  try {
    const parsed = JSON.parse(text) as {
      name?: unknown;
      data?: { message?: unknown; ref?: unknown };
      message?: unknown;
    };
    const message = parsed?.data?.message ?? parsed?.message;
    const name = identifier(parsed?.name);
    const ref = identifier(parsed?.data?.ref);
    const found = {
      ...(name === undefined ? {} : { opencodeError: name }),
      ...(ref === undefined ? {} : { ref }),
    };
    if (typeof message === "string" && message !== "") return { detail: message, ...found };
    if (name !== undefined) return found;
  } catch {
    // not JSON
  }
  return { detail: text.slice(0, 300) };
}

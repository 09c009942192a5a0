import { type Fail, fieldFailer } from "@taos/internal";
import { TaosOpenCodeError } from "@taos/opencode-config";

const configMarker = "taos.opencode.error.OpenCodeAdapterConfigError";

/** Bad adapter config or prompt input, thrown before anything is sent. `field` names the culprit. */
export class OpenCodeAdapterConfigError extends TaosOpenCodeError {
  /** The option at fault, e.g. `baseUrl` or `attachments[1].mimeType`. */
  readonly field: string;

  constructor({ field, message }: { readonly field: string; readonly message: string }) {
    super({ message: `Invalid opencode adapter option "${field}": ${message}` });
    this.field = field;
    TaosOpenCodeError.brand(this, configMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeAdapterConfigError {
    return TaosOpenCodeError.hasMarker(value, configMarker);
  }
}

const versionMarker = "taos.opencode.error.UnsupportedServerVersionError";

/** The server reports an opencode version outside the supported range; nothing was sent to it. */
export class UnsupportedServerVersionError extends TaosOpenCodeError {
  /** What `/global/health` reported, e.g. `2.0.0`. */
  readonly version: string;
  /** The versions supported, e.g. `>=1.3.0 <2`. */
  readonly range: string;
  /** The server's URL (no credentials). */
  readonly baseUrl: string;

  constructor({ version, range, baseUrl }: { version: string; range: string; baseUrl: string }) {
    super({
      message:
        `opencode ${version} at ${baseUrl} is not supported (supported: ${range}); ` +
        "run a supported one (npm i opencode-ai@1), or set allowUnsupportedVersion to try anyway",
    });
    this.version = version;
    this.range = range;
    this.baseUrl = baseUrl;
    TaosOpenCodeError.brand(this, versionMarker);
  }

  static override isInstance(value: unknown): value is UnsupportedServerVersionError {
    return TaosOpenCodeError.hasMarker(value, versionMarker);
  }
}

const httpMarker = "taos.opencode.error.OpenCodeHttpError";

export interface OpenCodeHttpErrorOptions {
  readonly method: string;
  /** The request URL (never with credentials: they travel in a header). */
  readonly url: string;
  /** Undefined when no response came (connection refused, reset, timeout). */
  readonly statusCode?: number;
  /** opencode's own message from the error body, when there was one. */
  readonly detail?: string;
  /** opencode's error name from the body (`UnknownError`, ...), when there was one. */
  readonly opencodeError?: string;
  /** opencode's reference of a server error (`err_...`, also in its log), when there was one. */
  readonly ref?: string;
  readonly cause?: unknown;
}

/** A request to `opencode serve` failed: an HTTP error status or no response at all. */
export class OpenCodeHttpError extends TaosOpenCodeError {
  readonly method: string;
  readonly url: string;
  readonly statusCode: number | undefined;
  /** True for failures worth a retry: no response, 408, 429 and 5xx. */
  readonly isRetryable: boolean;
  /** opencode's error name from the body (`UnknownError`, ...), when there was one. */
  readonly opencodeError: string | undefined;
  /** opencode's reference of a server error (`err_...`, also in its log), when there was one. */
  readonly ref: string | undefined;

  constructor(options: OpenCodeHttpErrorOptions) {
    const { method, url, statusCode, detail, cause } = options;
    const what = statusCode === undefined ? "no response" : `HTTP ${statusCode}`;
    const reason = detail ?? (cause instanceof Error ? cause.message : undefined);
    const ref = options.ref === undefined ? "" : ` (ref ${options.ref})`;
    super({
      message: `${method} ${url} failed: ${what}${reason ? `: ${reason}` : ""}${ref}`,
      cause,
    });
    this.method = method;
    this.url = url;
    this.statusCode = statusCode;
    this.opencodeError = options.opencodeError;
    this.ref = options.ref;
    this.isRetryable =
      statusCode === undefined || statusCode === 408 || statusCode === 429 || statusCode >= 500;
    TaosOpenCodeError.brand(this, httpMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeHttpError {
    return TaosOpenCodeError.hasMarker(value, httpMarker);
  }
}

const unauthorizedMarker = "taos.opencode.error.OpenCodeUnauthorizedError";

/** 401 from the server: the Basic auth user name or password is wrong (or missing). */
export class OpenCodeUnauthorizedError extends OpenCodeHttpError {
  constructor(options: OpenCodeHttpErrorOptions) {
    super({ ...options, detail: "wrong or missing server credentials (Basic auth)" });
    TaosOpenCodeError.brand(this, unauthorizedMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeUnauthorizedError {
    return TaosOpenCodeError.hasMarker(value, unauthorizedMarker);
  }
}

const notFoundMarker = "taos.opencode.error.OpenCodeSessionNotFoundError";

/** The session id given (e.g. `config.sessionId`) does not exist on this server. */
export class OpenCodeSessionNotFoundError extends OpenCodeHttpError {
  readonly sessionId: string;

  constructor(options: OpenCodeHttpErrorOptions & { readonly sessionId: string }) {
    super({ ...options, detail: `session ${options.sessionId} not found` });
    this.sessionId = options.sessionId;
    TaosOpenCodeError.brand(this, notFoundMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeSessionNotFoundError {
    return TaosOpenCodeError.hasMarker(value, notFoundMarker);
  }
}

const streamMarker = "taos.opencode.error.OpenCodeEventStreamError";

/**
 * Why the event stream failed: it could not be opened or did not say `server.connected`
 * in time (`connect`), it stayed silent, heartbeats included, past the silence timeout
 * (`silence`), or it dropped and the one resubscribe failed (`lost`).
 */
export type EventStreamFailure = "connect" | "silence" | "lost";

/** The shared event stream of a server failed; every turn waiting on it ends with this. */
export class OpenCodeEventStreamError extends TaosOpenCodeError {
  readonly reason: EventStreamFailure;

  constructor({
    reason,
    message,
    cause,
  }: {
    readonly reason: EventStreamFailure;
    readonly message: string;
    readonly cause?: unknown;
  }) {
    super({ message, cause });
    this.reason = reason;
    TaosOpenCodeError.brand(this, streamMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeEventStreamError {
    return TaosOpenCodeError.hasMarker(value, streamMarker);
  }
}

const closedMarker = "taos.opencode.error.OpenCodeAdapterClosedError";

/** The adapter was closed; it takes no more prompts. */
export class OpenCodeAdapterClosedError extends TaosOpenCodeError {
  constructor() {
    super({ message: "the opencode adapter is closed" });
    TaosOpenCodeError.brand(this, closedMarker);
  }

  static override isInstance(value: unknown): value is OpenCodeAdapterClosedError {
    return TaosOpenCodeError.hasMarker(value, closedMarker);
  }
}

/** Throws the adapter's config error naming the bad field (`fail("modelId", "must be ...")`). */
export const fail: Fail = fieldFailer(
  (field, message) => new OpenCodeAdapterConfigError({ field, message }),
);

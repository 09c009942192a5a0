import { type Fail, fieldFailer } from "@taos/internal";
import {
  InvalidOptionError,
  type InvalidOptionErrorOptions,
  TaosOpenCodeError,
  UnsupportedOpenCodeVersionError,
} from "@taos/opencode-config";

/** Bad adapter config or prompt input, thrown before anything is sent. `field` names the culprit. */
export class OpenCodeAdapterConfigError extends InvalidOptionError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeAdapterConfigError";

  /** `field` is the option at fault, e.g. `baseUrl` or `attachments[1].mimeType`. */
  constructor(options: InvalidOptionErrorOptions) {
    super(options, "adapter");
  }
}

/**
 * The server reports an opencode version outside the supported range; nothing was sent to
 * it. `binary` (and `baseUrl`) hold the server's URL.
 * @deprecated Catch `UnsupportedOpenCodeVersionError`, which this is one of (`binary` is the URL).
 */
export class UnsupportedServerVersionError extends UnsupportedOpenCodeVersionError {
  static override readonly marker: string = "taos.opencode.error.UnsupportedServerVersionError";
  /** The server's URL (no credentials). @deprecated use `binary` */
  readonly baseUrl: string;

  constructor({ version, range, baseUrl }: { version: string; range: string; baseUrl: string }) {
    super({
      version,
      range,
      binary: baseUrl,
      advice:
        "Run a supported one (npm i opencode-ai@1), or set allowUnsupportedVersion to try anyway.",
    });
    this.baseUrl = baseUrl;
  }
}

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
  static override readonly marker: string = "taos.opencode.error.OpenCodeHttpError";
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
  }
}

/** 401 from the server: the Basic auth user name or password is wrong (or missing). */
export class OpenCodeUnauthorizedError extends OpenCodeHttpError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeUnauthorizedError";
  constructor(options: OpenCodeHttpErrorOptions) {
    super({ ...options, detail: "wrong or missing server credentials (Basic auth)" });
  }
}

/** The session id given (e.g. `config.sessionId`) does not exist on this server. */
export class OpenCodeSessionNotFoundError extends OpenCodeHttpError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeSessionNotFoundError";
  readonly sessionId: string;

  constructor(options: OpenCodeHttpErrorOptions & { readonly sessionId: string }) {
    super({ ...options, detail: `session ${options.sessionId} not found` });
    this.sessionId = options.sessionId;
  }
}

/**
 * Why the event stream failed: it could not be opened or did not say `server.connected`
 * in time (`connect`), it stayed silent, heartbeats included, past the silence timeout
 * (`silence`), or it dropped and the one resubscribe failed (`lost`).
 */
export type EventStreamFailure = "connect" | "silence" | "lost";

/** The shared event stream of a server failed; every turn waiting on it ends with this. */
export class OpenCodeEventStreamError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeEventStreamError";
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
  }
}

/** The adapter was closed; it takes no more prompts. */
export class OpenCodeAdapterClosedError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeAdapterClosedError";
  constructor() {
    super({ message: "the opencode adapter is closed" });
  }
}

/** Throws the adapter's config error naming the bad field (`fail("modelId", "must be ...")`). */
export const fail: Fail = fieldFailer(
  (field, message) => new OpenCodeAdapterConfigError({ field, message }),
);

import { TaosOpenCodeError } from "@taos/opencode-config";

/** A request the host refuses before running anything (HTTP 400); `field` is the pool's name for it. */
export class HostInputError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.HostInputError";
  readonly field: string;

  constructor(field: string, message: string) {
    super({ message: `Invalid "${field}": ${message}` });
    this.field = field;
  }
}

/** A host answered a `RemotePool` call with an error, or could not be reached (`statusCode` 0). */
export class HostRequestError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.HostRequestError";
  readonly url: string;
  /** The HTTP status, 0 when no answer came. */
  readonly statusCode: number;
  /** The host's error code (`unknown_agent`, `invalid_input`, `host_unreachable`, ...). */
  readonly code: string;
  /** The pool's name for the bad field, on a 400. */
  readonly field: string | undefined;
  readonly isRetryable: boolean;

  constructor(options: {
    readonly message: string;
    readonly url: string;
    readonly statusCode: number;
    readonly code: string;
    readonly field?: string;
    readonly cause?: unknown;
  }) {
    super({ message: options.message, cause: options.cause });
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.code = options.code;
    this.field = options.field;
    this.isRetryable =
      options.statusCode === 0 || options.statusCode >= 500 || options.code === "agent_busy";
  }
}

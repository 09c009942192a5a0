import { TaosOpenCodeError } from "@taos/opencode-config";

const prefix = "taos.opencode.error.";

const hostInput = `${prefix}HostInputError`;
/** A request the host refuses before running anything (HTTP 400); `field` is the pool's name for it. */
export class HostInputError extends TaosOpenCodeError {
  readonly field: string;

  constructor(field: string, message: string) {
    super({ message: `Invalid "${field}": ${message}` });
    this.field = field;
    TaosOpenCodeError.brand(this, hostInput);
  }

  static override isInstance(value: unknown): value is HostInputError {
    return TaosOpenCodeError.hasMarker(value, hostInput);
  }
}

const hostRequest = `${prefix}HostRequestError`;
/** A host answered a `RemotePool` call with an error, or could not be reached (`statusCode` 0). */
export class HostRequestError extends TaosOpenCodeError {
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
    TaosOpenCodeError.brand(this, hostRequest);
  }

  static override isInstance(value: unknown): value is HostRequestError {
    return TaosOpenCodeError.hasMarker(value, hostRequest);
  }
}

import type { OpenCodeLogger } from "@taos/internal";
import { HostInputError } from "./errors.js";
import { SIGNATURE_WINDOW_MS } from "./signing.js";

export interface HostHandlerOptions {
  /** The secret shared with the controller (at least 32 characters). Never logged or sent. */
  readonly secret: string;
  /** The largest JSON body (register, update, turn). @default 1048576 (1 MiB) */
  readonly maxJsonBytes?: number;
  /** The largest import body (settings line + archive), held in memory to check its signature. @default 536870912 (512 MiB) */
  readonly maxArchiveBytes?: number;
  /** A heartbeat line goes out when a turn's stream was quiet this long. @default 10000 */
  readonly heartbeatMs?: number;
  /** How far a request's timestamp may be from this host's clock. @default 60000 */
  readonly windowMs?: number;
  readonly logger?: OpenCodeLogger;
}

export interface ResolvedHostOptions {
  readonly secret: string;
  readonly maxJsonBytes: number;
  readonly maxArchiveBytes: number;
  readonly heartbeatMs: number;
  readonly windowMs: number;
  readonly logger: OpenCodeLogger | undefined;
}

function positive(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new HostInputError(field, `must be an integer >= 1, got ${String(value)}`);
  return value;
}

/** Checks the handler's options up front, naming the bad one. */
export function resolveHostOptions(options: HostHandlerOptions): ResolvedHostOptions {
  if (typeof options?.secret !== "string" || options.secret.length < 32)
    throw new HostInputError("secret", "must be a string of at least 32 characters");
  return {
    secret: options.secret,
    maxJsonBytes: positive(options.maxJsonBytes, "maxJsonBytes", 1024 * 1024),
    maxArchiveBytes: positive(options.maxArchiveBytes, "maxArchiveBytes", 512 * 1024 * 1024),
    heartbeatMs: positive(options.heartbeatMs, "heartbeatMs", 10_000),
    windowMs: positive(options.windowMs, "windowMs", SIGNATURE_WINDOW_MS),
    logger: options.logger,
  };
}

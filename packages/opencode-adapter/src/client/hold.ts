import type { OpenCodeLogger } from "@taos/internal";
import { resolveConnectionConfig } from "./config.js";
import { acquireConnection } from "./connection.js";

/** Where a server is and how to reach it: the connection fields of an adapter's config. */
export interface HoldConnectionOptions {
  /** `http://host:port` of the `opencode serve` process. */
  readonly baseUrl: string;
  /** @default "opencode" */
  readonly username?: string;
  /** The server password; never logged. */
  readonly password?: string;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
  readonly logger?: OpenCodeLogger;
}

/** A share of a server's connection, held until `release()`. */
export interface ConnectionHold {
  /** Gives the share back; the connection closes when no adapter uses it either. Idempotent. */
  release(): Promise<void>;
}

/**
 * Keeps open the connection that every adapter on one server shares (its HTTP
 * keep-alive pool and its `/global/event` stream) until `release()`. The last
 * adapter out closes it, so a caller that makes one adapter per turn (`driveTurn`,
 * a pool) otherwise opens the stream and waits for its first frame on every turn:
 * about a third of this process's CPU for a short turn. Hold it while the server
 * runs, and release it before the server stops (a held stream that drops is
 * resubscribed once, and the drop is logged). While held, its timeouts and logger
 * are the connection's. Checks its options like the adapter's config.
 */
export function holdConnection(options: HoldConnectionOptions): ConnectionHold {
  const connection = acquireConnection({
    ...resolveConnectionConfig(options),
    silenceTimeoutMs: undefined,
  });
  return { release: () => connection.release() };
}

import type { OpenCodeLogger as InternalLogger } from "@taos/internal";

/**
 * The logger every taos-opencode package accepts: pino's calling convention,
 * `logger.warn({ sessionId }, "message")`, so a pino logger fits as it is.
 */
export type OpenCodeLogger = InternalLogger;

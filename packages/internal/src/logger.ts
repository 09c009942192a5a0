/**
 * The logger every taos-opencode package accepts: pino's calling convention,
 * `logger.warn({ sessionId }, "message")`, so a pino logger fits as it is.
 */
export interface OpenCodeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** The default everywhere: logs nothing. */
export const silentLogger: OpenCodeLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** What a `logger` option lacks to be an `OpenCodeLogger`, or undefined when it is one. */
export function loggerProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return "must be a pino-compatible logger";
  for (const level of ["debug", "info", "warn", "error"] as const) {
    if (typeof (value as Record<string, unknown>)[level] !== "function") {
      return `must have a ${level}(obj, msg) method`;
    }
  }
  return undefined;
}

/** A logger's problem as a thrown field error, or the logger (silent when unset). */
export function resolveLogger(
  value: unknown,
  fail: (field: string, message: string) => never,
  field = "logger",
): OpenCodeLogger {
  if (value === undefined) return silentLogger;
  const problem = loggerProblem(value);
  if (problem !== undefined) fail(field, problem);
  return value as OpenCodeLogger;
}

/** A pino-compatible logger: `logger.warn({ sessionId }, "message")`. */
export interface OpenCodeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** The default: logs nothing. */
export const silentLogger: OpenCodeLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** A log field for an error: its name and message, never a stack or a request body. */
export function errorField(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

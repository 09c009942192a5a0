/** One call to the logger, as it would be serialised by pino. */
export interface LogRecord {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly line: string;
}

/**
 * A pino-compatible logger that keeps every record as the JSON line pino would write,
 * so a test can search what the stack logged (and make sure a secret is not in it).
 */
export class CapturingLogger {
  readonly records: LogRecord[] = [];

  debug(object: object, message?: string): void {
    this.#add("debug", object, message);
  }

  info(object: object, message?: string): void {
    this.#add("info", object, message);
  }

  warn(object: object, message?: string): void {
    this.#add("warn", object, message);
  }

  error(object: object, message?: string): void {
    this.#add("error", object, message);
  }

  /** Every record as one text, for searching. */
  text(): string {
    return this.records.map((record) => record.line).join("\n");
  }

  #add(level: LogRecord["level"], object: object, message: string | undefined): void {
    let line: string;
    try {
      const fields = object instanceof Error ? { err: object } : object;
      line = JSON.stringify({ level, ...fields, msg: message }, (_key, value: unknown) =>
        value instanceof Error
          ? { name: value.name, message: value.message, stack: value.stack }
          : value,
      );
    } catch {
      line = `${level} ${String(message)} ${String(object)}`;
    }
    this.records.push({ level, line });
  }
}

import { randomUUID } from "node:crypto";
import { Redactor } from "@taos/internal";
import type { OpenCodeLogger, Reply } from "@taos/opencode-adapter";

/** Writes to our own stdout/stderr with the secrets masked; a closed pipe is not an error. */
export class Output {
  #stdoutMidLine = false;
  readonly #secrets: string[] = [];
  #redactor = new Redactor([]);

  constructor() {
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  }

  addSecret(secret: string | undefined): void {
    if (!secret) return;
    this.#secrets.push(secret);
    this.#redactor = new Redactor(this.#secrets);
  }

  mask(text: string): string {
    return this.#redactor.redact(text);
  }

  out(text: string): void {
    if (text === "") return;
    process.stdout.write(this.mask(text));
    this.#stdoutMidLine = !text.endsWith("\n");
  }

  /** A whole line on stderr, after ending any half-written stdout line. */
  err(line: string): void {
    this.endLine();
    process.stderr.write(`${this.mask(line)}\n`);
  }

  endLine(): void {
    if (this.#stdoutMidLine) this.out("\n");
  }

  async flush(): Promise<void> {
    await Promise.all(
      [process.stdout, process.stderr].map(
        (stream) => new Promise<void>((resolve) => stream.write("", () => resolve())),
      ),
    );
  }
}

/** A spinner on stderr while something slow runs, only when stderr is a terminal. */
export async function withSpinner<T>(
  enabled: boolean,
  label: string,
  work: Promise<T>,
): Promise<T> {
  if (!enabled) return work;
  const frames = ["|", "/", "-", "\\"];
  let frame = 0;
  const draw = (): void => {
    process.stderr.write(`\r${frames[frame++ % frames.length]} ${label}`);
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  }
}

/** Log lines on stderr (`--verbose`). */
export function verboseLogger(output: Output): OpenCodeLogger {
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      let fields = "";
      try {
        fields = Object.keys(obj).length > 0 ? ` ${JSON.stringify(obj)}` : "";
      } catch {
        fields = "";
      }
      output.err(`[${level}] ${msg ?? ""}${fields}`);
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `bash: list files`, `read: /etc/hosts`: the most telling argument of a tool call. */
export function toolSummary(tool: string, args: Readonly<Record<string, unknown>>): string {
  for (const key of ["description", "command", "filePath", "path", "pattern", "url", "query"]) {
    const value = args[key];
    if (typeof value === "string" && value.trim() !== "") return `${tool}: ${oneLine(value)}`;
  }
  let json = "";
  try {
    json = JSON.stringify(args);
  } catch {
    json = "";
  }
  return json && json !== "{}" ? `${tool} ${oneLine(json)}` : tool;
}

/** `3 lines: first line…`: what a tool call gave back, in one line. */
export function resultSummary(result: string): string {
  const lines = result.split("\n").filter((line) => line.trim() !== "");
  if (lines.length === 0) return "(no output)";
  const first = oneLine(lines[0] ?? "", 80);
  return lines.length === 1 ? first : `${lines.length} lines: ${first}`;
}

/** How a run shows its replies in text mode. */
export interface TextView {
  /** With a schema, stdout gets the structured object, not the text. */
  readonly structured: boolean;
}

/** Text mode: the answer on stdout, tool calls, their results and errors on stderr. */
export function renderText(output: Output, view: TextView): (reply: Reply) => void {
  return (reply) => {
    switch (reply.kind) {
      case "delta":
        if (!view.structured) output.out(reply.content);
        break;
      case "reasoning":
        output.err(`[reasoning] ${oneLine(reply.content)}`);
        break;
      case "tool_call":
        output.err(`[tool] ${toolSummary(reply.tool, reply.args)}`);
        break;
      case "tool_result":
        output.err(
          reply.success
            ? `[tool] ${reply.tool} → ${resultSummary(reply.result)}`
            : `[tool] ${reply.tool} failed: ${oneLine(reply.result)}`,
        );
        break;
      case "final":
        output.endLine();
        break;
      case "error":
        output.err(`error: ${reply.error}`);
        break;
    }
  };
}

/** Where a run's replies and failures go: NDJSON on stdout with --json, else text and stderr. */
export class Reporter {
  readonly traceId: string = randomUUID();

  constructor(
    readonly output: Output,
    private readonly asJson: boolean,
  ) {}

  readonly json = (reply: Reply): void => {
    this.output.out(`${JSON.stringify(reply)}\n`);
  };

  /** A failure outside the turn (no reply from the adapter tells of it). */
  failure(text: string): void {
    if (this.asJson)
      this.json({ kind: "error", trace_id: this.traceId, error: this.output.mask(text) });
    else this.output.err(`error: ${text}`);
  }
}

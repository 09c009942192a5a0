import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Stream writes are batched up to this many characters. */
const BATCH_CHARS = 64 * 1024;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function bearerKey(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1];
}

export async function readBody(req: IncomingMessage, signal: AbortSignal): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    signal.throwIfAborted();
    size += (part as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Batches SSE chunks into large writes and waits for `drain` when the socket
 * buffer is full, so a 100 000-chunk stream costs a few hundred writes.
 */
export class StreamWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
  ) {}

  start(): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    this.res.flushHeaders();
  }

  /** Queues a chunk; false when the batch is full and should be flushed. */
  push(chunk: string): boolean {
    this.parts.push(chunk);
    this.size += chunk.length;
    return this.size < BATCH_CHARS;
  }

  /** Writes the batch; waits for drain on backpressure, or until the data left when `settle`. */
  async flush(settle: boolean): Promise<void> {
    this.signal.throwIfAborted();
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? (this.parts[0] ?? "") : this.parts.join("");
    this.parts = [];
    this.size = 0;
    if (settle) {
      await new Promise<void>((resolve, reject) => {
        this.res.write(data, (error) => (error ? reject(error) : resolve()));
      });
      return;
    }
    if (!this.res.write(data)) await once(this.res, "drain", { signal: this.signal });
  }

  async end(): Promise<void> {
    await this.flush(false);
    this.res.end();
  }
}

import type { IncomingMessage } from "node:http";
import { TaosOpenCodeError } from "@taos/opencode-config";

/** A body over the endpoint's cap (HTTP 413). */
export class BodyTooLargeError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.BodyTooLargeError";
  readonly limit: number;

  constructor(limit: number) {
    super({ message: `the request body is over ${limit} bytes` });
    this.limit = limit;
  }
}

/** Reads the whole body, refusing (and stopping to read) once it passes `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

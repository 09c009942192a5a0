/** Reads the `data:` payloads of an SSE response one at a time (test helper). */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private readonly queue: string[] = [];
  private ended = false;

  constructor(response: Response) {
    if (!response.body) throw new Error("response has no body");
    this.reader = response.body.getReader();
  }

  /** The next payload, or undefined at the end of the stream. Rejects when the connection breaks. */
  async next(): Promise<string | undefined> {
    while (this.queue.length === 0 && !this.ended) {
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        break;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
      let cut = this.buffer.indexOf("\n\n");
      let start = 0;
      while (cut !== -1) {
        const event = this.buffer.slice(start, cut);
        for (const line of event.split("\n")) {
          if (line.startsWith("data: ")) this.queue.push(line.slice(6));
        }
        start = cut + 2;
        cut = this.buffer.indexOf("\n\n", start);
      }
      this.buffer = this.buffer.slice(start);
    }
    return this.queue.shift();
  }

  /** Every remaining payload up to the end of the stream. */
  async rest(): Promise<string[]> {
    const out: string[] = [];
    for (let p = await this.next(); p !== undefined; p = await this.next()) out.push(p);
    return out;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

export interface ChunkJson {
  object: string;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      reasoning_content?: string;
      tool_calls?: Array<{
        index: number;
        id?: string;
        type?: string;
        function: { name?: string; arguments?: string };
      }>;
    };
    finish_reason: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * POSTs a chat completion with one user message to the stand-in at `url`, with the key as
 * Bearer token: model `fake-model`, streamed, unless `extra` (more body fields) says otherwise.
 */
export function postCompletion(
  url: string,
  key: string,
  text: string,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model: "fake-model",
      stream: true,
      messages: [{ role: "user", content: text }],
      ...extra,
    }),
  });
}

/** The chunks of a streamed completion, `[DONE]` left out. */
export async function chunksOf(response: Response): Promise<ChunkJson[]> {
  const payloads = await new SseReader(response).rest();
  return payloads.filter((p) => p !== "[DONE]").map((p) => JSON.parse(p) as ChunkJson);
}

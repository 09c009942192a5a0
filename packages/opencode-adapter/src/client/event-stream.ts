import { EventSourceParserStream } from "eventsource-parser/stream";
import type { HttpClient } from "./http.js";

/**
 * `/global/event` rather than `/event`: `/event` carries only the events of one
 * directory (the server's, unless `?directory=` says otherwise), so one subscription
 * there could not serve sessions living in different directories. `/global/event`
 * carries every directory, each event wrapped as `{directory, project, payload}`.
 */
export const GLOBAL_EVENT_PATH = "/global/event";

/**
 * Requests `/global/event` and returns its messages' `data`, in the order opencode
 * wrote them, for the hub to iterate: the iteration ends when opencode ends the
 * stream and throws when it breaks or `signal` aborts it.
 */
export async function openEventStream(
  http: HttpClient,
  signal: AbortSignal,
  headersTimeoutMs: number,
): Promise<AsyncIterable<string>> {
  const response = await http.stream(GLOBAL_EVENT_PATH, signal, headersTimeoutMs);
  return readData(response.body);
}

async function* readData(body: ReadableStream<Uint8Array>): AsyncGenerator<string, void> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value.data;
    }
  } finally {
    reader.releaseLock();
  }
}

import { EventSourceParserStream } from "eventsource-parser/stream";

/**
 * Reads an SSE body to its end and hands each message's `data` to `onData`.
 * Resolves when the server ends the stream; rejects when it breaks.
 */
export async function pumpServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onData: (data: string) => void,
): Promise<void> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onData(value.data);
    }
  } finally {
    reader.releaseLock();
  }
}

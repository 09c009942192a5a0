import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Frame, readFrames, readGlobalFrame } from "../src/frame.js";
import { loadFixture } from "./codec-support.js";

/** A fixture's events as `/global/event` writes them: wrapped, one SSE message each. */
const wrapped = loadFixture("long-text").lines.map(
  (line) => `{"directory":"/work/dir","project":"prj_1","payload":${line}}`,
);
const sse = (lines: readonly string[]): Uint8Array =>
  new TextEncoder().encode(lines.map((line) => `data: ${line}\n\n`).join(""));

/** A body handing out one chunk per read; then it ends, or breaks with `breakWith`. */
function bodyOf(chunks: readonly Uint8Array[], breakWith?: Error): ReadableStream<Uint8Array> {
  const queue = [...chunks];
  return new ReadableStream({
    pull(controller) {
      const chunk = queue.shift();
      if (chunk !== undefined) controller.enqueue(chunk);
      else if (breakWith === undefined) controller.close();
      else controller.error(breakWith);
    },
  });
}

/** The bytes cut at the given offsets (any byte: inside a line, a key, a UTF-8 character). */
function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((at) => at % bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    if (at > from) chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}

const factsOf = (frame: Frame) => ({
  type: frame.type,
  sessionId: frame.sessionId,
  messageId: frame.messageId,
  partId: frame.partId,
  event: frame.parse(),
});

async function readAll(body: ReadableStream<Uint8Array>, skipped: number[] = []) {
  const frames = [];
  for await (const frame of readFrames(body, (bytes) => skipped.push(bytes)))
    frames.push(factsOf(frame));
  return frames;
}

describe("readFrames", () => {
  it("yields one frame per event of a /global/event body, however its bytes are cut", async () => {
    const expected = wrapped.map((line) => factsOf(readGlobalFrame(line) as Frame));
    expect(expected.some((frame) => frame.type === "message.part.delta")).toBe(true);
    const bytes = sse(wrapped);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (offsets) => {
        expect(await readAll(bodyOf(cutAt(bytes, offsets)))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("skips a line that is not an event and reports its size", async () => {
    const garbage = "not json at all";
    const sync = '{"payload":{"type":"sync","syncEvent":{}}}';
    const event = wrapped[0] as string;
    const skipped: number[] = [];
    const frames = await readAll(bodyOf([sse([garbage, event, sync])]), skipped);
    expect(frames.map((frame) => frame.type)).toEqual([
      factsOf(readGlobalFrame(event) as Frame).type,
    ]);
    expect(skipped).toEqual([garbage.length, sync.length]);
  });

  it("throws the body's error from the iteration when the stream breaks", async () => {
    const broken = new Error("socket hang up");
    const seen: string[] = [];
    const reading = (async () => {
      for await (const frame of readFrames(bodyOf([sse(wrapped.slice(0, 2))], broken), () => {}))
        seen.push(frame.type);
    })();
    await expect(reading).rejects.toBe(broken);
    expect(seen).toHaveLength(2);
  });
});

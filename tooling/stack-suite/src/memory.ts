import type { OpenCodeRuntime } from "@taos/opencode-runtime";
import { collectGarbage } from "./resources.js";
import { type IsolatedStack, startIsolatedStack } from "./stack.js";

export interface StreamingFigures {
  readonly chunks: number;
  readonly textLength: number;
  readonly deltas: number;
  /** Wall time of the turn, in ms. */
  readonly ms: number;
  /** CPU time (user + system) of this process during the turn, in ms. */
  readonly cpuMs: number;
  readonly rssBefore: number;
  /** The highest RSS sampled during the turn. */
  readonly rssPeak: number;
  readonly rssGrowth: number;
  readonly status: string;
  /** Every delta matched the stand-in's text at its place, and the final is the whole text. */
  readonly intact: boolean;
}

/** `chunks` pieces of 4 characters: "w0 ", "w1 "... padded, so any loss or repeat shows. */
export function streamingText(chunks: number): string {
  const parts: string[] = new Array(chunks);
  for (let i = 0; i < chunks; i++)
    parts[i] = `${(i % 1000).toString(36).padStart(2, "0")}${i % 7 === 0 ? "\n" : " "}`.padEnd(
      4,
      ".",
    );
  return parts.join("");
}

function promptFor(chunks: number): string {
  return `stream ${chunks} chunks`;
}

/** A stack whose stand-in (in a child process) knows the streaming turns of these sizes. */
export function startStreamingStack(sizes: readonly number[]): Promise<IsolatedStack> {
  // Longest first: "stream 1000 chunks" is a prefix of "stream 100000 chunks".
  return startIsolatedStack(
    [...sizes]
      .sort((a, b) => b - a)
      .map((chunks) => ({
        match: promptFor(chunks),
        reply: { text: streamingText(chunks), chunks },
      })),
  );
}

/**
 * Runs one turn whose reply the stand-in streams in `chunks` pieces (a size given to
 * `startStreamingStack`), sampling this process's RSS every 10 ms. The sink keeps
 * nothing: it checks each delta in place against the expected text, so the figures are
 * the stack's, not the sink's.
 */
export async function measureStreamingTurn(
  runtime: OpenCodeRuntime,
  chunks: number,
): Promise<StreamingFigures> {
  const text = streamingText(chunks);
  const prompt = promptFor(chunks);
  let offset = 0;
  let deltas = 0;
  let intact = true;
  let finalOk = false;
  collectGarbage();
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
  }, 10);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runtime.turn(prompt, {
    traceId: `stream-${chunks}-${performance.now()}`,
    sink: (reply) => {
      if (reply.kind === "delta") {
        deltas++;
        if (!text.startsWith(reply.content, offset)) intact = false;
        offset += reply.content.length;
      } else if (reply.kind === "final") {
        finalOk = reply.content === text;
      }
    },
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  const rss = process.memoryUsage.rss();
  if (rss > rssPeak) rssPeak = rss;
  return {
    chunks,
    textLength: text.length,
    deltas,
    ms: Math.round(ms),
    cpuMs: Math.round((used.user + used.system) / 1000),
    rssBefore,
    rssPeak,
    rssGrowth: rssPeak - rssBefore,
    status: result.status,
    intact: intact && finalOk && offset === text.length,
  };
}

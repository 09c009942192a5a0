import type { OpenCodeRuntime, RuntimeTurnDefaults } from "@taos/opencode-runtime";
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
  /** The code and message of a turn that did not complete. */
  readonly error?: string;
  /** Every delta matched the stand-in's text at its place, and the final is the whole text. */
  readonly intact: boolean;
  /**
   * With `liveHeap`: the highest heap in use right after a full GC (run every 250 ms while
   * streaming) minus the same before the turn, i.e. what the stack holds, garbage aside.
   */
  readonly liveHeapGrowth: number | undefined;
}

export interface MeasureOptions {
  /** Also sample the live heap (a full GC every 250 ms: this slows the turn and changes RSS). */
  readonly liveHeap?: boolean;
}

/** `chunks` pieces of 4 characters ("00 .", "01 .", ... base 36, a newline every 7th), so any loss or repeat shows. */
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
export function startStreamingStack(
  sizes: readonly number[],
  turn?: RuntimeTurnDefaults,
): Promise<IsolatedStack> {
  // Longest first: "stream 1000 chunks" is a prefix of "stream 100000 chunks".
  return startIsolatedStack(
    [...sizes]
      .sort((a, b) => b - a)
      .map((chunks) => ({
        match: promptFor(chunks),
        reply: { text: streamingText(chunks), chunks },
      })),
    turn,
  );
}

/** Peaks of this process's RSS (every 10 ms) and, with `liveHeap`, of the heap after a full GC (every 250 ms). */
function startMemorySamplers(liveHeap: boolean): {
  readonly rssBefore: number;
  readonly heapBefore: number;
  stop(): { rssPeak: number; livePeak: number };
} {
  // RSS is compared with the idle process as it is, without a forced GC: a full GC makes V8
  // give back young-generation pages that any turn takes again, which is not the turn's cost.
  const rssBefore = process.memoryUsage.rss();
  if (liveHeap) collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let rssPeak = rssBefore;
  let livePeak = heapBefore;
  const sampleRss = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
  };
  const sampler = setInterval(sampleRss, 10);
  const liveSampler = liveHeap
    ? setInterval(() => {
        collectGarbage();
        const used = process.memoryUsage().heapUsed;
        if (used > livePeak) livePeak = used;
      }, 250)
    : undefined;
  return {
    rssBefore,
    heapBefore,
    stop: () => {
      clearInterval(sampler);
      clearInterval(liveSampler);
      sampleRss();
      return { rssPeak, livePeak };
    },
  };
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
  options: MeasureOptions = {},
): Promise<StreamingFigures> {
  const text = streamingText(chunks);
  let offset = 0;
  let deltas = 0;
  let intact = true;
  let finalOk = false;
  const samplers = startMemorySamplers(options.liveHeap === true);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runtime.turn(promptFor(chunks), {
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
  const { rssPeak, livePeak } = samplers.stop();
  const { rssBefore, heapBefore } = samplers;
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
    ...(result.status === "completed" ? {} : { error: `${result.code}: ${result.error}` }),
    intact: intact && finalOk && offset === text.length,
    liveHeapGrowth: options.liveHeap ? livePeak - heapBefore : undefined,
  };
}

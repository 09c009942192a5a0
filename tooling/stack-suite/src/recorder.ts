import type { Reply, Sink } from "@taos/opencode-adapter";

/**
 * One sink for many turns at once, the way taOS fans replies out by `trace_id`:
 * it keeps every reply in arrival order and can check one trace's replies.
 */
export class ReplyRecorder {
  readonly all: Reply[] = [];
  readonly #byTrace = new Map<string, Reply[]>();

  readonly sink: Sink = (reply) => {
    this.all.push(reply);
    let list = this.#byTrace.get(reply.trace_id);
    if (list === undefined) {
      list = [];
      this.#byTrace.set(reply.trace_id, list);
    }
    list.push(reply);
  };

  of(traceId: string): readonly Reply[] {
    return this.#byTrace.get(traceId) ?? [];
  }

  traces(): string[] {
    return [...this.#byTrace.keys()];
  }

  clear(): void {
    this.all.length = 0;
    this.#byTrace.clear();
  }
}

/** What a turn's replies add up to; `problems` lists every broken rule of the reply contract. */
export interface TraceSummary {
  readonly deltas: number;
  readonly text: string;
  readonly finals: number;
  readonly errors: number;
  readonly final: string | undefined;
  readonly error: string | undefined;
  readonly problems: readonly string[];
}

/**
 * Sums one trace's replies and checks the contract: every reply carries the trace id,
 * exactly one terminal reply (`final` or `error`) and it comes last.
 */
export function summarizeTrace(traceId: string, replies: readonly Reply[]): TraceSummary {
  const problems: string[] = [];
  const pieces: string[] = [];
  let finals = 0;
  let errors = 0;
  let final: string | undefined;
  let error: string | undefined;
  replies.forEach((reply, index) => {
    if (reply.trace_id !== traceId) problems.push(`reply ${index} carries trace ${reply.trace_id}`);
    if (finals + errors > 0)
      problems.push(`reply ${index} (${reply.kind}) after the terminal reply`);
    if (reply.kind === "delta") pieces.push(reply.content);
    else if (reply.kind === "final") {
      finals++;
      final = reply.content;
    } else if (reply.kind === "error") {
      errors++;
      error = reply.error;
    }
  });
  if (finals + errors !== 1) problems.push(`${finals} final and ${errors} error replies`);
  return { deltas: pieces.length, text: pieces.join(""), finals, errors, final, error, problems };
}

/** Where two texts part: lengths and the first differing character, for a readable failure. */
export function firstDifference(actual: string | undefined, expected: string): string {
  if (actual === undefined) return `no text (expected ${expected.length} chars)`;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  if (at === actual.length && at === expected.length) return "same text";
  const around = (text: string): string =>
    JSON.stringify(text.slice(Math.max(0, at - 15), at + 25));
  return `${actual.length} chars, expected ${expected.length}; from char ${at}: got ${around(actual)}, expected ${around(expected)}`;
}

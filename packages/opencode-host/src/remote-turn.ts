import type { Reply, ReplyErrorCode, Sink, TurnResult } from "@taos/opencode-adapter";
import type { PoolTurnOptions } from "@taos/opencode-pool";
import type { HostClient } from "./remote-call.js";
import { resultFromWire, turnToWire } from "./wire.js";

/** What the host streamed so far: whether a terminal reply came, and the result line. */
interface TurnProgress {
  terminal: Reply | undefined;
  result: TurnResult | undefined;
}

const isTerminal = (reply: Reply): boolean => reply.kind === "final" || reply.kind === "error";

/**
 * One turn on a host, with `driveTurn`'s contract: never rejects, exactly one
 * terminal reply. No answer, a broken stream or a host that dies gives one
 * error reply, code `host_unreachable`; the caller's abort, code `aborted`.
 */
export async function remoteTurn(
  client: HostClient,
  agentId: string,
  text: string,
  traceId: string,
  sink: Sink,
  options: PoolTurnOptions,
): Promise<TurnResult> {
  const progress: TurnProgress = { terminal: undefined, result: undefined };
  const { signal, ...rest } = options;
  try {
    const response = await client.send({
      method: "POST",
      pathWithQuery: `/agents/${encodeURIComponent(agentId)}/turns`,
      body: Buffer.from(turnToWire(text, traceId, rest)),
      contentType: "application/json",
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.statusCode !== 200) {
      const answer = (await response.body.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string };
      };
      return await fail(
        sink,
        traceId,
        options,
        answer.error?.code ?? "http_error",
        answer.error?.message ?? `the host answered ${response.statusCode}`,
      );
    }
    await readLines(response.body, progress, sink);
  } catch {
    // Below: what was seen decides the one terminal reply.
  }
  if (progress.result !== undefined && progress.terminal !== undefined) return progress.result;
  if (progress.terminal !== undefined) return resultOfTerminal(progress.terminal, options);
  if (signal?.aborted) return fail(sink, traceId, options, "aborted", "turn aborted");
  return fail(
    sink,
    traceId,
    options,
    "host_unreachable",
    `the host at ${client.url} went away before the turn ended`,
  );
}

async function readLines(
  body: AsyncIterable<Buffer>,
  progress: TurnProgress,
  sink: Sink,
): Promise<void> {
  let pending = "";
  for await (const chunk of body) {
    pending += chunk.toString("utf8");
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      await onLine(pending.slice(0, newline), progress, sink);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
}

async function onLine(line: string, progress: TurnProgress, sink: Sink): Promise<void> {
  if (line === "") return;
  const event = JSON.parse(line) as {
    event?: string;
    reply?: Reply;
    result?: Record<string, unknown>;
  };
  if (event.event === "reply" && event.reply !== undefined) {
    if (progress.terminal !== undefined) return;
    if (isTerminal(event.reply)) progress.terminal = event.reply;
    await Promise.resolve(sink(event.reply)).catch(() => undefined);
  } else if (event.event === "result" && event.result !== undefined) {
    progress.result = resultFromWire(event.result);
  }
}

function resultOfTerminal(reply: Reply, options: PoolTurnOptions): TurnResult {
  const sessionId = options.sessionId ?? "";
  if (reply.kind === "final") return { sessionId, status: "completed", text: reply.content };
  const error = reply.kind === "error" ? reply : undefined;
  return {
    sessionId,
    status: error?.code === "aborted" ? "aborted" : "error",
    text: "",
    ...(error === undefined ? {} : { error: error.error }),
    ...(error?.code === undefined ? {} : { code: error.code as ReplyErrorCode }),
  };
}

async function fail(
  sink: Sink,
  traceId: string,
  options: PoolTurnOptions,
  code: string,
  message: string,
): Promise<TurnResult> {
  const reply = { kind: "error", trace_id: traceId, error: message, code } as Reply;
  await Promise.resolve(sink(reply)).catch(() => undefined);
  return resultOfTerminal(reply, options);
}

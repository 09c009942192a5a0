import type { ServerResponse } from "node:http";
import type { Reply } from "@taos/opencode-adapter";
import type { OpenCodePool } from "@taos/opencode-pool";
import { resultToWire, type TurnRequest } from "./wire.js";

/**
 * Runs one turn and streams it as NDJSON: `{"event":"reply","reply":…}` per
 * reply, `{"event":"heartbeat"}` while quiet, `{"event":"result","result":…}`
 * last. A client that goes away aborts the turn.
 */
export async function streamTurn(
  pool: OpenCodePool,
  agentId: string,
  turn: TurnRequest,
  res: ServerResponse,
  heartbeatMs: number,
): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort(new Error("the client went away"));
  });
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  res.flushHeaders();
  const line = (value: unknown): void => {
    if (!res.destroyed) res.write(`${JSON.stringify(value)}\n`);
  };
  let quietSince = Date.now();
  const heartbeat = setInterval(() => {
    if (Date.now() - quietSince >= heartbeatMs) {
      line({ event: "heartbeat" });
      quietSince = Date.now();
    }
  }, heartbeatMs / 2);
  try {
    const result = await pool.turn(agentId, turn.text, {
      ...turn.options,
      traceId: turn.traceId,
      sink: (reply: Reply) => {
        quietSince = Date.now();
        line({ event: "reply", reply });
      },
      signal: abort.signal,
    });
    line({ event: "result", result: resultToWire(result) });
  } finally {
    clearInterval(heartbeat);
    res.end();
  }
}

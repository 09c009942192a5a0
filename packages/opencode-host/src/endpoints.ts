import type { ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { AgentSettings, OpenCodePool } from "@taos/opencode-pool";
import { HostInputError } from "./errors.js";
import type { ResolvedHostOptions } from "./options.js";
import { sendJson, sendNoContent } from "./responses.js";
import type { RouteName } from "./routes.js";
import { streamTurn } from "./turn-stream.js";
import { parseJsonObject, settingsFromWire, snakeKeys, turnFromWire } from "./wire.js";

/** One authenticated request, its body read. */
export interface HostCall {
  readonly name: RouteName;
  readonly agentId: string;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly res: ServerResponse;
}

type Endpoint = (pool: OpenCodePool, call: HostCall, options: ResolvedHostOptions) => Promise<void>;

const settingsOf = (call: HostCall, field: string): Partial<AgentSettings> =>
  settingsFromWire(parseJsonObject(call.body, field));

/** Splits an import body: one line of settings JSON, then the archive's bytes. */
function splitImport(body: Buffer): { settings: Partial<AgentSettings>; archive: Buffer } {
  const newline = body.indexOf(0x0a);
  if (newline < 0)
    throw new HostInputError("importAgent.settings", "must be a JSON line before the archive");
  const settings = settingsFromWire(
    parseJsonObject(body.subarray(0, newline), "importAgent.settings"),
  );
  return { settings, archive: body.subarray(newline + 1) };
}

/** What each route does with the pool. */
export const ENDPOINTS: Readonly<Record<RouteName, Endpoint>> = {
  health: async (_pool, call) => sendJson(call.res, 200, { ok: true }),
  stats: async (pool, call) => {
    const stats = await pool.stats();
    sendJson(call.res, 200, {
      ...snakeKeys(stats as unknown as Record<string, unknown>),
      agents: stats.agents.map((agent) => snakeKeys(agent as unknown as Record<string, unknown>)),
    });
  },
  register: async (pool, call) => {
    await pool.register(call.agentId, settingsOf(call, "register.settings") as AgentSettings);
    sendNoContent(call.res);
  },
  update: async (pool, call) => {
    await pool.update(call.agentId, settingsOf(call, "update.settings"));
    sendNoContent(call.res);
  },
  unregister: async (pool, call) => {
    const deleteHome = call.query.get("deleteHome");
    await pool.unregister(call.agentId, {
      deleteHome: deleteHome === "1" || deleteHome === "true",
    });
    sendNoContent(call.res);
  },
  warm: async (pool, call) => {
    await pool.warm(call.agentId);
    sendNoContent(call.res);
  },
  turn: async (pool, call, options) => {
    const turn = turnFromWire(parseJsonObject(call.body, "turn"));
    await streamTurn(pool, call.agentId, turn, call.res, options.heartbeatMs);
  },
  export: async (pool, call) => {
    const archive = await pool.exportAgent(call.agentId);
    call.res.writeHead(200, { "content-type": "application/gzip" });
    await pipeline(archive, call.res).catch(() => undefined);
  },
  import: async (pool, call) => {
    const { settings, archive } = splitImport(call.body);
    const manifest = await pool.importAgent(call.agentId, archive, settings as AgentSettings);
    sendJson(call.res, 201, snakeKeys(manifest as unknown as Record<string, unknown>));
  },
};

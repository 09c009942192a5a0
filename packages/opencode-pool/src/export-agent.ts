import type { Readable } from "node:stream";
import type { AgentRecord } from "./agent.js";
import { packStaged, stageHome } from "./archive-export.js";
import type { ServerLifecycle } from "./lifecycle.js";
import { holdStopped, opencodeVersion, publicSettings } from "./mobility.js";

/**
 * Stops the agent once its turns end, copies its home while it is held
 * stopped, lets it start again, and streams the copy as a gzip tar.
 */
export async function exportAgentHome(
  record: AgentRecord,
  servers: ServerLifecycle,
  binary: string | undefined,
  waitMs: number,
  signal?: AbortSignal,
): Promise<Readable> {
  const version = await opencodeVersion(record.server, binary);
  await holdStopped(record, servers, waitMs, signal);
  try {
    const staged = await stageHome(record.home, {
      agentId: record.agentId,
      opencodeVersion: version,
      cwd: record.settings.cwd ?? record.home,
      settings: publicSettings(record.settings),
    });
    return packStaged(staged);
  } finally {
    record.transition("unhold");
    servers.pump();
  }
}

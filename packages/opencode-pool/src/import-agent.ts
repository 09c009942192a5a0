import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveSource } from "./archive-import.js";
import { type ArchiveManifest, DATABASE_PATH } from "./archive-rules.js";
import { type ImportOptions, importHome } from "./mobility.js";
import type { AgentSettings } from "./options.js";
import { relocateSessions } from "./relocate.js";

/**
 * Unpacks an agent's archive into `<root>/<agentId>` (checked entry by entry, aside, then
 * renamed into place) and moves its sessions to the agent's working directory here when
 * the archive's was another. The caller registers the agent once this resolves.
 */
export function importAgentHome(
  root: string,
  agentId: string,
  archive: ArchiveSource,
  settings: AgentSettings,
  options: ImportOptions,
  binary: string | undefined,
): Promise<ArchiveManifest> {
  const home = join(root, agentId);
  const cwd = settings.cwd ?? home;
  return importHome(archive, root, home, agentId, options, (staged, found) =>
    found.cwd === cwd || !existsSync(join(staged, DATABASE_PATH))
      ? Promise.resolve()
      : relocateSessions(staged, found.cwd, cwd, binary),
  );
}

import { isSupportedOpenCodeRelease, SUPPORTED_OPENCODE_RANGE } from "@taos/internal";
import type { ResolvedAdapterConfig } from "./config.js";
import type { ServerConnection } from "./connection.js";
import { UnsupportedServerVersionError } from "./errors.js";

/**
 * Refuses a server that reports an opencode version outside the supported range (opencode 2
 * serves another API), before anything is sent to it. A server that reports no version, or
 * `allowUnsupportedVersion`, gets a warning instead.
 */
export async function checkServerVersion(
  connection: ServerConnection,
  config: ResolvedAdapterConfig,
): Promise<void> {
  const version = await connection.serverVersion();
  const baseUrl = config.baseUrl.origin;
  const range = SUPPORTED_OPENCODE_RANGE;
  if (version === undefined) {
    config.logger.warn({ baseUrl, range }, "opencode reported no version; its API may differ");
    return;
  }
  if (isSupportedOpenCodeRelease(version) === true) return;
  if (config.allowUnsupportedVersion) {
    config.logger.warn({ baseUrl, version, range }, "talking to an unsupported opencode version");
    return;
  }
  throw new UnsupportedServerVersionError({ version, range, baseUrl });
}

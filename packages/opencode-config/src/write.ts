import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { ensurePrivateDir, PRIVATE_FILE_MODE } from "@taos/internal";
import {
  buildOpenCodeConfig,
  type OpenCodeConfigOptions,
  opencodeConfigPath,
  requireHome,
} from "./config.js";

/**
 * Writes `<home>/.config/opencode/opencode.json` and returns its path.
 *
 * The key is never readable by anyone else, not even for an instant: the
 * directory is 0700, and the file is born 0600 as a temporary file in that
 * directory (`open` with mode 0600 and `wx`, then `chmod` in case the umask
 * was odd — before any byte is written), flushed, and renamed over the target,
 * so a reader sees the old file or the new one, never a partial one.
 * Validation runs first: on bad input nothing is written.
 */
export async function writeOpenCodeConfig(
  home: string,
  options: OpenCodeConfigOptions,
): Promise<string> {
  requireHome(home);
  const body = `${JSON.stringify(buildOpenCodeConfig(options), null, 2)}\n`;
  const target = opencodeConfigPath(home);
  const dir = dirname(target);
  await ensurePrivateDir(dir);
  const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temp, "wx", PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(body, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}

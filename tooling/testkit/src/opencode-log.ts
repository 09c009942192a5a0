import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { eventually } from "./poll.js";

/** opencode's own log files under `home` (`.local/share/opencode/log`), joined; "" when none. */
export async function readOpenCodeLog(home: string): Promise<string> {
  const dir = join(home, ".local", "share", "opencode", "log");
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  return (await Promise.all(names.map((name) => readFile(join(dir, name), "utf8")))).join("");
}

/**
 * opencode's own log once `holds` is true of it (opencode writes it behind: read it after
 * the line you wait for is in it); rejects after `timeoutMs`.
 */
export async function waitForOpenCodeLog(
  home: string,
  holds: (log: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  let log = "";
  const read = async (): Promise<boolean> => {
    log = await readOpenCodeLog(home);
    return holds(log);
  };
  if (!(await eventually(read, timeoutMs, 50))) {
    throw new Error(`opencode's log under ${home} did not hold what was waited for`);
  }
  return log;
}

import { readdir, readFile } from "node:fs/promises";
import { type ProcStat, parseProcStat } from "@taos/internal";
import { UnsupportedPlatformError } from "./errors.js";

/** Refuses, on a platform without Linux's `/proc`, an option that needs RSS readings. */
export function assertRssReadable(field: string, platform: string = process.platform): void {
  if (platform !== "linux") throw new UnsupportedPlatformError({ field, platform });
}

/** `VmRSS` of `/proc/<pid>/status` in KiB, or 0 when the process is gone (or a zombie). */
async function rssKiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every live pid's parent, from `/proc/<pid>/stat`. */
async function parents(): Promise<Map<number, number[]>> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: ProcStat | undefined;
    try {
      stat = parseProcStat(await readFile(`/proc/${entry}/stat`, "utf8"));
    } catch {
      continue;
    }
    if (stat === undefined) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  return children;
}

/**
 * The RSS (MiB) of each root's process tree: the server and everything it
 * started (a sandbox's child, language servers, running tools). One scan of
 * `/proc` for all roots.
 */
export async function treeRssMiB(roots: readonly number[]): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  if (roots.length === 0) return result;
  const children = await parents();
  for (const root of roots) {
    const seen = new Set<number>();
    const stack = [root];
    let kib = 0;
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      if (seen.has(pid)) continue;
      seen.add(pid);
      kib += await rssKiB(pid);
      stack.push(...(children.get(pid) ?? []));
    }
    result.set(root, kib / 1024);
  }
  return result;
}

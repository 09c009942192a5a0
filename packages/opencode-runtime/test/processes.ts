import { readdirSync, readFileSync } from "node:fs";

/**
 * Pids of live processes whose environment has `HOME=<home>`: the opencode
 * servers (and their children) started for that home, found without asking
 * the code under test.
 */
export function pidsWithHome(home: string): number[] {
  const needle = `HOME=${home}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.split("\0").includes(needle)) continue;
    try {
      // A zombie still has its environ until reaped; it is not running.
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      if (/\) Z /.test(stat)) continue;
    } catch {
      continue;
    }
    pids.push(Number(entry));
  }
  return pids;
}

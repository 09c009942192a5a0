import { readdirSync, readFileSync } from "node:fs";

/** Live processes whose HOME is under `root`, and their summed VmRSS (MiB). */
export function sampleProcesses(root: string): { opencode: number; rssMiB: number } {
  let opencode = 0;
  let kib = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (!environ.includes(`\0HOME=${root}/`) && !environ.startsWith(`HOME=${root}/`)) continue;
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (/^State:\s+Z/m.test(status)) continue;
      if (/^Name:\s+opencode/m.test(status)) opencode += 1;
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // gone, or not ours
    }
  }
  return { opencode, rssMiB: kib / 1024 };
}

/** Clock ticks per second of `/proc/<pid>/stat`'s times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU (user + system, ms) spent so far by the live processes whose HOME is `home` or
 * below it, with what their reaped children spent.
 */
export function cpuMsOfHome(home: string): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = `\0${readFileSync(`/proc/${entry}/environ`, "latin1")}`;
      if (!environ.includes(`\0HOME=${home}\0`) && !environ.includes(`\0HOME=${home}/`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // After "(comm) ": state, then fields 4 on; utime, stime, cutime, cstime are 14 to 17.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      for (const index of [11, 12, 13, 14]) ticks += Number(fields[index] ?? 0);
    } catch {
      // gone, or not ours
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

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

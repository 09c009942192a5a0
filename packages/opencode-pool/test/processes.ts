import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

function environOf(pid: string): string[] | undefined {
  try {
    // A zombie still has its environ until reaped; it is not running.
    if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "latin1"))) return undefined;
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/**
 * The agent homes under `root` that have a live process (a server, its
 * sandbox, its children), found from `/proc` without asking the pool.
 */
export function homesWithProcesses(root: string): Set<string> {
  const homes = new Set<string>();
  const prefix = `HOME=${root}/`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const home = environOf(entry)?.find((line) => line.startsWith(prefix));
    if (home !== undefined) homes.add(home.slice("HOME=".length));
  }
  return homes;
}

/** Live pids whose HOME is under `root`. */
export function pidsUnder(root: string): number[] {
  const prefix = `HOME=${root}/`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => environOf(entry)?.some((line) => line.startsWith(prefix)))
    .map(Number);
}

/** Samples `read` every `everyMs` until `stop()` is called; keeps the largest value. */
export function sampleMax(read: () => number, everyMs = 50): { stop(): number } {
  let max = read();
  let running = true;
  void (async () => {
    while (running) {
      max = Math.max(max, read());
      await sleep(everyMs);
    }
  })();
  return {
    stop() {
      running = false;
      return Math.max(max, read());
    },
  };
}

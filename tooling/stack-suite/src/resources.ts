import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** What this process holds at one moment; the soak compares two of these. */
export interface ResourceSnapshot {
  /** Entries of /proc/self/fd. */
  readonly fds: number;
  /** TCP sockets (v4 and v6) whose inode is one of our fds: our connections and listeners. */
  readonly tcpSockets: number;
  /** `process.getActiveResourcesInfo()`: sockets, timers, handles keeping the loop alive. */
  readonly activeResources: number;
  /** Listeners on `process` over all its events (exit, signal and error hooks). */
  readonly processListeners: number;
  /** `heapUsed` after a full GC when `--expose-gc` is on. */
  readonly heapUsed: number;
  readonly rss: number;
}

let exposedGc: (() => void) | undefined;

/**
 * `global.gc` (node --expose-gc, as the suite's vitest config runs), or the same function
 * exposed at run time for scripts started without the flag (the benchmarks).
 */
function gcFunction(): (() => void) | undefined {
  const fromFlag = (globalThis as { gc?: () => void }).gc;
  if (fromFlag !== undefined) return fromFlag;
  if (exposedGc === undefined) {
    setFlagsFromString("--expose-gc");
    exposedGc = runInNewContext("gc") as (() => void) | undefined;
  }
  return exposedGc;
}

/** Runs a full collection twice (finalizers of the first may free more); false when impossible. */
export function collectGarbage(): boolean {
  const gc = gcFunction();
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

function socketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while we listed
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  return inodes;
}

function countTcpSockets(inodes: ReadonlySet<string>): number {
  let count = 0;
  for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined && inodes.has(inode)) count++;
    }
  }
  return count;
}

/** Listeners on `process`, all events together. */
export function processListenerCount(): number {
  let total = 0;
  for (const name of process.eventNames()) total += process.listenerCount(name);
  return total;
}

/** A snapshot of this process's file descriptors, sockets, handles, listeners and memory. */
export function snapshotResources(options: { readonly gc?: boolean } = {}): ResourceSnapshot {
  if (options.gc !== false) collectGarbage();
  const memory = process.memoryUsage();
  return {
    fds: readdirSync("/proc/self/fd").length,
    tcpSockets: countTcpSockets(socketInodes()),
    activeResources: process.getActiveResourcesInfo().length,
    processListeners: processListenerCount(),
    heapUsed: memory.heapUsed,
    rss: memory.rss,
  };
}

import { isMainThread } from "node:worker_threads";

/**
 * Every live process group started by this package, so that none outlives the
 * parent process. Handlers are installed when the first group arrives and
 * removed when the last one leaves, so a host without live servers is untouched.
 *
 * - `exit` (a normal end, `process.exit()`, an uncaught exception or an
 *   unhandled rejection: Node emits `exit` for all of them): SIGKILL to every
 *   group, synchronously, since nothing asynchronous runs any more.
 * - SIGINT, SIGTERM, SIGHUP: when no one else listens, Node's default would
 *   end the process without `exit`; so the groups are killed and the signal is
 *   raised again with the default action, keeping the usual exit status. When
 *   the host has its own listener the signal is the host's business: the
 *   groups die on `exit`, or earlier if the host calls `stop()`.
 *
 * A parent killed with SIGKILL runs none of this; nothing in-process can.
 *
 * The registry lives on `globalThis` under a `Symbol.for` key: two copies of
 * this package in one process share it, so there is one set of handlers (two
 * would each see the other as "someone else listening" and swallow a signal).
 */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type HandledSignal = (typeof SIGNALS)[number];

interface Registry {
  readonly live: Set<number>;
  readonly onExit: () => void;
  readonly onSignal: Record<HandledSignal, () => void>;
  installed: boolean;
}

const KEY = Symbol.for("taos.opencode.server.processGroups");

function createRegistry(): Registry {
  const live = new Set<number>();
  const killAll = (): void => {
    for (const pgid of live) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  const handle = (signal: HandledSignal): void => {
    if (process.listenerCount(signal) > 1) return;
    killAll();
    live.clear();
    uninstall(registry);
    process.kill(process.pid, signal);
  };
  const registry: Registry = {
    live,
    onExit: killAll,
    onSignal: {
      SIGINT: () => handle("SIGINT"),
      SIGTERM: () => handle("SIGTERM"),
      SIGHUP: () => handle("SIGHUP"),
    },
    installed: false,
  };
  return registry;
}

// Created on first use, not at import: the package has no import-time side effects.
function getRegistry(): Registry {
  const shared = globalThis as typeof globalThis & { [KEY]?: Registry };
  shared[KEY] ??= createRegistry();
  return shared[KEY];
}

function install(r: Registry): void {
  if (r.installed) return;
  r.installed = true;
  process.on("exit", r.onExit);
  // Signals are delivered to the main thread only.
  if (isMainThread) for (const signal of SIGNALS) process.on(signal, r.onSignal[signal]);
}

function uninstall(r: Registry): void {
  if (!r.installed) return;
  r.installed = false;
  process.removeListener("exit", r.onExit);
  for (const signal of SIGNALS) process.removeListener(signal, r.onSignal[signal]);
}

/** Tracks a process group until the returned function is called (when its leader has exited). */
export function trackProcessGroup(pgid: number): () => void {
  const registry = getRegistry();
  registry.live.add(pgid);
  install(registry);
  return () => {
    registry.live.delete(pgid);
    if (registry.live.size === 0) uninstall(registry);
  };
}

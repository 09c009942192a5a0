import { isMainThread } from "node:worker_threads";

/**
 * Every live process group this module started, so that none outlives the
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
 */
const live = new Set<number>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type HandledSignal = (typeof SIGNALS)[number];

function killAll(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

const onExit = (): void => killAll();

const signalHandlers: Record<HandledSignal, () => void> = {
  SIGINT: () => onSignal("SIGINT"),
  SIGTERM: () => onSignal("SIGTERM"),
  SIGHUP: () => onSignal("SIGHUP"),
};

function onSignal(signal: HandledSignal): void {
  if (process.listenerCount(signal) > 1) return;
  killAll();
  live.clear();
  uninstall();
  process.kill(process.pid, signal);
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", onExit);
  // Signals are delivered to the main thread only.
  if (isMainThread) for (const signal of SIGNALS) process.on(signal, signalHandlers[signal]);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener("exit", onExit);
  for (const signal of SIGNALS) process.removeListener(signal, signalHandlers[signal]);
}

/** Tracks a process group until the returned function is called (when its leader has exited). */
export function trackProcessGroup(pgid: number): () => void {
  live.add(pgid);
  install();
  return () => {
    live.delete(pgid);
    if (live.size === 0) uninstall();
  };
}

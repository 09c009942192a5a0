import type { OpenCodeLogger } from "@taos/internal";
import { describeError } from "@taos/internal";
import type { AgentRecord } from "./agent.js";
import type { PoolEmitter } from "./events.js";
import { staleDirectories } from "./schedule.js";

/** Marks `directory` in use by a turn; the returned function marks the turn's end. */
export function trackDirectory(record: AgentRecord, directory: string): () => void {
  const entry = record.directories.get(directory) ?? { active: 0, lastUsed: Date.now() };
  entry.active += 1;
  record.directories.set(directory, entry);
  return () => {
    entry.active -= 1;
    entry.lastUsed = Date.now();
  };
}

/**
 * Runs `sweep` once the oldest unused directory has been idle for `idleMs` (one timer per
 * agent), with the time to sweep at: never before it was due, since a timer can fire a
 * millisecond before `Date.now()` says so, and a sweep that found nothing stale would
 * have to come again.
 */
export function scheduleDirectorySweep(
  record: AgentRecord,
  idleMs: number,
  sweep: (at: number) => void,
): void {
  if (record.directoryTimer !== undefined || record.directories.size === 0) return;
  let oldest = Number.POSITIVE_INFINITY;
  for (const entry of record.directories.values())
    if (entry.active === 0) oldest = Math.min(oldest, entry.lastUsed);
  if (oldest === Number.POSITIVE_INFINITY) return;
  const dueAt = oldest + idleMs;
  const wait = Math.max(0, dueAt - Date.now());
  record.directoryTimer = setTimeout(() => {
    record.directoryTimer = undefined;
    sweep(Math.max(Date.now(), dueAt));
    scheduleDirectorySweep(record, idleMs, sweep);
  }, wait);
  record.directoryTimer.unref();
}

/** `POST /instance/dispose?directory=…` for each directory of a running server unused for `idleMs`. */
export async function disposeStaleDirectories(
  records: readonly AgentRecord[],
  idleMs: number,
  emitter: PoolEmitter,
  logger: OpenCodeLogger,
  now: number = Date.now(),
): Promise<void> {
  for (const record of records) {
    const server = record.server;
    if (server === undefined) continue;
    const idle = new Map<string, number>();
    for (const [directory, entry] of record.directories)
      if (entry.active === 0) idle.set(directory, entry.lastUsed);
    for (const directory of staleDirectories(idle, now, idleMs)) {
      record.directories.delete(directory);
      let ok = false;
      try {
        const url = new URL("/instance/dispose", server.baseUrl);
        url.searchParams.set("directory", directory);
        const headers: Record<string, string> = {};
        if (server.auth)
          headers.authorization = `Basic ${Buffer.from(`${server.auth.username}:${server.auth.password}`).toString("base64")}`;
        const response = await fetch(url, {
          method: "POST",
          headers,
          signal: AbortSignal.timeout(10_000),
        });
        ok = response.ok;
        await response.body?.cancel();
      } catch (error) {
        logger.warn(
          { agentId: record.agentId, directory, err: describeError(error) },
          "instance dispose failed",
        );
      }
      emitter.emit("dispose", { agentId: record.agentId, directory, ok });
    }
  }
}

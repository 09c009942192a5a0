import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reply } from "@taos/opencode-adapter";
import { afterEach, beforeEach, vi } from "vitest";
import { OpenCodePool, type OpenCodePoolOptions, type PoolEvents } from "../src/index.js";

/** The current test's root (a live binding: `useFreshRoot` sets it before each test). */
export let root: string;
let pool: OpenCodePool | undefined;

/** Each test gets a fresh root; after it, the pool `newPool` made is closed and the root removed. */
export function useFreshRoot(): void {
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "taos-pool-unit-"));
  });
  afterEach(async () => {
    await pool?.close({ graceMs: 0 });
    pool = undefined;
    vi.useRealTimers();
    await rm(root, { recursive: true, force: true });
  });
}

export function newPool(options: Partial<OpenCodePoolOptions>): OpenCodePool {
  pool = new OpenCodePool({ root, litellm: { baseURL: "http://127.0.0.1:9/v1" }, ...options });
  return pool;
}

export function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

export async function registerAll(p: OpenCodePool, ids: readonly string[]): Promise<void> {
  for (const id of ids) await p.register(id, { apiKey: `sk-${id}-key-0001`, modelIds: ["m"] });
}

export function record<K extends keyof PoolEvents>(p: OpenCodePool, name: K): PoolEvents[K][] {
  const events: PoolEvents[K][] = [];
  p.on(name, (event) => void events.push(event));
  return events;
}

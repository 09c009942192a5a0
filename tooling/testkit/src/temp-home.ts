import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempHome {
  readonly path: string;
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir, for one opencode home. */
export async function makeTempHome(prefix = "taos-oc-"): Promise<TempHome> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}

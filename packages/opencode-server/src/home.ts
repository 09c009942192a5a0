import { chown, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ensurePrivateDir } from "@taos/internal";
import { type PermissionConfig, writeOpenCodeConfig } from "@taos/opencode-config";
import { InvalidServerOptionError } from "./errors.js";
import { settlePluginInstall } from "./plugin-install.js";
import type { LiteLLMOptions } from "./types.js";

// The XDG bases the isolation env points at (see env.ts), and `.local` above two of them.
const PRIVATE_STATE_DIRS = [".config", ".local", ".local/share", ".local/state", ".cache"];

export interface HomeOptions {
  readonly home: string;
  readonly cwd: string;
  readonly litellm: LiteLLMOptions;
  readonly permission: PermissionConfig | undefined;
  readonly installPluginDependencies: boolean;
  /** The OS user the server runs as: what is written here is given to it. */
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
}

/**
 * Makes the server's home ready for a start: the working directory checked
 * first (nothing is written for a server that cannot start), the config with
 * the key written (0600, in a 0700 directory), opencode's state directories
 * made private, and what stops opencode's background plugin install written
 * or removed (see plugin-install.ts).
 */
export async function prepareHome(options: HomeOptions): Promise<void> {
  const { home, cwd, litellm, permission } = options;
  if (cwd !== home) {
    const info = await stat(cwd).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new InvalidServerOptionError({
        field: "cwd",
        message: `"${cwd}" is not an existing directory`,
      });
    }
  }
  const configPath = await writeOpenCodeConfig(home, {
    baseURL: litellm.baseURL,
    apiKey: litellm.apiKey,
    modelIds: litellm.modelIds,
    ...(litellm.providerId === undefined ? {} : { providerId: litellm.providerId }),
    ...(permission === undefined ? {} : { permission }),
  });
  // opencode creates its database, logs and caches with the default umask (0644
  // files): private parent directories keep them from other users whatever the
  // home's own mode.
  await Promise.all(PRIVATE_STATE_DIRS.map((dir) => ensurePrivateDir(join(home, dir))));
  const written = await settlePluginInstall(dirname(configPath), options.installPluginDependencies);
  if (options.user) {
    const ours = [home, ...PRIVATE_STATE_DIRS.map((dir) => join(home, dir)), dirname(configPath)];
    await giveTo(options.user, [...ours, configPath, ...written]);
  }
}

/** Hands what was written to the server's own user (the rest of the home is its own already). */
async function giveTo(
  user: { readonly uid: number; readonly gid: number },
  paths: readonly string[],
): Promise<void> {
  for (const path of paths) {
    await chown(path, user.uid, user.gid).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
}

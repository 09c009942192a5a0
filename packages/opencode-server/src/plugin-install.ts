import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * What keeps opencode from installing `@opencode-ai/plugin` into its config
 * directory (or lets it). On the first request of every start, opencode checks
 * that directory: without `node_modules`, or with a dependency missing from
 * `package-lock.json`'s root, it runs npm's install, and a server's first prompt
 * waits for it (offline: about 1.5 s until npm gives up). A `node_modules` and a
 * lock naming the package make opencode see the directory in sync and skip it;
 * the offline `.npmrc` stays for any install that still starts.
 */
const NPMRC = "# Written by @taos/opencode-server: no background plugin install.\noffline=true\n";
const MARKER = "taos-opencode-no-plugin-install";
const LOCK = `${JSON.stringify(
  {
    name: MARKER,
    lockfileVersion: 3,
    packages: { "": { name: MARKER, dependencies: { "@opencode-ai/plugin": "*" } } },
  },
  null,
  2,
)}\n`;

/** Sets up (or undoes) the skip in `dir`; returns the paths it wrote, to hand to the server's user. */
export async function settlePluginInstall(dir: string, install: boolean): Promise<string[]> {
  const npmrc = join(dir, ".npmrc");
  const lock = join(dir, "package-lock.json");
  const modules = join(dir, "node_modules");
  if (install) {
    await removeIfOurs(npmrc, NPMRC);
    await removeIfOurs(lock, LOCK);
    // Only an empty one (ours); a real install stays.
    await rmdir(modules).catch(() => undefined);
    return [];
  }
  await writeFile(npmrc, NPMRC, { mode: 0o600 });
  // A lock of a real install (or the user's) is left as it is: opencode reads it.
  const lockIsOurs = await writeFile(lock, LOCK, { mode: 0o600, flag: "wx" }).then(
    () => true,
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
      return (await readFile(lock, "utf8").catch(() => undefined)) === LOCK;
    },
  );
  await mkdir(modules, { mode: 0o700, recursive: true });
  return lockIsOurs ? [npmrc, lock, modules] : [npmrc, modules];
}

async function removeIfOurs(path: string, content: string): Promise<void> {
  if ((await readFile(path, "utf8").catch(() => undefined)) === content)
    await rm(path, { force: true });
}

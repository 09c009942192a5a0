import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** True when `path` is a file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The `bwrap` executable on `PATH`, or undefined when bubblewrap is not installed. */
export function findBwrap(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, "bwrap");
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

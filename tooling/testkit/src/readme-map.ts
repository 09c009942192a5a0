import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The files under `<root>/src` that the package's README does not name (as `` `src/...` ``). */
export function filesMissingFromReadme(root: string): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const files = sourceFiles(join(root, "src")).map((file) => relative(root, file));
  return files.filter((file) => !readme.includes(`\`${file}\``));
}

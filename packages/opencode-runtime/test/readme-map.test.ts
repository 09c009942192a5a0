import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe("the README's map", () => {
  it("names every source file", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const files = sourceFiles(join(root, "src")).map((file) => relative(root, file));
    expect(files.filter((file) => !readme.includes(`\`${file}\``))).toEqual([]);
  });
});

import { join } from "node:path";
import { filesMissingFromReadme } from "@taos/testkit";
import { describe, expect, it } from "vitest";

describe("the README's map", () => {
  it("names every source file", () => {
    expect(filesMissingFromReadme(join(import.meta.dirname, ".."))).toEqual([]);
  });
});

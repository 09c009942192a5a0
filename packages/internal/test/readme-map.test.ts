import { join } from "node:path";
import { describe, expect, it } from "vitest";
// Relative: this package builds before the testkit, which is not one of its dependencies.
import { filesMissingFromReadme } from "../../../tooling/testkit/src/readme-map.js";

describe("the README's map", () => {
  it("names every source file", () => {
    expect(filesMissingFromReadme(join(import.meta.dirname, ".."))).toEqual([]);
  });
});

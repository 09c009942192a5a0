import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SUPPORTED_OPENCODE_RANGE } from "../src/index.js";

describe("the opencode-ai peer range", () => {
  it("is the supported range", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(manifest.peerDependencies["opencode-ai"]).toBe(SUPPORTED_OPENCODE_RANGE);
  });
});

import { describe, expect, it } from "vitest";
import { isSupportedOpenCodeRelease, SUPPORTED_OPENCODE_RANGE } from "../src/index.js";

describe("isSupportedOpenCodeRelease", () => {
  it.each([
    ["1.3.0", true],
    ["1.3.2", true],
    ["1.18.33", true],
    ["v1.14.34", true],
    ["1.99.0-beta.1", true],
    ["1.2.27", false],
    ["1.0.0", false],
    ["0.15.0", false],
    ["2.0.0", false],
    ["2.0.0-beta", false],
    ["10.1.0", false],
  ])("%s -> %s", (version, expected) => {
    expect(isSupportedOpenCodeRelease(version)).toBe(expected);
  });

  it.each(["", "local", "1.2", "one.two.three"])("%j is no version", (version) => {
    expect(isSupportedOpenCodeRelease(version)).toBeUndefined();
  });

  it("names the range it checks", () => {
    expect(SUPPORTED_OPENCODE_RANGE).toBe(">=1.3.0 <2");
  });
});

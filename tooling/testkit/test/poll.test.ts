import { describe, expect, it } from "vitest";
import { eventually, until } from "../src/index.js";

describe("eventually and until", () => {
  it("resolve once the check holds, sync or async", async () => {
    let looks = 0;
    expect(await eventually(() => ++looks >= 3, 10_000, 1)).toBe(true);
    expect(looks).toBe(3);
    await expect(until(async () => true)).resolves.toBeUndefined();
  });

  it("resolve false, or reject naming what was awaited, when it never holds", async () => {
    expect(await eventually(() => false, 30, 5)).toBe(false);
    await expect(until(() => false, 30, "the answer")).rejects.toThrow(
      "timed out waiting for the answer",
    );
  });
});

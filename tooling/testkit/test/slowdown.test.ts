import { describe, expect, it } from "vitest";
import { busyCores, isProcessAlive, testSlowdown } from "../src/index.js";

describe("testSlowdown", () => {
  it("reads TAOS_TEST_SLOWDOWN, 1 when unset or not a number >= 1", () => {
    expect(testSlowdown({})).toBe(1);
    expect(testSlowdown({ TAOS_TEST_SLOWDOWN: "3" })).toBe(3);
    expect(testSlowdown({ TAOS_TEST_SLOWDOWN: "2.5" })).toBe(2.5);
    expect(testSlowdown({ TAOS_TEST_SLOWDOWN: "0.5" })).toBe(1);
    expect(testSlowdown({ TAOS_TEST_SLOWDOWN: "fast" })).toBe(1);
  });
});

describe("busyCores", () => {
  it("starts busy processes, and stop() ends every one", async () => {
    const busy = busyCores(2);
    expect(busy.pids).toHaveLength(2);
    for (const pid of busy.pids) expect(isProcessAlive(pid)).toBe(true);
    await busy.stop();
    await busy.stop();
    for (const pid of busy.pids) expect(isProcessAlive(pid)).toBe(false);
  });
});

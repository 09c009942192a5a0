import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { makeTempHome } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import {
  defaultStartDeadlineMs,
  FIRST_START_DEADLINE_MS,
  opencodeDatabasePath,
  START_DEADLINE_MS,
  startDeadlineFor,
} from "../src/first-start.js";

describe("the default start deadline", () => {
  it("is 180 s for a home without opencode's database, 20 s once it has one", async () => {
    expect(defaultStartDeadlineMs(false)).toBe(FIRST_START_DEADLINE_MS);
    expect(defaultStartDeadlineMs(true)).toBe(START_DEADLINE_MS);
    expect([START_DEADLINE_MS, FIRST_START_DEADLINE_MS]).toEqual([20_000, 180_000]);
    const home = await makeTempHome("taos-first-start-");
    try {
      expect(startDeadlineFor(home.path)).toBe(FIRST_START_DEADLINE_MS);
      await mkdir(dirname(opencodeDatabasePath(home.path)), { recursive: true });
      await writeFile(opencodeDatabasePath(home.path), "");
      expect(startDeadlineFor(home.path)).toBe(START_DEADLINE_MS);
    } finally {
      await home.cleanup();
    }
  });
});

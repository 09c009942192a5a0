import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Dist = typeof import("../dist/index.js");

// Two installs of the package are two self-contained bundles (the private helpers are
// bundled into each): load the built dist twice from two folders, as npm would lay them out.
describe("two bundled copies of the package", () => {
  let root: string;
  let a: Dist;
  let b: Dist;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "taos-config-copies-"));
    const dist = new URL("../dist/", import.meta.url);
    for (const name of ["a", "b"]) {
      await cp(dist, join(root, name), { recursive: true });
    }
    a = (await import(pathToFileURL(join(root, "a", "index.js")).href)) as Dist;
    b = (await import(pathToFileURL(join(root, "b", "index.js")).href)) as Dist;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("are distinct classes, yet each recognises the other's errors", () => {
    expect(a.ConfigValidationError).not.toBe(b.ConfigValidationError);
    let thrown: unknown;
    try {
      a.buildOpenCodeConfig({ baseURL: "nope", apiKey: "k", modelIds: ["m"] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown instanceof b.ConfigValidationError).toBe(false);
    expect(b.ConfigValidationError.isInstance(thrown)).toBe(true);
    expect(b.TaosOpenCodeError.isInstance(thrown)).toBe(true);
    expect(b.TaosOpenCodeError.isInstance(new Error("plain"))).toBe(false);
  });
});

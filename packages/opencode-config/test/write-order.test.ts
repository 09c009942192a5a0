import { makeTempHome } from "@taos/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";

// Records every file-system call writeOpenCodeConfig makes, in order, to prove
// the file is private from its first byte (not written, then chmod-ed: defect 6).
const calls: string[] = [];
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...fs,
    writeFile: (...args: Parameters<typeof fs.writeFile>) => {
      calls.push(`writeFile ${String(args[0])}`);
      return fs.writeFile(...args);
    },
    open: async (path: string, flags: string, mode?: number) => {
      calls.push(`open ${flags} ${mode?.toString(8)} ${path.endsWith(".tmp") ? "temp" : path}`);
      const handle = await fs.open(path, flags, mode);
      const { writeFile, chmod } = handle;
      handle.writeFile = (...a: Parameters<typeof writeFile>) => {
        calls.push("handle.writeFile");
        return writeFile.apply(handle, a);
      };
      handle.chmod = (...a: Parameters<typeof chmod>) => {
        calls.push(`handle.chmod ${a[0].toString(8)}`);
        return chmod.apply(handle, a);
      };
      return handle;
    },
    rename: (from: string, to: string) => {
      calls.push(`rename ${from.endsWith(".tmp") ? "temp" : from} -> ${to.split("/").pop()}`);
      return fs.rename(from, to);
    },
  };
});

const { writeOpenCodeConfig } = await import("../src/index.js");

describe("writeOpenCodeConfig, order of operations", () => {
  const homes: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(homes.map((cleanup) => cleanup()));
  });

  it("creates a 0600 temp file exclusively, restricts it before writing, then renames it", async () => {
    const home = await makeTempHome();
    homes.push(home.cleanup);
    await writeOpenCodeConfig(home.path, {
      baseURL: "http://127.0.0.1:4000/v1",
      apiKey: "sk-x",
      modelIds: ["m"],
    });
    expect(calls).toEqual([
      "open wx 600 temp",
      "handle.chmod 600",
      "handle.writeFile",
      "rename temp -> opencode.json",
    ]);
  });
});

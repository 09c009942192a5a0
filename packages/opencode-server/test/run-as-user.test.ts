import { readFile } from "node:fs/promises";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidServerOptionError, OpenCodeServer } from "../src/index.js";
import { blockingTurn, isGone } from "./helpers.js";

const KEY = "sk-run-as-user-0123456789";
// nobody / nogroup on Debian.
const UID = 65534;
const GID = 65534;

describe("uid/gid: the server runs as its own OS user", () => {
  let llm: FakeLiteLLM;
  let temp: TempHome;

  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY], models: ["fake-model"] });
    temp = await makeTempHome("taos-oc-user-");
  });

  afterAll(async () => {
    await llm?.close();
    await temp?.cleanup();
  });

  const options = () => ({
    home: temp.path,
    litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["fake-model"] },
    binary: opencodeBinaryPath(),
    uid: UID,
    gid: GID,
  });

  it("uid and gid go together, and need a host that runs as root", () => {
    for (const [patch, field] of [
      [{ uid: UID, gid: undefined }, "gid"],
      [{ uid: undefined, gid: GID }, "uid"],
      [{ uid: -1 }, "uid"],
      [{ gid: 1.5 }, "gid"],
    ] as const) {
      let error: unknown;
      try {
        new OpenCodeServer({ ...options(), ...patch });
      } catch (e) {
        error = e;
      }
      expect((error as InvalidServerOptionError).field).toBe(field);
    }
  });

  it("as root: opencode runs as that user, reads its config and answers a turn; elsewhere: a typed error", async () => {
    if (process.getuid?.() !== 0) {
      expect(() => new OpenCodeServer(options())).toThrow(
        expect.objectContaining({ field: "uid", message: expect.stringContaining("root") }),
      );
      expect(
        InvalidServerOptionError.isInstance(getError(() => new OpenCodeServer(options()))),
      ).toBe(true);
      return;
    }
    const server = new OpenCodeServer(options());
    try {
      await server.ensureRunning();
      const pid = server.pid!;
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      expect(status).toMatch(new RegExp(`^Uid:\\s+${UID}\\s+${UID}`, "m"));
      expect(status).toMatch(new RegExp(`^Gid:\\s+${GID}\\s+${GID}`, "m"));
      await blockingTurn(server, "hello as nobody");
      expect(llm.requests.filter((r) => !r.isTitleRequest).map((r) => r.key)).toEqual([KEY]);
      await server.stop();
      expect(await isGone(pid)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

function getError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

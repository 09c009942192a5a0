import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Redactor } from "@taos/internal";
import { ConfigValidationError } from "@taos/opencode-config";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { InvalidServerOptionError, OpenCodeServer } from "../src/index.js";
import { LogSink } from "../src/log-sink.js";
import { backoffDelays, settlesWithin } from "../src/timing.js";

const KEY = "sk-unit-key-abcdef0123456789";

// `delay` itself is tested where it lives, in @taos/internal.
describe("timing helpers (fake timers)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the readiness backoff starts at 10 ms or less, doubles, and is capped", () => {
    const waits = backoffDelays();
    const first = Array.from({ length: 10 }, () => waits.next().value);
    expect(first[0]).toBeLessThanOrEqual(10);
    expect(first[1]).toBe(first[0]! * 2);
    expect(first.at(-1)).toBe(250);
  });

  it("settlesWithin clears its timer", async () => {
    vi.useFakeTimers();
    expect(await settlesWithin(Promise.resolve(), 1_000)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const slow = settlesWithin(new Promise(() => {}), 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await slow).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("the log sink", () => {
  let temp: TempHome;

  beforeAll(async () => {
    temp = await makeTempHome("taos-oc-units-");
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  it("redacts a key cut across chunks, also inside a line too long to hold", async () => {
    const path = join(temp.path, "logs", "sink.log");
    const lines: string[] = [];
    const sink = await LogSink.open({
      path,
      dir: join(temp.path, "logs"),
      privateDir: true,
      redactor: new Redactor([KEY]),
      onLine: (line) => lines.push(line),
    });
    const stream = new PassThrough();
    sink.attach(stream);
    stream.write(`key=${KEY.slice(0, 7)}`);
    stream.write(`${KEY.slice(7)} ok\nopencode server listening on http://127.0.0.1:1\n`);
    // 70 000 chars without a newline, the key straddling the 64 KiB flush point.
    const filler = "y".repeat(64 * 1024 - 10);
    stream.write(filler + KEY.slice(0, 12));
    stream.write(`${KEY.slice(12)}${"z".repeat(5_000)}\n`);
    stream.end(`last ${KEY}`);
    await sink.drained();
    sink.note(`a note that mentions ${KEY}`);
    await sink.close();
    const log = await readFile(path, "utf8");
    expect(log).not.toContain(KEY);
    expect(log.match(/\[REDACTED\]/g)).toHaveLength(4);
    expect(log).toContain("key=[REDACTED] ok\n");
    expect(lines).toContain("opencode server listening on http://127.0.0.1:1");
    expect(sink.tail().join("\n")).not.toContain(KEY);
  });
});

describe("options are checked before anything is written or spawned", () => {
  const valid = {
    home: "/tmp/taos-oc-never-created",
    litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: KEY, modelIds: ["m"] },
  };

  it.each([
    ["home", { home: "relative/home" }],
    ["port", { port: 70_000 }],
    ["port", { port: 1.5 }],
    ["hostname", { hostname: "not a host" }],
    ["password", { password: 42 }],
    ["password", { password: "" }],
    ["username", { username: "a:b" }],
    ["cwd", { cwd: "." }],
    ["env.FOO", { env: { FOO: 1 } }],
    ["logFile", { logFile: "serve.log" }],
    ["logger", { logger: { info() {} } }],
    ["installPluginDependencies", { installPluginDependencies: "yes" }],
    ["allowUnsupportedVersion", { allowUnsupportedVersion: 1 }],
    ["litellm", { litellm: null }],
    ["permission", { permission: "sometimes" }],
  ])("%s", (field, patch) => {
    const error = (() => {
      try {
        new OpenCodeServer({ ...valid, ...patch } as never);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(InvalidServerOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidServerOptionError).field).toBe(field);
    expect((error as Error).message).toContain(field);
  });

  it("a bad litellm part names its field under litellm, and the key never shows", async () => {
    const badKey = `${KEY} with spaces`;
    const cases = [
      [{ litellm: { ...valid.litellm, baseURL: "ftp://x" } }, "litellm.baseURL"],
      [{ litellm: { ...valid.litellm, apiKey: badKey } }, "litellm.apiKey"],
      [{ litellm: { ...valid.litellm, modelIds: [] } }, "litellm.modelIds"],
      [{ litellm: { ...valid.litellm, providerId: "" } }, "litellm.providerId"],
    ] as const;
    for (const [patch, field] of cases) {
      let error: unknown;
      try {
        new OpenCodeServer({ ...valid, ...patch } as never);
      } catch (e) {
        error = e;
      }
      expect({ field, ok: InvalidServerOptionError.isInstance(error) }).toEqual({
        field,
        ok: true,
      });
      expect((error as InvalidServerOptionError).field).toBe(field);
      expect((error as Error).message).toContain(`"${field}"`);
      expect((error as Error).message).not.toContain(KEY);
    }
    const server = new OpenCodeServer(valid);
    await expect(server.ensureRunning({ deadlineMs: -1 })).rejects.toSatisfy(
      (e: unknown) => InvalidServerOptionError.isInstance(e) && e.field === "deadlineMs",
    );
    await expect(
      readFile(join(valid.home, ".config", "opencode", "opencode.json")),
    ).rejects.toThrow();
  });

  it("updateConfig checks its input like the constructor: null, a bad key", () => {
    const server = new OpenCodeServer(valid);
    for (const bad of [null, undefined, "litellm", []]) {
      expect(() => server.updateConfig(bad as never)).toThrow(
        expect.objectContaining({ field: "updateConfig" }),
      );
    }
    let error: unknown;
    try {
      server.updateConfig({ litellm: { ...valid.litellm, apiKey: `${KEY} x` } });
    } catch (e) {
      error = e;
    }
    expect(InvalidServerOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidServerOptionError).field).toBe("litellm.apiKey");
    expect(ConfigValidationError.isInstance(error)).toBe(false);
  });
});

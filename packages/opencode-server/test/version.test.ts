import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isSupportedOpenCodeRelease, type OpenCodeLogger } from "@taos/internal";
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkOpenCodeVersion,
  InvalidServerOptionError,
  isSupportedOpenCodeVersion,
  readBinaryVersion,
  SUPPORTED_OPENCODE_RANGE,
  UnsupportedOpenCodeVersionError,
} from "../src/index.js";
import { assertVersionRange, parseOpenCodeVersion } from "../src/version.js";

interface Logged {
  readonly level: string;
  readonly obj: object;
  readonly msg: string | undefined;
}

function recordingLogger(): { logger: OpenCodeLogger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
  };
}

describe("isSupportedOpenCodeVersion", () => {
  it.each(["1.3.0", "1.18.33", "1.2.27", "2.0.0", "2.0.0-beta", "0.9.1", "1.99.0-rc.1"])(
    "agrees on %s with the adapter's check of the same range",
    (version) => {
      expect(isSupportedOpenCodeVersion(version)).toBe(isSupportedOpenCodeRelease(version));
    },
  );

  it("takes 1.x releases from the oldest supported one on, and refuses 2.x and 0.x", () => {
    const oldest = SUPPORTED_OPENCODE_RANGE.match(/>=(\S+)/)?.[1] ?? "";
    expect(isSupportedOpenCodeVersion(oldest)).toBe(true);
    expect(isSupportedOpenCodeVersion("1.18.33")).toBe(true);
    expect(isSupportedOpenCodeVersion("1.99.0")).toBe(true);
    expect(isSupportedOpenCodeVersion("2.0.0")).toBe(false);
    expect(isSupportedOpenCodeVersion("2.3.1")).toBe(false);
    expect(isSupportedOpenCodeVersion("0.15.31")).toBe(false);
  });

  it("judges a pre-release by its release numbers: 2.0.0-beta is out, 1.x-beta is in", () => {
    expect(isSupportedOpenCodeVersion("2.0.0-beta.1")).toBe(false);
    expect(isSupportedOpenCodeVersion("1.99.0-dev.3")).toBe(true);
  });

  it("refuses what is not a version, and honours another range", () => {
    expect(isSupportedOpenCodeVersion("local")).toBe(false);
    expect(isSupportedOpenCodeVersion("")).toBe(false);
    expect(isSupportedOpenCodeVersion("1.18.33", ">=1.18.33 <1.19")).toBe(true);
    expect(isSupportedOpenCodeVersion("1.18.32", ">=1.18.33 <1.19")).toBe(false);
  });

  it("a range that is not a semver range is a typed field error", () => {
    expect(() => assertVersionRange("not a range!")).toThrow(
      expect.toSatisfy(
        (e: unknown) => InvalidServerOptionError.isInstance(e) && e.field === "versionRange",
      ),
    );
    expect(() => assertVersionRange(">=1.2 <2")).not.toThrow();
  });
});

describe("parseOpenCodeVersion", () => {
  it("finds the version in --version output, with or without noise around it", () => {
    expect(parseOpenCodeVersion("1.18.33\n")).toBe("1.18.33");
    expect(parseOpenCodeVersion("opencode v2.0.0-beta.4 (linux)\n")).toBe("2.0.0-beta.4");
    expect(parseOpenCodeVersion("no version here")).toBeUndefined();
  });
});

describe("checkOpenCodeVersion", () => {
  it("refuses a 2.x with an error naming version, range, binary and how to install a supported one", () => {
    const { logger, lines } = recordingLogger();
    let thrown: unknown;
    try {
      checkOpenCodeVersion({
        version: "2.0.0",
        binary: "/opt/oc/opencode",
        allowUnsupported: false,
        logger,
      });
    } catch (error) {
      thrown = error;
    }
    expect(UnsupportedOpenCodeVersionError.isInstance(thrown)).toBe(true);
    const error = thrown as UnsupportedOpenCodeVersionError;
    expect(error.version).toBe("2.0.0");
    expect(error.range).toBe(SUPPORTED_OPENCODE_RANGE);
    expect(error.binary).toBe("/opt/oc/opencode");
    expect(error.message).toContain("opencode 2.0.0");
    expect(error.message).toContain(SUPPORTED_OPENCODE_RANGE);
    expect(error.message).toContain("/opt/oc/opencode");
    expect(error.message).toContain("npm i opencode-ai@1");
    expect(lines).toEqual([]);
  });

  it("only warns about an unsupported version when allowUnsupported is set", () => {
    const { logger, lines } = recordingLogger();
    checkOpenCodeVersion({ version: "2.1.0", binary: "/b", allowUnsupported: true, logger });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("warn");
    expect(lines[0]?.obj).toMatchObject({ version: "2.1.0", binary: "/b" });
    expect(lines[0]?.msg).toContain("2.1.0");
  });

  it("warns about an unknown version and does not throw", () => {
    for (const version of [undefined, "local"]) {
      const { logger, lines } = recordingLogger();
      checkOpenCodeVersion({ version, binary: "/b", allowUnsupported: false, logger });
      expect(lines.map((line) => line.level)).toEqual(["warn"]);
    }
  });

  it("is silent for a supported version", () => {
    const { logger, lines } = recordingLogger();
    checkOpenCodeVersion({ version: "1.18.33", binary: "/b", allowUnsupported: false, logger });
    expect(lines).toEqual([]);
  });

  it("uses a given range instead of the default", () => {
    const { logger } = recordingLogger();
    expect(() =>
      checkOpenCodeVersion({
        version: "1.18.33",
        binary: "/b",
        allowUnsupported: false,
        logger,
        range: ">=1.19.0 <2",
      }),
    ).toThrow(expect.toSatisfy((e: unknown) => UnsupportedOpenCodeVersionError.isInstance(e)));
  });
});

describe("readBinaryVersion", () => {
  let temp: TempHome;

  beforeAll(async () => {
    temp = await makeTempHome("taos-oc-version-");
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  async function script(name: string, body: string): Promise<string> {
    const dir = join(temp.path, name);
    await mkdir(dir, { recursive: true });
    const path = join(dir, "opencode");
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it("reads the real binary's version", async () => {
    const version = await readBinaryVersion(opencodeBinaryPath());
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(isSupportedOpenCodeVersion(version ?? "")).toBe(true);
  });

  it("reads a fake 2.0.0, and gives undefined for a failing or silent binary", async () => {
    expect(await readBinaryVersion(await script("two", 'echo "2.0.0"'))).toBe("2.0.0");
    expect(await readBinaryVersion(await script("fails", "exit 3"))).toBeUndefined();
    expect(await readBinaryVersion(await script("silent", "exit 0"))).toBeUndefined();
    expect(await readBinaryVersion(join(temp.path, "missing"))).toBeUndefined();
  });

  it("gives undefined when the binary hangs past the timeout, and rejects on abort", async () => {
    const hangs = await script("hangs", "exec sleep 30");
    expect(await readBinaryVersion(hangs, undefined, 200)).toBeUndefined();
    const controller = new AbortController();
    const reading = readBinaryVersion(hangs, controller.signal);
    controller.abort(new Error("stop reading"));
    await expect(reading).rejects.toThrow("stop reading");
    await expect(readBinaryVersion(hangs, controller.signal)).rejects.toThrow("stop reading");
  });
});

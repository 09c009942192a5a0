import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBwrap, InvalidServerOptionError, OpenCodeServer } from "../src/index.js";
import { bwrapArgs, defaultHidden, effectiveHidden, isInside } from "../src/sandbox.js";

const SERVE = ["serve", "--port", "4242", "--hostname", "127.0.0.1"];

/** The `--flag a b` triples of an argv, as "flag a b" strings, for order checks. */
function mounts(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.indexOf("--"); i += 1) {
    const flag = args[i]!;
    if (flag === "--ro-bind" || flag === "--bind") {
      out.push(`${flag} ${args[i + 1]} ${args[i + 2]}`);
      i += 2;
    } else if (flag === "--tmpfs" || flag === "--dev" || flag === "--proc") {
      out.push(`${flag} ${args[i + 1]}`);
      i += 1;
    }
  }
  return out;
}

describe("bwrapArgs (the sandbox's argv, a pure function)", () => {
  const plan = {
    home: "/srv/agents/a1",
    cwd: "/srv/agents/a1",
    binary: "/opt/opencode/bin/opencode",
    hidden: ["/srv/agents", "/home", "/root"],
  };

  it("root read-only, private /tmp, other homes hidden, then the home read-write; the command after --", () => {
    const args = bwrapArgs(plan, SERVE);
    expect(mounts(args)).toEqual([
      "--ro-bind / /",
      "--dev /dev",
      "--proc /proc",
      "--tmpfs /tmp",
      "--tmpfs /home",
      "--tmpfs /root",
      "--tmpfs /srv/agents",
      "--bind /srv/agents/a1 /srv/agents/a1",
    ]);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", plan.binary, ...SERVE]);
    for (const flag of ["--die-with-parent", "--unshare-pid"]) expect(args).toContain(flag);
    expect(args.join(" ")).toContain("--cap-drop ALL");
    expect(args.join(" ")).toContain(`--chdir ${plan.home}`);
    // A new session would take the child out of the process group the server signals.
    expect(args).not.toContain("--new-session");
  });

  it("a home under /tmp is bound after the tmpfs; a cwd outside the home is bound too", () => {
    const args = bwrapArgs(
      { ...plan, home: "/tmp/pool/a1", cwd: "/work/project", hidden: ["/tmp/pool"] },
      SERVE,
    );
    expect(mounts(args)).toEqual([
      "--ro-bind / /",
      "--dev /dev",
      "--proc /proc",
      "--tmpfs /tmp",
      "--bind /tmp/pool/a1 /tmp/pool/a1",
      "--bind /work/project /work/project",
    ]);
    expect(args.join(" ")).toContain("--chdir /work/project");
  });

  it("a binary under a hidden directory, /tmp or the home is bound again read-only, last", () => {
    for (const binary of ["/root/.opencode/bin/opencode", "/tmp/x/opencode", "/srv/agents/a1/oc"]) {
      const args = mounts(bwrapArgs({ ...plan, binary }, SERVE));
      expect(args.at(-1)).toBe(`--ro-bind ${binary} ${binary}`);
    }
    expect(mounts(bwrapArgs(plan, SERVE)).join("\n")).not.toContain(plan.binary);
  });

  it("effectiveHidden drops /, /tmp and what an outer hidden directory covers, shortest first", () => {
    expect(effectiveHidden(["/root/agents", "/", "/tmp/a", "/root", "/home", "/root"])).toEqual([
      "/home",
      "/root",
    ]);
  });

  it("isInside compares whole path segments", () => {
    expect(isInside("/a/b", "/a")).toBe(true);
    expect(isInside("/a", "/a")).toBe(true);
    expect(isInside("/ab", "/a")).toBe(false);
    expect(isInside("/a/../b", "/a")).toBe(false);
  });

  it("defaultHidden: the home's parent (the other agents), /home, /root and the host user's home", () => {
    expect(defaultHidden("/srv/agents/a1", "/var/lib/taos")).toEqual([
      "/srv/agents",
      "/home",
      "/root",
      "/var/lib/taos",
    ]);
  });
});

describe("the sandbox option", () => {
  let temp: TempHome;
  const base = {
    home: "/tmp/taos-oc-sandbox-never-created",
    litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: "sk-sandbox-opt-0123", modelIds: ["m"] },
  };

  beforeAll(async () => {
    temp = await makeTempHome("taos-oc-sandbox-opt-");
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  function construct(patch: Record<string, unknown>, env?: Record<string, string>): unknown {
    const saved = process.env.PATH;
    if (env?.PATH !== undefined) process.env.PATH = env.PATH;
    try {
      new OpenCodeServer({ ...base, ...patch } as never);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      process.env.PATH = saved;
    }
  }

  it("findBwrap looks on PATH only", async () => {
    const dir = join(temp.path, "bin");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "bwrap"), "#!/bin/sh\n");
    await chmod(join(dir, "bwrap"), 0o755);
    expect(findBwrap({ PATH: `/nonexistent:${dir}` })).toBe(join(dir, "bwrap"));
    expect(findBwrap({ PATH: join(temp.path, "empty") })).toBeUndefined();
    expect(findBwrap({})).toBeUndefined();
  });

  it('"bwrap" without bubblewrap installed is an InvalidServerOptionError naming sandbox', () => {
    const error = construct({ sandbox: "bwrap" }, { PATH: join(temp.path, "empty") });
    expect(InvalidServerOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidServerOptionError).field).toBe("sandbox");
    expect((error as Error).message).toContain("bubblewrap");
  });

  it.each([
    ["sandbox", { sandbox: "docker" }],
    ["bwrapPath", { sandbox: "bwrap", bwrapPath: "relative/bwrap" }],
    ["bwrapPath", { sandbox: "bwrap", bwrapPath: "/nonexistent/bwrap" }],
    ["sandboxHide", { sandboxHide: "/srv" }],
    ["sandboxHide[1]", { sandboxHide: ["/srv", "srv"] }],
  ])("bad %s", (field, patch) => {
    const error = construct(patch);
    expect(InvalidServerOptionError.isInstance(error)).toBe(true);
    expect((error as InvalidServerOptionError).field).toBe(field);
  });

  it('"none" (the default) needs no bwrap', () => {
    expect(construct({}, { PATH: join(temp.path, "empty") })).toBeUndefined();
    expect(construct({ sandbox: "none" }, { PATH: join(temp.path, "empty") })).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { buildServerEnv, DEFAULT_SERVER_ENV } from "../src/env.js";

const base = {
  PATH: "/usr/bin",
  HOME: "/root",
  OPENCODE_CONFIG_CONTENT: '{"provider":{}}',
  OPENCODE_SERVER_PASSWORD: "host-secret",
};

describe("buildServerEnv", () => {
  it("drops the host's OPENCODE_* variables and adds the defaults, the home and the auth", () => {
    const env = buildServerEnv({
      home: "/srv/a",
      env: undefined,
      username: "u",
      password: "p",
      base,
    });
    expect(env).toEqual({
      PATH: "/usr/bin",
      ...DEFAULT_SERVER_ENV,
      HOME: "/srv/a",
      XDG_CONFIG_HOME: "/srv/a/.config",
      XDG_DATA_HOME: "/srv/a/.local/share",
      XDG_CACHE_HOME: "/srv/a/.cache",
      XDG_STATE_HOME: "/srv/a/.local/state",
      OPENCODE_SERVER_USERNAME: "u",
      OPENCODE_SERVER_PASSWORD: "p",
    });
  });

  it("adds the env option's variables; undefined there takes a default out", () => {
    const withDefaults = buildServerEnv({
      home: "/srv/a",
      env: {},
      username: "u",
      password: null,
      base,
    });
    expect(withDefaults.OPENCODE_DISABLE_CLAUDE_CODE).toBe("1");
    expect(withDefaults.OPENCODE_SERVER_PASSWORD).toBeUndefined();
    const without = buildServerEnv({
      home: "/srv/a",
      env: { OPENCODE_DISABLE_CLAUDE_CODE: undefined, EXTRA: "x" },
      username: "u",
      password: null,
      base,
    });
    expect(without.OPENCODE_DISABLE_CLAUDE_CODE).toBeUndefined();
    expect(without.EXTRA).toBe("x");
  });

  it("keeps each server's state under its home whatever the env option says", () => {
    const env = buildServerEnv({
      home: "/srv/a",
      env: { HOME: "/elsewhere", XDG_DATA_HOME: "/shared" },
      username: "u",
      password: null,
      base,
    });
    expect([env.HOME, env.XDG_DATA_HOME]).toEqual(["/srv/a", "/srv/a/.local/share"]);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCliArgs } from "../src/cli-args.js";
import { CliUsageError } from "../src/cli-command-types.js";
import { STAND_IN_MODEL } from "../src/cli-usage.js";

const dir = mkdtempSync(join(tmpdir(), "taos-cli-args-"));
const file = join(dir, "file.txt");
writeFileSync(file, "x");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usageError(argv: string[], env: Record<string, string> = {}): CliUsageError {
  try {
    parseCliArgs(argv, env);
  } catch (error) {
    if (CliUsageError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
}

describe("parseCliArgs", () => {
  it("parses a run with the built-in stand-in by default", () => {
    expect(parseCliArgs(["run", "Hello"], {})).toEqual({
      kind: "run",
      message: "Hello",
      turn: {
        sessionId: undefined,
        agent: undefined,
        system: undefined,
        variant: undefined,
        files: [],
        schemaFile: undefined,
      },
      server: undefined,
      options: {
        upstream: { kind: "stand-in" },
        modelId: STAND_IN_MODEL,
        home: undefined,
        cwd: undefined,
        port: 0,
        json: false,
        verbose: false,
        otel: false,
      },
    });
  });

  it("joins several words into one message and reads every flag", () => {
    const command = parseCliArgs(
      [
        "run",
        "Hello",
        "there",
        "--base-url",
        "http://litellm:4000/v1",
        "--model",
        "gpt-4o",
        "--session",
        "ses_abc",
        "--cwd",
        dir,
        "--home",
        join(dir, "home"),
        "--port",
        "4242",
        "--json",
        "--verbose",
        "--otel",
        "--agent",
        "plan",
        "--system",
        "Be brief.",
        "--variant",
        "high",
        "--file",
        "a.txt",
        "--file",
        file,
        "--schema",
        "schema.json",
      ],
      { TAOS_LITELLM_KEY: "sk-agent" },
    );
    expect(command).toEqual({
      kind: "run",
      message: "Hello there",
      turn: {
        sessionId: "ses_abc",
        agent: "plan",
        system: "Be brief.",
        variant: "high",
        files: [resolve("a.txt"), file],
        schemaFile: resolve("schema.json"),
      },
      server: undefined,
      options: {
        upstream: { kind: "litellm", baseURL: "http://litellm:4000/v1", apiKey: "sk-agent" },
        modelId: "gpt-4o",
        home: join(dir, "home"),
        cwd: dir,
        port: 4242,
        json: true,
        verbose: true,
        otel: true,
      },
    });
  });

  it("parses serve, help and version", () => {
    expect(parseCliArgs(["serve", "--port", "0"], {})).toMatchObject({
      kind: "serve",
      options: { port: 0 },
    });
    for (const argv of [["--help"], ["-h"], ["run", "--help"], ["serve", "-h"]]) {
      expect(parseCliArgs(argv, {})).toEqual({ kind: "help" });
    }
    for (const argv of [["--version"], ["-V"]]) {
      expect(parseCliArgs(argv, {})).toEqual({ kind: "version" });
    }
  });

  it.each([
    [["run", "hi", "--bogus"], "--bogus", /unknown option --bogus/],
    [["run", "hi", "--model"], "--model", /--model needs a value/],
    [["run", "hi", "--json=yes"], "--json", /--json takes no value/],
    [["run", "hi", "--base-url", "ftp://x"], "--base-url", /--base-url must be an http\(s\) URL/],
    [["run", "hi", "--base-url", "not a url"], "--base-url", /--base-url/],
    [["run", "hi", "--port", "70000"], "--port", /--port must be an integer/],
    [["run", "hi", "--port", "-1"], "--port", /--port/],
    [["run", "hi", "--port", "1.5"], "--port", /--port must be an integer/],
    [["run", "hi", "--model", " "], "--model", /--model must not be empty/],
    [["run", "hi", "--cwd", join(dir, "missing")], "--cwd", /no such directory/],
    [["run", "hi", "--cwd", file], "--cwd", /not a directory/],
    [["run", "hi", "--home", file], "--home", /not a directory/],
    [["run", "hi", "--session", "a b"], "--session", /--session must be a session id/],
    [["serve", "--session", "ses_x"], "--session", /only for run/],
    [["run", "hi", "--session", "ses_x"], "--session", /--session needs --home or --server/],
    [["serve", "--agent", "plan"], "--agent", /only for run/],
    [["serve", "--file", "a.txt"], "--file", /only for run/],
    [["serve", "--server", "http://127.0.0.1:4096"], "--server", /only for run/],
    [["run", "hi", "--system", " "], "--system", /--system must not be empty/],
    [["run", "hi", "--file", ""], "--file", /--file must not be empty/],
    [["run", "hi", "--server", "ftp://x"], "--server", /--server must be an http\(s\) URL/],
    [["run", "hi", "--server", "http://u:p@127.0.0.1:1"], "--server", /TAOS_OPENCODE_PASSWORD/],
    [["run", "hi", "--server", "http://127.0.0.1:1", "--home", dir], "--home", /already running/],
    [["run", "hi", "--server", "http://127.0.0.1:1", "--port", "1"], "--port", /already running/],
  ])("rejects %j naming %s", (argv, flag, pattern) => {
    const error = usageError(argv, { TAOS_LITELLM_KEY: "sk-agent" });
    expect(error.flag).toBe(flag);
    expect(error.message).toMatch(pattern);
    expect(error.message).toContain(flag);
  });

  it("needs the key in TAOS_LITELLM_KEY with --base-url, and never echoes it", () => {
    const missing = usageError(["run", "hi", "--base-url", "http://l:4000/v1", "--model", "m"]);
    expect(missing.flag).toBe("TAOS_LITELLM_KEY");
    const command = parseCliArgs(["run", "hi", "--base-url", "http://l:4000/v1", "--model", "m"], {
      TAOS_LITELLM_KEY: "sk-secret-1",
    });
    expect(command).toMatchObject({ options: { upstream: { apiKey: "sk-secret-1" } } });
    const bad = usageError(["run", "hi", "--base-url", "ftp://l"], {
      TAOS_LITELLM_KEY: "sk-secret-1",
    });
    expect(bad.message).not.toContain("sk-secret-1");
  });

  it("needs --model with --base-url", () => {
    const error = usageError(["run", "hi", "--base-url", "http://l:4000/v1"], {
      TAOS_LITELLM_KEY: "k",
    });
    expect(error.flag).toBe("--model");
  });

  it("rejects a missing message, a missing or unknown command, and a message for serve", () => {
    expect(usageError(["run"]).message).toMatch(/run needs a message/);
    expect(usageError(["run", "  "]).message).toMatch(/run needs a message/);
    expect(usageError([]).message).toMatch(/missing command/);
    expect(usageError(["chat"]).message).toMatch(/unknown command "chat"/);
    expect(usageError(["--bogus"]).flag).toBe("--bogus");
    expect(usageError(["serve", "hello"]).message).toMatch(/serve takes no message/);
  });

  it("takes a message that starts with a dash after --", () => {
    expect(parseCliArgs(["run", "--", "--not-a-flag"], {})).toMatchObject({
      message: "--not-a-flag",
    });
  });

  it("runs on a server already running with --server, its password from the environment", () => {
    const command = parseCliArgs(
      ["run", "hi", "--server", "http://127.0.0.1:4096/", "--session", "ses_1"],
      { TAOS_OPENCODE_PASSWORD: "pw-1" },
    );
    expect(command).toMatchObject({
      kind: "run",
      server: { url: "http://127.0.0.1:4096", password: "pw-1" },
      turn: { sessionId: "ses_1" },
      options: { modelId: STAND_IN_MODEL },
    });
    expect(parseCliArgs(["run", "hi", "--server", "http://127.0.0.1:4096"], {})).toMatchObject({
      server: { url: "http://127.0.0.1:4096", password: undefined },
    });
  });
});

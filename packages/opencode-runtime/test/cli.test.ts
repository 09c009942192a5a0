import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import type { Reply } from "@taos/opencode-adapter";
import { isProcessAlive, scaled } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import {
  cli,
  home,
  KEY,
  llm,
  sessionOf,
  upstream,
  useCliStack,
  VERSION,
  withKey,
} from "./cli-support.js";
import { pidsWithHome } from "./processes.js";

useCliStack();

describe("taos-opencode (built), usage", () => {
  it("prints help and the version", async () => {
    const help = await cli(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('taos-opencode run "message"');
    expect(help.stdout).toContain("TAOS_LITELLM_KEY");
    const version = await cli(["--version"]);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toBe(VERSION);
  });

  it.each([
    [["run", "hi", "--bogus"], "--bogus"],
    [["run", "hi", "--port", "abc"], "--port"],
    [["run", "hi", "--model"], "--model"],
    [["run", "hi", "--base-url", "ftp://nowhere"], "--base-url"],
    [["run", "hi", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], "TAOS_LITELLM_KEY"],
    [["serve", "--json=1"], "--json"],
    [["run"], "message"],
    [["frobnicate"], "frobnicate"],
    [["run", "hi", "--file", "/nonexistent/notes.txt"], "/nonexistent/notes.txt"],
    [["run", "hi", "--schema", "/nonexistent/schema.json"], "/nonexistent/schema.json"],
  ])("exits 2 on %j, naming %s, and starts nothing", async (args, flag) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(flag);
    expect(result.stderr).toContain("--help");
  });
});

/** A JSON Schema file of a city and its population (no other property). */
function citySchema(): string {
  const path = join(home.path, "city.schema.json");
  writeFileSync(
    path,
    JSON.stringify({
      type: "object",
      properties: { city: { type: "string" }, population: { type: "integer" } },
      required: ["city", "population"],
      additionalProperties: false,
    }),
  );
  return path;
}

// Each run starts its own server (and some tests several runs): slow on a loaded machine.
describe("taos-opencode run against the real opencode serve", { timeout: scaled(120_000) }, () => {
  it("runs the built-in stand-in's agent turn and leaves nothing behind", async () => {
    const result = await cli(["run", "Hello from the CLI test", "--verbose"]);
    expect(result.exitCode).toBe(0);
    // The stand-in's agent turn: a reasoning line, one bash call, an answer quoting its output.
    const machine = execFileSync("uname", ["-sm"], { encoding: "utf8" }).trim();
    expect(result.stdout).toContain(`it printed "${machine}"`);
    expect(result.stdout).toContain('You wrote: "Hello from the CLI test"');
    expect(result.stderr).toMatch(/^\[reasoning\] The user wrote "Hello from the CLI test"/m);
    expect(
      result.stderr.match(/^\[tool\] bash: Show the operating system and machine type$/gm),
    ).toHaveLength(1);
    expect(result.stderr).toContain(`[tool] bash → ${machine}`);
    expect(sessionOf(result.stderr)).toMatch(/^ses_/);
    const started = /opencode serve running (\{.*\})/.exec(result.stderr)?.[1];
    expect(started).toBeDefined();
    const { pid, home: tempHome } = JSON.parse(started ?? "{}") as { pid: number; home: string };
    expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(tempHome)).toBe(false);
    expect(pidsWithHome(tempHome)).toEqual([]);
  });

  it("--json writes only NDJSON replies on stdout, ending with the final", async () => {
    llm.setRules([{ match: "json please", reply: { text: "one two three", chunks: 3 } }]);
    const result = await cli(["run", "json please", "--json", ...upstream()], withKey);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split("\n");
    const replies = lines.map((line) => JSON.parse(line) as Reply);
    expect(replies.length).toBeGreaterThan(1);
    expect(new Set(replies.map((reply) => reply.trace_id)).size).toBe(1);
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "one two three" });
    const deltas = replies.flatMap((reply) => (reply.kind === "delta" ? [reply.content] : []));
    expect(deltas.join("")).toBe("one two three");
    expect(sessionOf(result.stderr)).toMatch(/^ses_/);
  });

  it("shows a tool call as one summary line", async () => {
    llm.setRules([
      {
        match: "use the tool",
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Say hi" } }],
          then: { text: "The command printed hi." },
        },
      },
    ]);
    const result = await cli(["run", "use the tool", ...upstream()], withKey);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("The command printed hi.");
    expect(result.stderr.match(/^\[tool\] bash: Say hi$/gm)).toHaveLength(1);
    expect(result.stderr.match(/^\[tool\] bash → hi$/gm)).toHaveLength(1);
  });

  it("continues a session with --session and --home", async () => {
    llm.setRules([
      { match: "remember 42", reply: { text: "I will remember 42." } },
      { match: "what number", reply: { text: "The number was 42." } },
    ]);
    const first = await cli(["run", "remember 42", ...upstream()], withKey);
    expect(first.exitCode).toBe(0);
    const session = sessionOf(first.stderr);
    const second = await cli(["run", "what number", "--session", session, ...upstream()], withKey);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe("The number was 42.");
    expect(sessionOf(second.stderr)).toBe(session);
    const request = llm.requests.filter((r) => !r.isTitleRequest).at(-1);
    const transcript = JSON.stringify(request?.messages);
    expect(transcript).toContain("remember 42");
    expect(transcript).toContain("I will remember 42.");
  });

  it("sends --system, --agent and --file attachments with the turn", async () => {
    llm.setRules([{ match: "check the notes", reply: { text: "Read them." } }]);
    const notes = join(home.path, "notes-for-cli.txt");
    writeFileSync(notes, "The launch code is 7431.");
    const result = await cli(
      [
        "run",
        "check the notes",
        "--system",
        "System marker 51c.",
        "--agent",
        "plan",
        "--file",
        notes,
        ...upstream(),
      ],
      withKey,
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("Read them.");
    const request = llm.requests.filter((r) => !r.isTitleRequest).at(-1);
    const transcript = JSON.stringify(request?.messages);
    expect(transcript).toContain("System marker 51c.");
    expect(transcript).toContain("The launch code is 7431.");
    expect(request?.lastUserText).toContain("Plan mode ACTIVE");
  });

  it("--schema prints the structured object as JSON on stdout", async () => {
    llm.setRules([
      {
        match: "largest city",
        reply: { structured: { value: { city: "Tokyo", population: 37 } } },
      },
    ]);
    const result = await cli(
      ["run", "largest city", "--schema", citySchema(), ...upstream()],
      withKey,
    );
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ city: "Tokyo", population: 37 });
    const request = llm.requests.filter((r) => !r.isTitleRequest).at(-1);
    expect(request?.tools).toContain("StructuredOutput");
  });

  it("--schema exits 1 on an object that does not fit, the error coded", async () => {
    llm.setRules([{ match: "broken city", reply: { structured: { invalid: true } } }]);
    const result = await cli(
      ["run", "broken city", "--schema", citySchema(), "--json", ...upstream()],
      withKey,
    );
    expect(result.exitCode).toBe(1);
    const last = JSON.parse(result.stdout.split("\n").at(-1) ?? "{}") as Reply;
    expect(last).toMatchObject({ kind: "error", code: "structured_output_invalid" });
  });

  it("shows a retried model call on stderr, and the answer after it", async () => {
    let calls = 0;
    llm.setRules([
      {
        match: (request) => request.lastUserText === "flaky upstream" && ++calls === 1,
        reply: { error: { status: 500, message: "upstream hiccup" } },
      },
      { match: "flaky upstream", reply: { text: "Answered on the second try." } },
    ]);
    const result = await cli(["run", "flaky upstream", ...upstream()], withKey);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("Answered on the second try.");
    expect(result.stderr).toMatch(/^retrying the model call \(attempt 2\): .*hiccup/m);
  });

  it("exits 1 with the upstream message when LiteLLM answers 401, never showing the key", async () => {
    llm.setRules([{ match: "hello", reply: { error: { status: 401 } } }]);
    const result = await cli(["run", "hello", ...upstream()], withKey);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: .*Authentication Error/m);
    expect(result.stdout).not.toContain("final");
    expect(`${result.stdout}${result.stderr}`).not.toContain(KEY);
  });

  it("--json reports a server that cannot start as an error line and exits 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await cli(
        ["run", "hi", "--json", "--port", String(port), ...upstream()],
        withKey,
      );
      expect(result.exitCode).toBe(1);
      const lines = result.stdout.split("\n").map((line) => JSON.parse(line) as Reply);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ kind: "error" });
      expect((lines[0] as { error: string }).error).toMatch(
        new RegExp(`^opencode server could not be started: .*${port}`),
      );
      expect(result.stdout).not.toContain(KEY);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("exits 130 on SIGINT during a turn and leaves no opencode process", async () => {
    llm.setRules([{ match: "stall here", reply: { stall: { ms: 120_000 } } }]);
    const seen = llm.requests.length;
    const child = cli(["run", "stall here", ...upstream()], withKey);
    await expect
      .poll(() => llm.requests.slice(seen).some((r) => r.lastUserText === "stall here"), {
        timeout: scaled(45_000),
        interval: 50,
      })
      .toBe(true);
    expect(pidsWithHome(home.path).length).toBeGreaterThan(0);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(pidsWithHome(home.path)).toEqual([]);
  });
});

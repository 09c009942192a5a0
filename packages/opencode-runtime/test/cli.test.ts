import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { Reply } from "@taos/opencode-adapter";
import { isProcessAlive, makeTempHome, scaled, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startFakeOpenCode,
  statusEvent,
  userMessageEvent,
} from "../../opencode-adapter/test/fake-opencode.js";
import { pidsWithHome } from "./processes.js";

// The command, as a user runs it: its bin file, which loads the build (`pnpm build` first;
// turbo runs build before test).
const CLI = fileURLToPath(new URL("../bin/taos-opencode.js", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
const KEY = "sk-cli-test-key-7f3a";
const MODEL = "fake-model";

let llm: FakeLiteLLM;
let home: TempHome;

beforeAll(async () => {
  const built = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
  if (!existsSync(built)) throw new Error(`build the package first: ${built} is missing`);
  llm = await startFakeLiteLLM({ keys: [KEY], models: [MODEL] });
  home = await makeTempHome("taos-cli-");
});

afterAll(async () => {
  await llm?.close();
  await home?.cleanup();
});

function cli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}) {
  const { TAOS_LITELLM_KEY: _drop, ...inherited } = process.env;
  return execa("node", [CLI, ...args], {
    reject: false,
    stdin: "ignore",
    env: options.env ?? inherited,
    extendEnv: false,
  });
}

/** Flags that point the command at this file's stand-in and home. */
function upstream(): string[] {
  return ["--base-url", llm.url, "--model", MODEL, "--home", home.path];
}
const withKey = { env: { ...process.env, TAOS_LITELLM_KEY: KEY } };

function sessionOf(stderr: string): string {
  const id = /^session: (ses_\S+)$/m.exec(stderr)?.[1];
  if (!id) throw new Error(`no session line in:\n${stderr}`);
  return id;
}

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

interface ServeInfo {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly pid: number;
}

/** `taos-opencode serve --json` in the background, once it printed its line. */
async function startServe() {
  const child = cli(["serve", "--json", ...upstream()], withKey);
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf("\n");
      if (end !== -1) resolve(buffered.slice(0, end));
    });
    child.then(
      (result) => reject(new Error(`serve exited ${result.exitCode}: ${result.stderr}`)),
      reject,
    );
  });
  return { child, line, info: JSON.parse(line) as ServeInfo };
}

describe("taos-opencode serve", { timeout: scaled(120_000) }, () => {
  it("prints the URL and credentials, serves until SIGINT, then stops the server", async () => {
    const { child, line, info } = await startServe();
    expect(line).not.toContain(KEY);
    const unauthenticated = await fetch(`${info.url}/global/health`);
    expect(unauthenticated.status).toBe(401);
    const authorization = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString("base64")}`;
    const healthy = await fetch(`${info.url}/global/health`, { headers: { authorization } });
    expect(healthy.status).toBe(200);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(isProcessAlive(info.pid)).toBe(false);
    expect(pidsWithHome(home.path)).toEqual([]);
  });

  it("takes turns from run --server, which starts nothing and continues a session", async () => {
    llm.setRules([
      { match: "remember 17", reply: { text: "I will remember 17." } },
      { match: "which number", reply: { text: "It was 17." } },
    ]);
    const { child, info } = await startServe();
    try {
      const env = { ...process.env, TAOS_OPENCODE_PASSWORD: info.password };
      const run = (args: string[]) =>
        cli(["run", ...args, "--server", info.url, "--model", MODEL], { env });
      const first = await run(["remember 17"]);
      expect(first.exitCode).toBe(0);
      expect(first.stdout).toBe("I will remember 17.");
      expect(pidsWithHome(home.path)).toEqual([info.pid]);
      const session = sessionOf(first.stderr);
      const second = await run(["which number", "--session", session]);
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toBe("It was 17.");
      expect(sessionOf(second.stderr)).toBe(session);
      expect(`${first.stderr}${second.stderr}`).not.toContain(info.password);

      const wrong = await cli(["run", "hello", "--server", info.url], {
        env: { ...process.env, TAOS_OPENCODE_PASSWORD: "not-the-password-4e2" },
      });
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stderr).toMatch(/^error: /m);
      expect(wrong.stderr).not.toContain("not-the-password-4e2");
    } finally {
      child.kill("SIGINT");
      await child;
    }
    expect(isProcessAlive(info.pid)).toBe(false);
  });

  it("exits 1 with a no_answer error when opencode takes the message and answers nothing", async () => {
    const fake = await startFakeOpenCode({
      onPrompt: (server, sessionID) => {
        server.send(userMessageEvent(sessionID, server.lastMessageId()));
        server.send(statusEvent(sessionID, "busy"));
        server.send(statusEvent(sessionID, "idle"));
      },
    });
    try {
      const run = await cli(["run", "hello", "--server", fake.url, "--model", MODEL, "--json"]);
      expect(run.exitCode).toBe(1);
      const replies = run.stdout.split("\n").map((line) => JSON.parse(line) as Reply);
      expect(replies).toEqual([expect.objectContaining({ kind: "error", code: "no_answer" })]);
    } finally {
      await fake.close();
    }
  });
});

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
  child = undefined;
});

/** Starts the CLI (through tsx, from source) and resolves with its first stdout line. */
async function startCli(args: string[]): Promise<{ proc: ChildProcess; first: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let out = "";
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const first = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    proc.once("exit", (code) => reject(new Error(`cli exited ${code}: ${err}`)));
  });
  return { proc, first };
}

describe("fake-litellm CLI", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "prints {url} on one line, serves with the given key, and exits 0 on %s",
    async (signal) => {
      const { proc, first } = await startCli([
        "--port",
        "0",
        "--key",
        "sk-cli-1",
        "--key",
        "sk-cli-2",
      ]);
      const { url } = JSON.parse(first) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const ok = await fetch(`${url}/models`, { headers: { authorization: "Bearer sk-cli-2" } });
      expect(ok.status).toBe(200);
      await ok.json();
      const bad = await fetch(`${url}/models`, { headers: { authorization: "Bearer sk-test" } });
      expect(bad.status).toBe(401);
      await bad.json();
      const exited = once(proc, "exit");
      proc.kill(signal);
      expect(await exited).toEqual([0, null]);
    },
  );

  it("serves the agent demo with --script agent", async () => {
    const { proc, first } = await startCli(["--script", "agent"]);
    const { url } = JSON.parse(first) as { url: string };
    const res = await fetch(`${url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
      body: JSON.stringify({
        model: "fake-model",
        messages: [{ role: "user", content: "Say hello" }],
        tools: [{ type: "function", function: { name: "bash", parameters: {} } }],
      }),
    });
    const body = (await res.json()) as {
      choices: Array<{ message: { tool_calls?: Array<{ function: { name: string } }> } }>;
    };
    expect(body.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("bash");
    const exited = once(proc, "exit");
    proc.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
  });

  it.each([
    [["--port", "nope"], "--port"],
    [["--script", "poem"], "--script"],
  ])("rejects %j with exit code 2", async (args, named) => {
    const proc = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = proc;
    let err = "";
    proc.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const [code] = await once(proc, "exit");
    expect(code).toBe(2);
    expect(err).toContain(named);
  });
});

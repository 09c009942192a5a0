/**
 * Security across the stack, on a runtime started with defaults: the agent's key never
 * shows in a log (ours, the server's log file, opencode's own logs), an error, a reply or
 * the process list; the config and log files are 0600 in 0700 directories; and the server
 * refuses requests without credentials.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { opencodeConfigPath } from "@taos/opencode-config";
import { OpenCodeRuntime } from "@taos/opencode-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allProcessArgs, processesOfHome } from "../src/processes.js";
import { ReplyRecorder } from "../src/recorder.js";
import { MODEL_ID, type Stack, startStack } from "../src/stack.js";

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, "0");
}

describe("security across the stack", () => {
  let stack: Stack;
  const recorder = new ReplyRecorder();
  const results: unknown[] = [];
  const errors: string[] = [];
  const ownLogs = new Map<string, string>();

  beforeAll(async () => {
    stack = await startStack();
    const key = stack.apiKey;
    stack.llm.setRules([
      { match: "plain", reply: { text: "A plain answer." } },
      // An upstream that quotes the key back in its error (some proxies do).
      {
        match: "echoes the key",
        reply: { error: { status: 400, message: `bad request for key ${key}` } },
      },
      { match: "rejected", reply: { error: { status: 401 } } },
      {
        match: "tool",
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "hi" } }],
        },
      },
    ]);
    for (const prompt of ["plain", "rejected", "tool"]) {
      results.push(
        await stack.runtime.turn(prompt, { traceId: `sec-${prompt}`, sink: recorder.sink }),
      );
    }
    // opencode's own log, before an upstream quotes the key (opencode logs such texts verbatim).
    for (const path of filesUnder(stack.home.path).filter((file) => file.endsWith(".log"))) {
      if (!path.endsWith("/serve.log")) ownLogs.set(path, readFileSync(path, "latin1"));
    }
    const prompt = "echoes the key";
    results.push(
      await stack.runtime.turn(prompt, { traceId: `sec-${prompt}`, sink: recorder.sink }),
    );
    // Bad options that carry the key: the errors must name the field, not show the key.
    const badOptions = [
      { baseURL: "not a url", apiKey: key, modelIds: [MODEL_ID] },
      { baseURL: stack.llm.url, apiKey: `${key} with a space`, modelIds: [MODEL_ID] },
      { baseURL: stack.llm.url, apiKey: key, modelIds: [] },
    ];
    for (const litellm of badOptions) {
      try {
        new OpenCodeRuntime({ server: { home: stack.home.path, litellm } });
        errors.push("no error");
      } catch (error) {
        errors.push(
          error instanceof Error
            ? `${error.name}: ${error.message} ${String(error.stack)}`
            : String(error),
        );
      }
    }
  });

  afterAll(async () => {
    const left = await stack?.close();
    expect(left).toEqual([]);
  });

  it("used the key: the stand-in saw it as the Bearer token", () => {
    expect(stack.llm.requests.some((request) => request.key === stack.apiKey)).toBe(true);
  });

  it("keeps the key out of replies and turn results, even when the upstream quotes it", () => {
    const echoed = recorder.of("sec-echoes the key");
    expect(echoed.at(-1)?.kind).toBe("error");
    expect(JSON.stringify(recorder.all)).not.toContain(stack.apiKey);
    expect(JSON.stringify(results)).not.toContain(stack.apiKey);
  });

  it("keeps the key out of error messages, which name the bad field", () => {
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      expect(error).not.toBe("no error");
      expect(error).not.toContain(stack.apiKey);
    }
    expect(errors[0]).toMatch(/baseURL/);
    expect(errors[1]).toMatch(/apiKey/);
    expect(errors[2]).toMatch(/modelIds/);
  });

  it("keeps the key out of our logs: the logger and the server's log file", () => {
    expect(stack.logger.records.length).toBeGreaterThan(0);
    expect(stack.logger.text()).not.toContain(stack.apiKey);
    const serveLog = readFileSync(
      join(stack.home.path, ".config", "opencode", "serve.log"),
      "latin1",
    );
    expect(serveLog.length).toBeGreaterThan(0);
    expect(serveLog).not.toContain(stack.apiKey);
  });

  it("keeps the key out of opencode's own log while no upstream quotes it", () => {
    expect([...ownLogs.keys()].map((path) => path.slice(stack.home.path.length))).toContain(
      "/.local/share/opencode/log/opencode.log",
    );
    for (const [path, text] of ownLogs) expect(text, path).not.toContain(stack.apiKey);
  });

  it("keeps the key out of the process list", () => {
    const ours = processesOfHome(stack.home.path);
    expect(ours.map((info) => info.pid)).toContain(stack.runtime.server.pid);
    for (const info of allProcessArgs())
      expect(info.args, `pid ${info.pid}`).not.toContain(stack.apiKey);
  });

  it("writes the config and the log file 0600 in 0700 directories", () => {
    const config = opencodeConfigPath(stack.home.path);
    const log = join(stack.home.path, ".config", "opencode", "serve.log");
    expect(readFileSync(config, "utf8")).toContain(stack.apiKey);
    for (const path of [config, log]) {
      expect(mode(path), path).toBe("0600");
      expect(mode(dirname(path)), dirname(path)).toBe("0700");
    }
  });

  it("refuses requests without credentials when started with defaults", async () => {
    const base = stack.runtime.server.baseUrl;
    const auth = stack.runtime.server.authHeader();
    expect(stack.runtime.server.auth).not.toBeNull();
    expect(auth).toBeDefined();
    for (const path of ["/global/health", "/session", "/global/event", "/doc"]) {
      const response = await fetch(`${base}${path}`);
      await response.body?.cancel();
      expect(response.status, path).toBe(401);
    }
    const wrong = await fetch(`${base}/global/health`, {
      headers: { authorization: `Basic ${Buffer.from("opencode:wrong").toString("base64")}` },
    });
    await wrong.body?.cancel();
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/global/health`, {
      headers: { authorization: auth as string },
    });
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ healthy: true });
  });
});

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { metrics, trace } from "@opentelemetry/api";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliOtelUnavailableError, startCliTelemetry } from "../src/cli-otel.js";

// The built command, as a user runs it (`pnpm build` first; turbo runs build before test).
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const KEY = "sk-cli-otel-key-5d21";
const MODEL = "fake-model";
const PROMPT_MARK = "kingfisher";

describe("startCliTelemetry", () => {
  it("prints each span as it ends and the metrics at shutdown, then unregisters", async () => {
    const lines: string[] = [];
    const telemetry = await startCliTelemetry((line) => lines.push(line));
    const span = trace.getTracer("t").startSpan("demo", { attributes: { "a.b": 1 } });
    span.addEvent("step", { n: 2 });
    span.end();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[otel\] span demo \d+ ms trace=[0-9a-f]{32} span=[0-9a-f]{16} /);
    expect(lines[0]).toContain('{"a.b":1}');
    expect(lines[0]).toContain('events=[{"name":"step","n":2}]');
    metrics.getMeter("t").createCounter("demo.count", { unit: "{x}" }).add(3, { k: "v" });
    await telemetry.shutdown();
    expect(lines[1]).toBe('[otel] metric demo.count {x} {"k":"v"} value=3');
    expect(trace.getTracer("t").startSpan("after").isRecording()).toBe(false);
  });

  it("fails with the package to install when one is missing, registering nothing", async () => {
    const importer = async (name: string): Promise<unknown> => {
      if (name === "@opentelemetry/sdk-metrics") throw new Error("Cannot find package");
      return import(name);
    };
    const failure = await startCliTelemetry(() => undefined, importer).catch((error) => error);
    expect(CliOtelUnavailableError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toContain("--otel needs @opentelemetry/sdk-metrics");
    expect((failure as Error).message).toContain("npm i @opentelemetry/api");
    expect(trace.getTracer("t").startSpan("none").isRecording()).toBe(false);
  });
});

describe("taos-opencode run --otel (built) against the real opencode serve", () => {
  let llm: FakeLiteLLM;
  let home: TempHome;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`build the package first: ${CLI} is missing`);
    llm = await startFakeLiteLLM({
      keys: [KEY],
      models: [MODEL],
      rules: [
        {
          match: "use the tool",
          reply: {
            toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Say hi" } }],
            then: { text: "The command printed hi." },
          },
        },
      ],
    });
    home = await makeTempHome("taos-cli-otel-");
  });

  afterAll(async () => {
    await llm?.close();
    await home?.cleanup();
  });

  it("prints the server start span, the turn span with its tool event, and the metrics", async () => {
    const { TAOS_LITELLM_KEY: _drop, ...inherited } = process.env;
    const result = await execa(
      "node",
      [
        CLI,
        "run",
        `use the tool, ${PROMPT_MARK}`,
        "--otel",
        ...["--base-url", llm.url, "--model", MODEL, "--home", home.path],
      ],
      {
        reject: false,
        stdin: "ignore",
        env: { ...inherited, TAOS_LITELLM_KEY: KEY },
        extendEnv: false,
      },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("The command printed hi.");
    const otelLines = result.stderr.split("\n").filter((line) => line.startsWith("[otel] "));
    const start = otelLines.find((line) => line.startsWith("[otel] span opencode.server.start "));
    expect(start).toContain('"taos.opencode.version":"');
    expect(start).toContain('"taos.server.outcome":"ready"');
    const turn = otelLines.find((line) => line.startsWith("[otel] span invoke_agent opencode "));
    expect(turn).toContain(`"gen_ai.request.model":"${MODEL}"`);
    expect(turn).toContain('"taos.turn.outcome":"completed"');
    expect(turn).toMatch(/"gen_ai\.conversation\.id":"ses_/);
    expect(turn).toMatch(/events=\[\{"name":"taos\.tool_call","gen_ai\.tool\.name":"bash"/);
    const metricNames = otelLines
      .filter((line) => line.startsWith("[otel] metric "))
      .map((line) => line.split(" ")[2]);
    expect(new Set(metricNames)).toEqual(
      new Set([
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "taos.opencode.turns",
        "taos.opencode.server.starts",
        "taos.opencode.server.start.duration",
      ]),
    );
    const exported = otelLines.join("\n");
    expect(exported).not.toContain(KEY);
    expect(exported).not.toContain(PROMPT_MARK);
  });
});

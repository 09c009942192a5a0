#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startFakeLiteLLM } from "./server.js";

const usage =
  "usage: fake-litellm [--port N] [--host 127.0.0.1] [--key K ...] [--model M ...] [--script echo|agent]";

async function main(): Promise<void> {
  let values: {
    port?: string;
    host?: string;
    key?: string[];
    model?: string[];
    script?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        key: { type: "string", multiple: true },
        model: { type: "string", multiple: true },
        script: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer 0-65535\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const script = values.script ?? "echo";
  if (script !== "echo" && script !== "agent") {
    process.stderr.write(`--script must be echo or agent\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const llm = await startFakeLiteLLM({
    port,
    defaultScript: script,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.key === undefined ? {} : { keys: values.key }),
    ...(values.model === undefined ? {} : { models: values.model }),
  });
  process.stdout.write(`${JSON.stringify({ url: llm.url })}\n`);
  const stop = (): void => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    void llm.close().then(() => {
      process.exitCode = 0;
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake-litellm: ${(error as Error).message}\n`);
  process.exitCode = 1;
});

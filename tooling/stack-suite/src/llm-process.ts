import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Script } from "@taos/fake-litellm";

/** A rule that can cross a process boundary: the prompt, matched as a substring. */
export interface PlainRule {
  readonly match: string;
  readonly reply: Script;
}

export interface LiteLLMProcess {
  readonly url: string;
  readonly pid: number;
  close(): Promise<void>;
}

// Runs in the child: reads its options as one JSON line on stdin, serves until stdin ends.
const CHILD = `
const { startFakeLiteLLM } = await import("@taos/fake-litellm");
let input = "";
let llm;
process.stdin.setEncoding("utf8");
process.stdin.on("data", async (chunk) => {
  if (llm !== undefined || input.includes("\\n")) return;
  input += chunk;
  if (!input.includes("\\n")) return;
  llm = await startFakeLiteLLM(JSON.parse(input.slice(0, input.indexOf("\\n"))));
  process.stdout.write(JSON.stringify({ url: llm.url }) + "\\n");
});
process.stdin.on("end", () => (llm ? llm.close() : Promise.resolve()).then(() => process.exit(0)));
`;

/**
 * The LiteLLM stand-in in a child process, so that what it buffers (a 100 000-chunk reply
 * is 23 MB of SSE) does not count in this process's memory figures.
 */
export async function startLiteLLMProcess(options: {
  readonly keys: readonly string[];
  readonly models?: readonly string[];
  readonly rules: readonly PlainRule[];
}): Promise<LiteLLMProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    // Resolve @taos/fake-litellm from this package.
    cwd: dirname(dirname(fileURLToPath(import.meta.url))),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const pid = child.pid;
  if (pid === undefined || child.stdout === null || child.stdin === null)
    throw new Error("the stand-in did not spawn");
  const stdin = child.stdin;
  // Options as one line on stdin: a long scripted text would not fit in the environment.
  stdin.write(`${JSON.stringify(options)}\n`);
  let buffered = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`the stand-in exited (${code}) before listening`)),
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n") && line !== undefined)
        resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return {
    url,
    pid,
    async close(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      stdin.end();
      await exited;
    },
  };
}

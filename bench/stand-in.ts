/** The LiteLLM stand-in in a child process, so that its CPU is not the bench's. */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface StandInProcess {
  readonly url: string;
  readonly child: ChildProcess;
}

/** Starts `@taos/fake-litellm`'s CLI (echo replies) accepting `keys`; resolves with its URL. */
export async function startStandInProcess(keys: readonly string[]): Promise<StandInProcess> {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve("@taos/fake-litellm")), "cli.js");
  const child = spawn(process.execPath, [cli, ...keys.flatMap((key) => ["--key", key])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`fake-litellm exited ${code}`)));
  });
  return { url, child };
}

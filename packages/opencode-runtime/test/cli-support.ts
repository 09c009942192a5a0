import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll } from "vitest";

// The command, as a user runs it: its bin file, which loads the build (`pnpm build` first;
// turbo runs build before test).
export const CLI: string = fileURLToPath(new URL("../bin/taos-opencode.js", import.meta.url));
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
export const KEY = "sk-cli-test-key-7f3a";
export const MODEL = "fake-model";

/** Live bindings: set by `useCliStack` before the file's tests. */
export let llm: FakeLiteLLM;
export let home: TempHome;

/** The stand-in and a home for the file (the package must be built: the command loads it). */
export function useCliStack(): void {
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
}

interface CliOptions {
  readonly reject: false;
  readonly stdin: "ignore";
  readonly env: NodeJS.ProcessEnv;
  readonly extendEnv: false;
}

/** The built command with `args`; the key only when `options.env` carries it. */
export function cli(
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv } = {},
): ResultPromise<CliOptions> {
  const { TAOS_LITELLM_KEY: _drop, ...inherited } = process.env;
  return execa("node", [CLI, ...args], {
    reject: false,
    stdin: "ignore",
    env: options.env ?? inherited,
    extendEnv: false,
  });
}

/** Flags that point the command at this file's stand-in and home. */
export function upstream(): string[] {
  return ["--base-url", llm.url, "--model", MODEL, "--home", home.path];
}
export const withKey: { readonly env: NodeJS.ProcessEnv } = {
  env: { ...process.env, TAOS_LITELLM_KEY: KEY },
};

export function sessionOf(stderr: string): string {
  const id = /^session: (ses_\S+)$/m.exec(stderr)?.[1];
  if (!id) throw new Error(`no session line in:\n${stderr}`);
  return id;
}

/** The first line a command in the background prints; rejects if it exits before that. */
export function firstLine(child: ResultPromise, name: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf("\n");
      if (end !== -1) resolve(buffered.slice(0, end));
    });
    child.then(
      (result) => reject(new Error(`${name} exited ${result.exitCode}: ${String(result.stderr)}`)),
      reject,
    );
  });
}

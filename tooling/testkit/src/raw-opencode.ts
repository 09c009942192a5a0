import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { opencodeBinaryPath } from "./binary.js";
import { getFreePort } from "./port.js";
import { waitForProcessExit } from "./process.js";

export interface StartRawOpenCodeOptions {
  /** The opencode home: config, data and cache all stay under it. */
  readonly home: string;
  /** Written to `<home>/.config/opencode/opencode.json` when given. */
  readonly config?: unknown;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly password?: string;
}

export interface RawOpenCode {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Headers for requests (Basic auth when a password was set). */
  readonly headers: Readonly<Record<string, string>>;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** The environment that keeps all of one server's state under its home. */
export function isolatedOpenCodeEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
  };
}

/** Writes `config` where opencode reads it under `home`. */
async function writeConfig(home: string, config: unknown): Promise<void> {
  const dir = join(home, ".config", "opencode");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "opencode.json"), JSON.stringify(config), { mode: 0o600 });
}

/**
 * Starts the real `opencode serve` with no help from our packages, for tests of
 * the layers below `@taos/opencode-server` (the config file, the stand-in).
 * It runs in its own process group, and `stop()` kills the whole group.
 */
export async function startRawOpenCode(options: StartRawOpenCodeOptions): Promise<RawOpenCode> {
  if (options.config !== undefined) await writeConfig(options.home, options.config);
  const port = await getFreePort();
  const env: Record<string, string> = { ...isolatedOpenCodeEnv(options.home), ...options.env };
  if (options.password) env.OPENCODE_SERVER_PASSWORD = options.password;
  const child: ResultPromise = execa(
    opencodeBinaryPath(),
    ["serve", "--port", String(port), "--hostname", "127.0.0.1"],
    {
      cwd: options.cwd ?? options.home,
      env,
      extendEnv: true,
      detached: true,
      reject: false,
      stdin: "ignore",
      buffer: false,
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("opencode did not spawn");
  let output = "";
  const stop = async (): Promise<void> => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    await waitForProcessExit(pid);
    await child.catch(() => undefined);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`opencode not listening after 30 s:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`opencode exited (${result.exitCode}) before listening:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const headers: Record<string, string> = options.password
    ? { authorization: `Basic ${Buffer.from(`opencode:${options.password}`).toString("base64")}` }
    : {};
  return { url: `http://127.0.0.1:${port}`, port, pid, headers, output: () => output, stop };
}

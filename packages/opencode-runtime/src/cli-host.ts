/** `taos-opencode host`: a pool behind the signed host API, until a signal. */
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createHostHandler } from "@taos/opencode-host";
import { OpenCodePool } from "@taos/opencode-pool";
import { CliUsageError } from "./cli-command-types.js";
import type { Output } from "./cli-output.js";
import { directory, httpUrl, port } from "./cli-values.js";

/** What `host` was asked for. */
export interface CliHostCommand {
  readonly kind: "host";
  readonly root: string;
  readonly port: number;
  readonly hostname: string;
  readonly baseUrl: string;
  readonly maxServers: number | undefined;
  readonly maxStarts: number | undefined;
  /** From TAOS_HOST_SECRET; never printed. */
  readonly secret: string;
  readonly json: boolean;
}

const hostOptions = {
  root: { type: "string" },
  port: { type: "string" },
  hostname: { type: "string" },
  "base-url": { type: "string" },
  "max-servers": { type: "string" },
  "max-starts": { type: "string" },
  json: { type: "boolean" },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new CliUsageError({ message: `host needs ${flag}`, flag });
  return value;
}

function smallCount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,3}$/.test(value))
    throw new CliUsageError({ message: `${flag} must be an integer from 1 to 9999`, flag });
  return Number(value);
}

/** Parses `host`'s flags (after the command word); the secret comes from `env`. */
export function parseHostArgs(args: readonly string[], env: Env): CliHostCommand {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: hostOptions,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0)
    throw new CliUsageError({ message: `host takes no message (got "${positionals[0]}")` });
  const secret = env.TAOS_HOST_SECRET ?? "";
  if (secret.length < 32)
    throw new CliUsageError({
      message: "host needs TAOS_HOST_SECRET (at least 32 characters)",
      flag: "TAOS_HOST_SECRET",
    });
  return {
    kind: "host",
    root: directory(required(values.root, "--root"), "--root", false),
    port: values.port === undefined ? 0 : port(values.port),
    hostname: values.hostname ?? "127.0.0.1",
    baseUrl: httpUrl(required(values["base-url"], "--base-url"), "--base-url").href.replace(
      /\/+$/,
      "",
    ),
    maxServers: smallCount(values["max-servers"], "--max-servers"),
    maxStarts: smallCount(values["max-starts"], "--max-starts"),
    secret,
    json: values.json ?? false,
  };
}

function listen(server: Server, command: CliHostCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(command.port, command.hostname, () => {
      const { address, port } = server.address() as AddressInfo;
      resolve(`http://${address.includes(":") ? `[${address}]` : address}:${port}`);
    });
  });
}

/** Serves the host API until `signal`; then closes the server and the pool (every opencode stops). */
export async function runHost(
  command: CliHostCommand,
  output: Output,
  signal: AbortSignal,
): Promise<number> {
  await mkdir(command.root, { recursive: true, mode: 0o700 });
  const pool = new OpenCodePool({
    root: command.root,
    litellm: { baseURL: command.baseUrl },
    ...(command.maxServers === undefined ? {} : { maxServers: command.maxServers }),
    ...(command.maxStarts === undefined ? {} : { maxConcurrentStarts: command.maxStarts }),
  });
  const server = createServer(createHostHandler(pool, { secret: command.secret }));
  try {
    const url = await listen(server, command);
    if (command.json)
      output.out(`${JSON.stringify({ url, root: command.root, pid: process.pid })}\n`);
    else
      output.out(
        `taos-opencode host listening on ${url}\n  root: ${command.root}\nPress Ctrl-C to stop.\n`,
      );
    if (!signal.aborted)
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    return 0;
  } finally {
    server.closeAllConnections();
    server.close();
    await pool.close();
  }
}

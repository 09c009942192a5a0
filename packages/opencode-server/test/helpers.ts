import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { OpenCodeLogger } from "@taos/internal";
import { groupMembers } from "../src/process-group.js";

/** What a fake `opencode` does; see `writeFakeOpenCode`. */
export interface FakeBehaviour {
  /** Answers 503 to this many health requests before answering 200. */
  readonly unhealthyPolls?: number;
  /** Always answers 503. */
  readonly neverHealthy?: boolean;
  /** Prints a line and exits with this code instead of listening. */
  readonly exitCode?: number;
  /** Prints the API key (read from its config) and the password before anything else. */
  readonly printSecrets?: boolean;
  /** Keeps running on SIGTERM. */
  readonly ignoreTerm?: boolean;
  /** Fails its first start the way opencode fails to bind a port ("ServeError", exit 1). */
  readonly bindFailOnce?: boolean;
  /** The version its health check reports; null: the answer has no version. @default "1.18.33" */
  readonly version?: string | null;
  /** An older server: 404 for `/global/health`, the OpenAPI document on `/doc` (its `info.version` is the API's, "1.0.0"). */
  readonly noGlobalHealth?: boolean;
  /** What `opencode --version` prints. @default "1.18.33" */
  readonly cliVersion?: string;
  /** After listening, writes this many bytes to stdout with blocking writes, then creates `<spawnLog>.flooded`. */
  readonly flood?: number;
}

export interface Fake {
  readonly binary: string;
  /** Every spawn appends its pid here. */
  readonly spawnLog: string;
  spawns(): Promise<number[]>;
  /** Makes the process with this pid answer 503 from now on. */
  makeUnhealthy(pid: number): Promise<void>;
}

/**
 * Writes a tiny Node script that behaves like `opencode serve` as far as the
 * server package can tell: it takes `--port`/`--hostname`, prints the
 * `listening` line and answers `GET /global/health`.
 */
export async function writeFakeOpenCode(dir: string, behaviour: FakeBehaviour): Promise<Fake> {
  await mkdir(dir, { recursive: true });
  const binary = join(dir, "opencode");
  const spawnLog = join(dir, "spawns.log");
  await writeFile(spawnLog, "");
  const config = { ...behaviour, spawnLog };
  const script = `#!${process.execPath}
"use strict";
const cfg = ${JSON.stringify(config)};
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const args = process.argv.slice(2);
if (args[0] === "--version") {
  console.log(cfg.cliVersion ?? "1.18.33");
  process.exit(0);
}
const port = Number(args[args.indexOf("--port") + 1]);
const host = args[args.indexOf("--hostname") + 1];
fs.appendFileSync(cfg.spawnLog, process.pid + "\\n");
const spawnCount = fs.readFileSync(cfg.spawnLog, "utf8").trim().split("\\n").length;
if (cfg.ignoreTerm) process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
if (cfg.printSecrets) {
  const conf = JSON.parse(fs.readFileSync(path.join(process.env.HOME, ".config/opencode/opencode.json"), "utf8"));
  const key = Object.values(conf.provider)[0].options.apiKey;
  console.error("loaded key " + key + " and password " + process.env.OPENCODE_SERVER_PASSWORD);
  // The key cut in two by separate writes, as a real program's buffered output may cut it.
  fs.writeSync(1, "split key " + key.slice(0, 4));
  fs.writeSync(1, key.slice(4) + " end\\n");
}
if (cfg.exitCode !== undefined) {
  console.error("fatal: cannot start");
  process.exit(cfg.exitCode);
}
if (cfg.bindFailOnce && spawnCount === 1) {
  console.error("Error: Unexpected error\\n\\nServeError");
  process.exit(1);
}
let polls = 0;
http
  .createServer((req, res) => {
    if (cfg.noGlobalHealth && req.url === "/global/health") {
      res.writeHead(404);
      res.end("Not Found");
      return;
    }
    if (req.url === "/doc") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ openapi: "3.1.1", info: { title: "opencode", version: "1.0.0" } }));
      return;
    }
    polls += 1;
    const unhealthy =
      cfg.neverHealthy ||
      polls <= (cfg.unhealthyPolls || 0) ||
      fs.existsSync(cfg.spawnLog + ".unhealthy-" + process.pid);
    res.writeHead(unhealthy ? 503 : 200, { "content-type": "application/json" });
    const version = cfg.version === undefined ? "1.18.33" : cfg.version;
    res.end(JSON.stringify(version === null ? { healthy: !unhealthy } : { healthy: !unhealthy, version }));
  })
  .listen(port, host, () => {
    console.log("opencode server listening on http://" + host + ":" + port);
    if (cfg.flood) flood();
  });
function writeAll(buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(1, buffer, offset);
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
    }
  }
}
function flood() {
  // Blocking writes: if nobody read the pipe, this process would hang here.
  const chunk = Buffer.from(("x".repeat(1023) + "\\n").repeat(64));
  let written = 0;
  const burst = () => {
    for (let i = 0; i < 4 && written < cfg.flood; i += 1) {
      writeAll(chunk);
      written += chunk.length;
    }
    if (written < cfg.flood) setImmediate(burst);
    else fs.writeFileSync(cfg.spawnLog + ".flooded", String(written));
  };
  burst();
}
`;
  await writeFile(binary, script);
  await chmod(binary, 0o755);
  return {
    binary,
    spawnLog,
    async spawns() {
      const text = await readFile(spawnLog, "utf8");
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map(Number);
    },
    async makeUnhealthy(pid) {
      await writeFile(`${spawnLog}.unhealthy-${pid}`, "");
    },
  };
}

/** A logger that records every call. */
export function recordingLogger(): OpenCodeLogger & {
  readonly records: { level: string; message: string; object: Record<string, unknown> }[];
} {
  const records: { level: string; message: string; object: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (object: Record<string, unknown>, message: string): void => {
      records.push({ level, message, object });
    };
  return { records, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** The pids of live (non-zombie) processes in a process group, from /proc. */
export async function liveGroupMembers(pgid: number): Promise<number[]> {
  return groupMembers(pgid).map((member) => member.pid);
}

/** True once a pid is gone or a zombie (an orphan's zombie waits for init to reap it). */
export async function isGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** The tests' one polling helper. */
export { eventually } from "@taos/testkit";

/** The text parts of one blocking turn (`POST /session/:id/message`) on a new session. */
export async function blockingTurn(
  server: { readonly baseUrl: string | undefined; authHeader(): string | undefined },
  text: string,
): Promise<string[]> {
  const headers = { authorization: server.authHeader() ?? "", "content-type": "application/json" };
  const created = await fetch(`${server.baseUrl}/session`, { method: "POST", headers, body: "{}" });
  const session = (await created.json()) as { id: string };
  const response = await fetch(`${server.baseUrl}/session/${session.id}/message`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: { providerID: "litellm", modelID: "fake-model" },
      parts: [{ type: "text", text }],
    }),
  });
  if (response.status !== 200) throw new Error(`blocking turn: HTTP ${response.status}`);
  const message = (await response.json()) as { parts: { type: string; text?: string }[] };
  return message.parts.filter((part) => part.type === "text").map((part) => part.text ?? "");
}

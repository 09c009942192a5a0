import { readFile, stat } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import { scaled } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import {
  OpenCodeBinaryNotFoundError,
  OpenCodeExitedError,
  OpenCodeHealthError,
  OpenCodeServer,
  OpenCodeStartTimeoutError,
  OpenCodeStoppedError,
  PortInUseError,
} from "../src/index.js";
import { KEY, PASSWORD, useFakeServers } from "./fake-servers.js";
import { eventually, isGone, liveGroupMembers } from "./helpers.js";

describe("faults (tiny fake opencode scripts)", () => {
  const { setup, track, tempPath } = useFakeServers("taos-oc-faults-");

  it("never healthy: rejects with OpenCodeStartTimeoutError at the deadline and kills the child", async () => {
    const { fake, server } = await setup({ neverHealthy: true });
    const error = await server.ensureRunning({ deadlineMs: 1_500 }).catch((e: unknown) => e);
    expect(OpenCodeStartTimeoutError.isInstance(error)).toBe(true);
    const timeout = error as OpenCodeStartTimeoutError;
    expect(timeout.deadlineMs).toBe(1_500);
    expect(timeout.sawListening).toBe(true);
    expect(OpenCodeHealthError.isInstance(timeout.cause)).toBe(true);
    expect((timeout.cause as OpenCodeHealthError).statusCode).toBe(503);
    const [pid] = await fake.spawns();
    expect(pid).toBeDefined();
    expect(await isGone(pid!)).toBe(true);
    expect(await liveGroupMembers(pid!)).toEqual([]);
    expect(server.isRunning()).toBe(false);
  });

  it("alive but unhealthy for a few polls, then healthy: exactly one spawn", async () => {
    const { fake, server } = await setup({ unhealthyPolls: 3 });
    await server.ensureRunning();
    expect(await fake.spawns()).toEqual([server.pid]);
    expect(await server.healthCheck()).toBe(true);
  });

  it("a live but unhealthy child is stopped before the respawn", async () => {
    const { fake, server } = await setup({});
    await server.ensureRunning();
    const first = server.pid!;
    await fake.makeUnhealthy(first);
    await server.ensureRunning();
    const spawns = await fake.spawns();
    expect(spawns).toHaveLength(2);
    expect(server.pid).toBe(spawns[1]);
    expect(server.pid).not.toBe(first);
    expect(await isGone(first)).toBe(true);
  });

  it(
    "exits during start: rejects at once with the exit code and the last output, key redacted",
    async () => {
      const { server, logFile } = await setup({ exitCode: 3, printSecrets: true });
      // A deadline far beyond the test's own timeout: only an early rejection can pass.
      const error = await server.ensureRunning({ deadlineMs: 600_000 }).catch((e: unknown) => e);
      expect(OpenCodeExitedError.isInstance(error)).toBe(true);
      const exited = error as OpenCodeExitedError;
      expect(exited.exitCode).toBe(3);
      expect(exited.output).toContain("fatal: cannot start");
      expect(exited.message).toContain("fatal: cannot start");
      expect(exited.message).toContain("[REDACTED]");
      const log = await readFile(logFile, "utf8");
      expect(log).toContain("split key [REDACTED] end");
      for (const text of [exited.message, exited.output.join("\n"), log]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain(PASSWORD);
      }
    },
    scaled(20_000),
  );

  it("ignores SIGTERM: killed with SIGKILL after the grace", async () => {
    const { server, logFile } = await setup({ ignoreTerm: true });
    await server.ensureRunning();
    const pid = server.pid!;
    await server.stop({ graceMs: 300 });
    expect(await isGone(pid)).toBe(true);
    expect(await liveGroupMembers(pid)).toEqual([]);
    const log = await readFile(logFile, "utf8");
    expect(log).toContain("ignoring SIGTERM");
    expect(log).toContain("SIGKILL to its process group");
    expect(log).toContain(`pid ${pid} exited (code null, signal SIGKILL)`);
  });

  it(
    "floods stdout: its output is drained to the log and it stays healthy",
    async () => {
      const flood = 16 * 1024 * 1024;
      const { fake, server, logFile } = await setup({ flood });
      await server.ensureRunning();
      const flooded = await eventually(async () => {
        expect(await server.healthCheck()).toBe(true);
        return stat(`${fake.spawnLog}.flooded`).then(
          () => true,
          () => false,
        );
      }, scaled(30_000));
      expect(flooded).toBe(true);
      expect(await server.healthCheck()).toBe(true);
      expect(await eventually(async () => (await stat(logFile)).size >= flood)).toBe(true);
    },
    scaled(40_000),
  );

  it("port taken by a foreign listener: PortInUseError, nothing spawned, the listener untouched", async () => {
    const foreign: Server = createServer((socket) => socket.end("foreign\n"));
    await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
    const address = foreign.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const { fake, server } = await setup({}, { port });
      const error = await server.ensureRunning().catch((e: unknown) => e);
      expect(PortInUseError.isInstance(error)).toBe(true);
      expect((error as PortInUseError).port).toBe(port);
      expect(await fake.spawns()).toEqual([]);
      expect(foreign.listening).toBe(true);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = createConnection({ port, host: "127.0.0.1" });
        socket.setEncoding("utf8");
        let data = "";
        socket.on("data", (chunk: string) => {
          data += chunk;
        });
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
      });
      expect(reply).toBe("foreign\n");
    } finally {
      await new Promise<void>((resolve) => foreign.close(() => resolve()));
    }
  });

  it("a bind failure on a picked port is retried on another port", async () => {
    const { fake, server } = await setup({ bindFailOnce: true });
    await server.ensureRunning();
    const spawns = await fake.spawns();
    expect(spawns).toHaveLength(2);
    expect(server.pid).toBe(spawns[1]);
    expect(await server.healthCheck()).toBe(true);
  });

  it("binary missing: OpenCodeBinaryNotFoundError naming the path and how to install", async () => {
    const missing = join(tempPath(), "nowhere", "opencode");
    const server = new OpenCodeServer({
      home: join(tempPath(), "missing-home"),
      litellm: { baseURL: "http://127.0.0.1:9/v1", apiKey: KEY, modelIds: ["m"] },
      binary: missing,
    });
    track(server);
    const error = await server.ensureRunning().catch((e: unknown) => e);
    expect(OpenCodeBinaryNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain("npm install opencode-ai");
    expect(server.isRunning()).toBe(false);
  });

  it("an exit nobody asked for reaches onExit listeners; an unsubscribed one is not called", async () => {
    const { server } = await setup({});
    await server.ensureRunning();
    const seen: unknown[] = [];
    const removed: unknown[] = [];
    server.onExit((info) => seen.push(info));
    const unsubscribe = server.onExit((info) => removed.push(info));
    unsubscribe();
    process.kill(server.pid!, "SIGKILL");
    expect(await eventually(() => seen.length === 1)).toBe(true);
    expect(seen).toEqual([{ code: null, signal: "SIGKILL" }]);
    expect(removed).toEqual([]);
    expect(server.isRunning()).toBe(false);
  });

  it(
    "stop() during a start: the start rejects with OpenCodeStoppedError and its child is gone",
    async () => {
      const { fake, server } = await setup({ neverHealthy: true });
      const starting = server.ensureRunning({ deadlineMs: 600_000 }).catch((e: unknown) => e);
      expect(await eventually(async () => (await fake.spawns()).length === 1)).toBe(true);
      await server.stop();
      expect(OpenCodeStoppedError.isInstance(await starting)).toBe(true);
      const [pid] = await fake.spawns();
      expect(await isGone(pid!)).toBe(true);
      expect(server.isRunning()).toBe(false);
    },
    scaled(20_000),
  );

  it(
    "the only caller's signal aborts: the start is abandoned and its child dead before the call settles",
    async () => {
      const { fake, server } = await setup({ neverHealthy: true });
      const controller = new AbortController();
      const starting = server
        .ensureRunning({ deadlineMs: 600_000, signal: controller.signal })
        .catch((e: unknown) => e);
      expect(await eventually(async () => (await fake.spawns()).length === 1)).toBe(true);
      const reason = new Error("the caller went away");
      controller.abort(reason);
      expect(await starting).toBe(reason);
      const [pid] = await fake.spawns();
      expect(await isGone(pid!)).toBe(true);
      // A new call starts afresh instead of joining the abandoned start.
      await expect(server.ensureRunning({ deadlineMs: 1_000 })).rejects.toSatisfy(
        OpenCodeStartTimeoutError.isInstance,
      );
      expect(await fake.spawns()).toHaveLength(2);
    },
    scaled(20_000),
  );
});

import { createServer, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  OpenCodeAdapter,
  type OpenCodeAdapterConfig,
  type OpenCodeLogger,
  type Reply,
} from "../src/index.js";

/**
 * The adapters of one test file: each made with the file's defaults (read when it is made,
 * so they may name a server a `beforeAll` starts) under its own config, all closed by `closeAll()`.
 */
export class TestAdapters {
  private readonly open: OpenCodeAdapter[] = [];

  constructor(private readonly defaults: () => OpenCodeAdapterConfig) {}

  /** A new adapter reporting to `sink`. */
  readonly make: (
    sink: (reply: Reply) => void | Promise<void>,
    config?: Partial<OpenCodeAdapterConfig>,
  ) => OpenCodeAdapter = (sink, config = {}) =>
    this.add(new OpenCodeAdapter({ ...this.defaults(), ...config }, sink));

  /** Closes `adapter` with the others. */
  add(adapter: OpenCodeAdapter): OpenCodeAdapter {
    this.open.push(adapter);
    return adapter;
  }

  /** Closes every adapter made or added so far. */
  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((adapter) => adapter.close()));
  }
}

/** A sink that keeps every reply, and the replies of one kind. */
export function collectingSink(): {
  replies: Reply[];
  sink: (reply: Reply) => void;
  of<K extends Reply["kind"]>(kind: K): Extract<Reply, { kind: K }>[];
  /** The contents of the delta replies, joined. */
  deltaText(): string;
} {
  const replies: Reply[] = [];
  return {
    replies,
    sink: (reply) => {
      replies.push(reply);
    },
    of: <K extends Reply["kind"]>(kind: K) =>
      replies.filter((reply): reply is Extract<Reply, { kind: K }> => reply.kind === kind),
    deltaText: () => replies.map((reply) => (reply.kind === "delta" ? reply.content : "")).join(""),
  };
}

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A pino-shaped logger that keeps its lines. */
export function memoryLogger(): { lines: LogLine[]; logger: OpenCodeLogger; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    lines,
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    text: () =>
      lines.map((line) => `${line.level} ${line.msg} ${JSON.stringify(line.obj)}`).join("\n"),
  };
}

export interface ProxyRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  /** The upstream's status, once it answered. */
  status?: number;
}

/**
 * A loopback HTTP proxy in front of a server: records every request (with its
 * Authorization header), counts event stream subscriptions, and can cut the open
 * event streams (the server stays up).
 */
export interface TestProxy {
  readonly url: string;
  readonly requests: ProxyRequest[];
  /** `GET /global/event` (or `/event`) requests seen. */
  subscriptions(): number;
  /** Destroys every open event stream connection; returns how many were cut. */
  cutEventStreams(): number;
  /**
   * Once: when an event stream chunk contains `pattern`, cuts that stream instead of
   * passing the chunk on, and holds new event stream requests back for `holdMs`.
   */
  cutStreamWhen(pattern: string, holdMs: number): void;
  /** Whether the `cutStreamWhen` trigger fired. */
  cutDone(): boolean;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<TestProxy> {
  const upstream = new URL(target);
  const requests: ProxyRequest[] = [];
  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let trigger: { pattern: string; holdMs: number } | undefined;
  let fired = false;
  let holdUntil = 0;
  const server: Server = createServer((req, res) => {
    const hold = holdUntil - Date.now();
    if (hold > 0 && (req.url ?? "").includes("event")) {
      setTimeout(() => server.emit("request", req, res), hold);
      return;
    }
    const path = req.url ?? "/";
    const record: ProxyRequest = {
      method: req.method ?? "GET",
      path,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    const isStream = path.startsWith("/global/event") || path.startsWith("/event");
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        headers: req.headers,
      },
      (up) => {
        record.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!isStream) {
          up.pipe(res);
          return;
        }
        streams.add(res);
        res.on("close", () => {
          streams.delete(res);
          up.destroy();
        });
        up.on("data", (chunk: Buffer) => {
          if (trigger !== undefined && chunk.toString().includes(trigger.pattern)) {
            holdUntil = Date.now() + trigger.holdMs;
            trigger = undefined;
            fired = true;
            res.socket?.destroy();
            return;
          }
          res.write(chunk);
        });
        up.on("end", () => res.end());
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    subscriptions: () =>
      requests.filter(
        (r) =>
          r.method === "GET" && (r.path.startsWith("/global/event") || r.path.startsWith("/event")),
      ).length,
    cutEventStreams: () => {
      const n = streams.size;
      for (const res of streams) res.socket?.destroy();
      return n;
    },
    cutStreamWhen: (pattern, holdMs) => {
      trigger = { pattern, holdMs };
      fired = false;
    },
    cutDone: () => fired,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The tests' one polling helper, as a wait that fails naming what it waited for. */
export { until } from "@taos/testkit";

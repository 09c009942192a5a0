import type { Readable } from "node:stream";
import type { Sink, TurnResult } from "@taos/opencode-adapter";
import type {
  AgentSettings,
  AgentStats,
  ArchiveManifest,
  ArchiveSource,
  PoolStats,
  PoolTurnCall,
  PoolTurnOptions,
} from "@taos/opencode-pool";
import { turnCallOf } from "@taos/opencode-pool/internals";
import { HostInputError } from "./errors.js";
import { HostClient } from "./remote-call.js";
import { remoteTurn } from "./remote-turn.js";
import { camelKeys, snakeKeys } from "./wire.js";

export interface RemotePoolOptions {
  /** The host's base URL, e.g. `http://worker-1:7070`. */
  readonly url: string;
  /** The secret the host was given. Never logged or sent. */
  readonly secret: string;
  /** A turn's stream silent this long (heartbeats included) counts as a host gone. @default 60000 */
  readonly silenceTimeoutMs?: number;
}

const agentPath = (agentId: string, rest = ""): string =>
  `/agents/${encodeURIComponent(agentId)}${rest}`;

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

async function collect(archive: ArchiveSource): Promise<Buffer> {
  if (archive instanceof Uint8Array) return Buffer.from(archive);
  const chunks: Buffer[] = [];
  for await (const chunk of archive as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * A pool on another host, driven through its `createHostHandler` API with
 * signed requests: the pool's methods, the same contracts. Calls that fail
 * throw `HostRequestError` (`statusCode`, the host's `code`, `field`).
 */
export class RemotePool {
  readonly #client: HostClient;

  /** Checks the options; connects to nothing yet. */
  constructor(options: RemotePoolOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new HostInputError("url", "must be an http(s) URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new HostInputError("url", "must be an http(s) URL");
    if (typeof options.secret !== "string" || options.secret.length < 32)
      throw new HostInputError("secret", "must be a string of at least 32 characters");
    const silence = options.silenceTimeoutMs ?? 60_000;
    if (!Number.isInteger(silence) || silence < 1)
      throw new HostInputError("silenceTimeoutMs", "must be an integer >= 1");
    this.#client = new HostClient(url.origin + url.pathname, options.secret, silence);
  }

  async register(agentId: string, settings: AgentSettings): Promise<void> {
    await this.#send("PUT", agentPath(agentId), snakeKeys({ ...settings }));
  }

  async update(agentId: string, settings: Partial<AgentSettings>): Promise<void> {
    await this.#send("PATCH", agentPath(agentId), snakeKeys({ ...settings }));
  }

  async unregister(
    agentId: string,
    options: { readonly deleteHome?: boolean } = {},
  ): Promise<void> {
    await this.#send(
      "DELETE",
      agentPath(agentId, options.deleteHome === true ? "?deleteHome=1" : ""),
    );
  }

  /** Starts the agent's server and opencode instance on the host. */
  async warm(agentId: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    await this.#send("POST", agentPath(agentId, "/warm"), undefined, options.signal);
  }

  /**
   * `OpenCodePool.turn` on the host, in the same shape: never rejects, exactly one terminal
   * reply (`host_unreachable` when the host is lost); the call's `signal` aborts it there.
   */
  turn(agentId: string, text: string, call: PoolTurnCall): Promise<TurnResult>;
  /** @deprecated pass `{ traceId, sink, ...options }` as the third argument */
  turn(
    agentId: string,
    text: string,
    traceId: string,
    sink: Sink,
    options?: PoolTurnOptions,
  ): Promise<TurnResult>;
  turn(
    agentId: string,
    text: string,
    call: PoolTurnCall | string,
    sink?: Sink,
    options: PoolTurnOptions = {},
  ): Promise<TurnResult> {
    const { traceId, sink: target, ...own } = turnCallOf(call, sink, options);
    return remoteTurn(this.#client, agentId, text, traceId, target, own);
  }

  async stats(): Promise<PoolStats> {
    const response = await this.#client.expectOk({ method: "GET", pathWithQuery: "/stats" });
    const wire = (await response.body.json()) as Record<string, unknown> & {
      agents: Record<string, unknown>[];
    };
    const agents = wire.agents.map((agent) => camelKeys(agent) as unknown as AgentStats);
    return { ...camelKeys(wire), agents } as unknown as PoolStats;
  }

  /** True when the host answers a signed `/health`. */
  async health(): Promise<boolean> {
    try {
      await this.#send("GET", "/health");
      return true;
    } catch {
      return false;
    }
  }

  /** The agent's archive as the host streams it (a Node `Readable` of gzip tar bytes). */
  async exportAgent(agentId: string): Promise<Readable> {
    const response = await this.#client.expectOk({
      method: "GET",
      pathWithQuery: agentPath(agentId, "/export"),
    });
    return response.body;
  }

  /** Sends the archive (read whole: its digest is signed) with the settings that carry the key. */
  async importAgent(
    agentId: string,
    archive: ArchiveSource,
    settings: AgentSettings,
  ): Promise<ArchiveManifest> {
    const head = Buffer.from(`${JSON.stringify(snakeKeys({ ...settings }))}\n`);
    const body = Buffer.concat([head, await collect(archive)]);
    const response = await this.#client.expectOk({
      method: "PUT",
      pathWithQuery: agentPath(agentId, "/import"),
      body,
      contentType: "application/octet-stream",
    });
    return camelKeys(
      (await response.body.json()) as Record<string, unknown>,
    ) as unknown as ArchiveManifest;
  }

  /** Closes the connections to the host. */
  close(): Promise<void> {
    return this.#client.close();
  }

  async #send(
    method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE",
    pathWithQuery: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.#client.expectOk({
      method,
      pathWithQuery,
      ...(body === undefined ? {} : { body: json(body), contentType: "application/json" }),
      ...(signal === undefined ? {} : { signal }),
    });
    await response.body.dump();
  }
}

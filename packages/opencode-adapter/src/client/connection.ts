import { createHash } from "node:crypto";
import type { ResolvedConnectionConfig } from "./config.js";
import { EventHub } from "./event-hub.js";
import { HttpClient } from "./http.js";
import { SessionTurns } from "./session-turns.js";

/** The pool and the event subscription of one server, shared by every adapter on it. */
export interface ServerConnection {
  readonly http: HttpClient;
  readonly hub: EventHub;
  /** One turn at a time per session, across the adapters of this server. */
  readonly sessionTurns: SessionTurns;
  /** opencode's version from `/global/health`, asked once per server; undefined when it has none. */
  serverVersion(): Promise<string | undefined>;
  /** Gives this user's share back; the last one out closes the stream and the pool. */
  release(): Promise<void>;
}

interface Entry {
  readonly http: HttpClient;
  readonly hub: EventHub;
  readonly sessionTurns: SessionTurns;
  users: number;
}

// Versions already read, by server: a connection closes with its last adapter, and one
// adapter per turn must not pay a health request per turn. Bounded; oldest out first.
const versions = new Map<string, string>();
const MAX_VERSIONS = 256;

/** The version `/global/health` reports; only an answer is kept (a failure asks again next time). */
async function askVersion(key: string, http: HttpClient): Promise<string | undefined> {
  const known = versions.get(key);
  if (known !== undefined) return known;
  const body = await http
    .json<{ version?: unknown }>("GET", "/global/health")
    .catch(() => undefined);
  if (typeof body?.version !== "string") return undefined;
  if (versions.size >= MAX_VERSIONS) versions.delete(versions.keys().next().value as string);
  versions.set(key, body.version);
  return body.version;
}

const connections = new Map<string, Entry>();

/** A user's view of the connection: a turn's adapter sets how long its stream may stay silent. */
export interface ConnectionUser extends ResolvedConnectionConfig {
  /** Undefined: this user sets no limit (a hold, between turns). */
  readonly silenceTimeoutMs: number | undefined;
}

/** Same server and same credentials share one connection; the password is only hashed into the key. */
function keyOf(config: ConnectionUser): string {
  const secret = createHash("sha256")
    .update(config.password ?? "")
    .digest("base64url");
  return `${config.baseUrl.href}\n${config.username}\n${config.password === undefined ? "-" : secret}`;
}

/**
 * Takes a share of the server's connection, opening it on first use. Connection-level
 * settings (connect and request timeouts, logger) come from the first user: an adapter,
 * or a `holdConnection`.
 */
export function acquireConnection(config: ConnectionUser): ServerConnection {
  const key = keyOf(config);
  let entry = connections.get(key);
  if (entry === undefined) {
    const http = new HttpClient({
      baseUrl: config.baseUrl,
      username: config.username,
      password: config.password,
      connectTimeoutMs: config.connectTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
    });
    const hub = new EventHub(http, {
      connectTimeoutMs: config.connectTimeoutMs,
      logger: config.logger,
    });
    entry = { http, hub, sessionTurns: new SessionTurns(), users: 0 };
    connections.set(key, entry);
  }
  const shared = entry;
  shared.users++;
  const user = {};
  shared.hub.setSilenceLimit(user, config.silenceTimeoutMs);
  let released = false;
  return {
    http: shared.http,
    hub: shared.hub,
    sessionTurns: shared.sessionTurns,
    serverVersion: () => askVersion(key, shared.http),
    async release(): Promise<void> {
      if (released) return;
      released = true;
      shared.hub.setSilenceLimit(user, undefined);
      shared.users--;
      if (shared.users > 0) return;
      if (connections.get(key) === shared) connections.delete(key);
      shared.hub.close();
      await shared.http.close();
    },
  };
}

import type { OpenCodeLogger } from "@taos/internal";
import type { OpenCodeModel, PermissionConfig } from "@taos/opencode-config";
import { OpenCodeServer, type OpenCodeServerOptions, type ServerAuth } from "@taos/opencode-server";
import type { ResolvedPoolOptions } from "./options.js";
import { resolveSandbox } from "./sandbox.js";
import { bootstrapInstance } from "./server-http.js";

/** What the pool asks a launcher to start: one agent's server. */
export interface AgentLaunch {
  readonly agentId: string;
  /** The agent's home (absolute, 0700): config, database, cache. */
  readonly home: string;
  /** Where the agent works (absolute). */
  readonly cwd: string;
  /** The proxy, the agent's own key and its models. */
  readonly litellm: {
    readonly baseURL: string;
    readonly providerId: string;
    readonly apiKey: string;
    readonly modelIds: readonly OpenCodeModel[];
  };
  readonly permission: PermissionConfig | undefined;
  /** The OS user to run the server as, when the agent has one. */
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
  /** Aborted when the pool no longer needs this start (shutdown, unregister). */
  readonly signal: AbortSignal;
}

/** A running server, however it was started. */
export interface LaunchedServer {
  /** `http://host:port` of the server. */
  readonly baseUrl: string;
  /** Basic-auth credentials, or null for a server without auth. */
  readonly auth: ServerAuth | null;
  /** The local process (its tree's RSS counts against the memory budget); absent for remote servers. */
  readonly pid?: number;
  /** Stops the server (a no-op for one the pool did not start). */
  stop(): Promise<void>;
  /** Reports an exit nobody asked for; returns the unsubscribe function. */
  onExit?(listener: (description: string) => void): () => void;
}

/** Starts agents' servers: `launch(agent) → { baseUrl, auth, pid?, stop() }`. */
export interface Launcher {
  launch(agent: AgentLaunch): Promise<LaunchedServer>;
}

export interface LocalLauncherOptions {
  /** The `opencode` executable. Omitted: resolved by `OpenCodeServer`. */
  readonly binary?: string;
  /** Run each server under bubblewrap. @default "none" (the pool picks `"bwrap"` when installed) */
  readonly sandbox?: "bwrap" | "none";
  readonly logger?: OpenCodeLogger;
  /** How long a stop waits after SIGTERM before SIGKILL. @default 5000 */
  readonly stopGraceMs?: number;
  /** Environment of every server over the server package's defaults (`undefined` removes one). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Have opencode set up the agent's working directory (config, plugins) as part of the
   * start, so that it counts against the pool's `maxConcurrentStarts` rather than slowing
   * the first turn while other servers start. @default true
   */
  readonly bootstrap?: boolean;
}

/** The default launcher: one local `OpenCodeServer` per agent, in its own process group. */
export function localLauncher(options: LocalLauncherOptions = {}): Launcher {
  return {
    async launch(agent: AgentLaunch): Promise<LaunchedServer> {
      const serverOptions: {
        -readonly [K in keyof OpenCodeServerOptions]: OpenCodeServerOptions[K];
      } = {
        home: agent.home,
        cwd: agent.cwd,
        litellm: agent.litellm,
      };
      if (agent.permission !== undefined) serverOptions.permission = agent.permission;
      if (options.binary !== undefined) serverOptions.binary = options.binary;
      if (options.logger !== undefined) serverOptions.logger = options.logger;
      if (options.sandbox !== undefined) serverOptions.sandbox = options.sandbox;
      if (options.env !== undefined) serverOptions.env = options.env;
      if (agent.user !== undefined) {
        serverOptions.uid = agent.user.uid;
        serverOptions.gid = agent.user.gid;
      }
      const server = new OpenCodeServer(serverOptions);
      try {
        await server.ensureRunning({ signal: agent.signal });
        const launched = launchedServer(server, options.stopGraceMs ?? 5_000);
        if (options.bootstrap !== false) await bootstrapInstance(launched, agent.cwd, agent.signal);
        return launched;
      } catch (error) {
        await server.stop({ graceMs: 1_000 });
        throw error;
      }
    },
  };
}

/** A running local server as the pool sees it. */
function launchedServer(server: OpenCodeServer, graceMs: number): LaunchedServer {
  const { baseUrl, pid } = server;
  if (baseUrl === undefined) throw new Error("opencode exited as it became ready");
  return {
    baseUrl,
    auth: server.auth,
    ...(pid === undefined ? {} : { pid }),
    stop: () => server.stop({ graceMs }),
    onExit: (listener) =>
      server.onExit((info) =>
        listener(
          info.signal ? `killed by ${info.signal}` : `exited with code ${String(info.code)}`,
        ),
      ),
  };
}

/** The pool's launcher when it was given none: local servers, sandboxed as the options say. */
export function defaultLauncher(options: ResolvedPoolOptions): Launcher {
  const { logger, stopGraceMs, binary } = options;
  return localLauncher({
    sandbox: resolveSandbox(options.sandbox, logger),
    logger,
    stopGraceMs,
    ...(binary === undefined ? {} : { binary }),
  });
}

/** Where an agent's server, run by someone else, is reached. */
export interface AttachedServer {
  readonly baseUrl: string;
  readonly auth: ServerAuth | null;
}

/**
 * A launcher for servers someone else runs (a container, a Kubernetes pod):
 * it looks the agent's server up and never spawns or kills anything. Such a
 * server is configured by whoever runs it; the agent's key registered in the
 * pool is not sent to it.
 */
export function attachedLauncher(
  servers:
    | Readonly<Record<string, AttachedServer>>
    | ((agentId: string) => AttachedServer | Promise<AttachedServer>),
): Launcher {
  return {
    async launch(agent: AgentLaunch): Promise<LaunchedServer> {
      const found =
        typeof servers === "function"
          ? await servers(agent.agentId)
          : Object.hasOwn(servers, agent.agentId)
            ? servers[agent.agentId]
            : undefined;
      if (found === undefined) throw new Error(`no attached server for agent "${agent.agentId}"`);
      return { baseUrl: found.baseUrl, auth: found.auth, stop: async () => undefined };
    },
  };
}

import type { TurnResult } from "@taos/opencode-adapter";
import type { AdapterFactory } from "@taos/opencode-turn";
import type { AgentLaunch, LaunchedServer, Launcher } from "../src/index.js";

/** A launcher that starts nothing: it records launches and lets a test kill a "server". */
export interface FakeLauncher extends Launcher {
  readonly launches: AgentLaunch[];
  /** Agent ids whose fake server is up now. */
  readonly running: Set<string>;
  /** The most servers up at once. */
  peak: number;
  /** The most launches in progress at once. */
  peakStarting: number;
  /** Makes the agent's server "exit" as a crash would. */
  crash(agentId: string): void;
}

export function fakeLauncher(
  behaviour: {
    readonly failStart?: (agentId: string) => boolean;
    readonly baseUrl?: string;
    /** Starts take until the launch's signal aborts (a start that hangs). */
    readonly hangStart?: boolean;
  } = {},
): FakeLauncher {
  const exits = new Map<string, (description: string) => void>();
  let starting = 0;
  const launcher: FakeLauncher = {
    launches: [],
    running: new Set(),
    peak: 0,
    peakStarting: 0,
    async launch(agent): Promise<LaunchedServer> {
      launcher.launches.push(agent);
      starting += 1;
      launcher.peakStarting = Math.max(launcher.peakStarting, starting);
      // A start takes a few microtasks (no timer: tests use fake ones): starts let through together overlap.
      for (let i = 0; i < 10; i++) await Promise.resolve();
      starting -= 1;
      if (behaviour.hangStart) {
        await new Promise((_, reject) =>
          agent.signal.addEventListener("abort", () => reject(agent.signal.reason), { once: true }),
        );
      }
      if (behaviour.failStart?.(agent.agentId))
        throw new Error(`fake opencode exited with code 1 (${agent.agentId})`);
      if (launcher.running.has(agent.agentId))
        throw new Error(`second server for ${agent.agentId}`);
      launcher.running.add(agent.agentId);
      launcher.peak = Math.max(launcher.peak, launcher.running.size);
      return {
        baseUrl: behaviour.baseUrl ?? `http://fake.invalid/${agent.agentId}`,
        auth: { username: "opencode", password: `pw-${agent.agentId}` },
        stop: async () => {
          launcher.running.delete(agent.agentId);
          exits.delete(agent.agentId);
        },
        onExit: (listener) => {
          exits.set(agent.agentId, listener);
          return () => exits.delete(agent.agentId);
        },
      };
    },
    crash(agentId) {
      launcher.running.delete(agentId);
      const listener = exits.get(agentId);
      exits.delete(agentId);
      listener?.("killed by SIGKILL");
    },
  };
  return launcher;
}

/** Turns that hold until released (or aborted); every prompt records the server it ran on. */
export interface FakeTurns {
  readonly factory: AdapterFactory;
  /** baseUrl of each prompt, in order. */
  readonly prompts: string[];
  /** Ends every held turn. */
  releaseAll(): void;
  held(): number;
}

export function fakeTurns(mode: "complete" | "hold"): FakeTurns {
  const waiting = new Set<() => void>();
  const turns: FakeTurns = {
    prompts: [],
    factory: (config) => ({
      ensureSession: async () => config.sessionId ?? "ses_fake",
      prompt: async (text, options): Promise<TurnResult> => {
        turns.prompts.push(config.baseUrl);
        if (mode === "hold") {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              waiting.delete(done);
              resolve();
            };
            waiting.add(done);
            options.signal?.addEventListener("abort", done, { once: true });
          });
        }
        if (options.signal?.aborted)
          return { sessionId: "ses_fake", status: "aborted", text: "", error: "aborted" };
        return { sessionId: config.sessionId ?? "ses_fake", status: "completed", text };
      },
      close: () => undefined,
    }),
    releaseAll() {
      for (const done of [...waiting]) done();
    },
    held: () => waiting.size,
  };
  return turns;
}

/** The first 100 bytes of a SQLite database: its header, nothing after it. */
export const SQLITE_HEADER: Buffer = Buffer.concat([
  Buffer.from("SQLite format 3\0", "latin1"),
  Buffer.alloc(84),
]);

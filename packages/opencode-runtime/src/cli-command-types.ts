/** What the command line says: the parsed command and its options, and the usage error. */
import { TaosOpenCodeError } from "@taos/opencode-config";
import type { CliHostCommand } from "./cli-host.js";

/** Bad command-line input; `flag` names the option (or variable) at fault. Exit code 2. */
export class CliUsageError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.CliUsageError";
  readonly flag: string | undefined;

  constructor({ message, flag }: { readonly message: string; readonly flag?: string }) {
    super({ message });
    this.flag = flag;
  }
}

/** Where the model calls go: a LiteLLM proxy, or the built-in stand-in. */
export type CliUpstream =
  | { readonly kind: "litellm"; readonly baseURL: string; readonly apiKey: string }
  | { readonly kind: "stand-in" };

/** The server a command starts (run without --server, and serve). */
export interface CliCommonOptions {
  readonly upstream: CliUpstream;
  readonly modelId: string;
  /** Absolute; undefined: a temporary home removed at exit. */
  readonly home: string | undefined;
  /** Absolute; undefined: the home. */
  readonly cwd: string | undefined;
  /** 0: pick a free port. */
  readonly port: number;
  readonly json: boolean;
  readonly verbose: boolean;
  /** Print OpenTelemetry spans and metrics to stderr. */
  readonly otel: boolean;
}

/** What a run asks of its one turn. */
export interface CliTurnOptions {
  /** Continue this session instead of starting a new one. */
  readonly sessionId: string | undefined;
  readonly agent: string | undefined;
  readonly system: string | undefined;
  readonly variant: string | undefined;
  /** `--file` paths, absolute, in order: read before anything starts. */
  readonly files: readonly string[];
  /** `--schema`, absolute: read before anything starts. */
  readonly schemaFile: string | undefined;
}

/** A server already running (`--server`): nothing is started or stopped. */
export interface CliServerTarget {
  readonly url: string;
  /** From TAOS_OPENCODE_PASSWORD; undefined: the server has no auth. */
  readonly password: string | undefined;
}

export type CliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly message: string;
      readonly turn: CliTurnOptions;
      /** Set: run on this server; `options` then only carries the model and the output mode. */
      readonly server: CliServerTarget | undefined;
      readonly options: CliCommonOptions;
    }
  | { readonly kind: "serve"; readonly options: CliCommonOptions }
  | CliHostCommand;

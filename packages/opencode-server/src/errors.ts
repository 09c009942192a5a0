import {
  InvalidOptionError,
  type InvalidOptionErrorOptions,
  TaosOpenCodeError,
} from "@taos/opencode-config";

/** A bad `OpenCodeServer` option (or call option), reported before anything is written or spawned. */
export class InvalidServerOptionError extends InvalidOptionError {
  static override readonly marker: string = "taos.opencode.error.InvalidServerOptionError";

  /** `field` is the option at fault, e.g. `port` or `ensureRunning.deadlineMs`. */
  constructor(options: InvalidOptionErrorOptions) {
    super(options, "server");
  }
}

/** A binary found but passed over because its version is outside the range asked for. */
export interface SkippedOpenCodeBinary {
  readonly binary: string;
  /** What `--version` (or its npm package) said; undefined when it said nothing usable. */
  readonly version: string | undefined;
}

/**
 * No usable `opencode` executable; `searched` lists every place that was tried,
 * `skipped` the binaries passed over for their version (outside `versionRange`).
 */
export class OpenCodeBinaryNotFoundError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeBinaryNotFoundError";
  readonly searched: readonly string[];
  readonly skipped: readonly SkippedOpenCodeBinary[];
  /** The version range that was asked for, if any. */
  readonly versionRange: string | undefined;

  constructor({
    searched,
    skipped = [],
    versionRange,
    cause,
  }: {
    readonly searched: readonly string[];
    readonly skipped?: readonly SkippedOpenCodeBinary[];
    readonly versionRange?: string;
    readonly cause?: unknown;
  }) {
    const passedOver =
      skipped.length === 0
        ? []
        : [
            `Skipped, version outside ${versionRange ?? "the range asked for"}:`,
            ...skipped.map(
              ({ binary, version }) => `  - ${binary} (opencode ${version ?? "version unknown"})`,
            ),
          ];
    // The official installer now installs opencode 2: not a way to a 1.x.
    const install =
      versionRange === undefined
        ? [
            'Install it with "npm install opencode-ai" (its platform package carries the binary)',
            'or "curl -fsSL https://opencode.ai/install | bash", or pass the `binary` option or set OPENCODE_BIN.',
          ]
        : [
            'Install a supported one with "npm install opencode-ai@1" (its platform package carries',
            "the binary), or pass the `binary` option or set OPENCODE_BIN.",
          ];
    super({
      message: [
        "The opencode binary was not found. Looked in:",
        ...searched.map((place) => `  - ${place}`),
        ...passedOver,
        ...install,
      ].join("\n"),
      cause,
    });
    this.searched = searched;
    this.skipped = skipped;
    this.versionRange = versionRange;
  }
}

function outputBlock(output: readonly string[]): string {
  return output.length === 0 ? "(no output)" : output.map((line) => `  | ${line}`).join("\n");
}

/** The child exited (or could not be spawned) before it was ready. `output` is redacted. */
export class OpenCodeExitedError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeExitedError";
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** The last lines the child printed, with the key and password redacted. */
  readonly output: readonly string[];

  constructor(options: {
    readonly exitCode: number | undefined;
    readonly signal: string | undefined;
    readonly output: readonly string[];
    readonly cause?: unknown;
  }) {
    const how =
      options.signal !== undefined
        ? `was killed by ${options.signal}`
        : options.exitCode !== undefined
          ? `exited with code ${options.exitCode}`
          : "could not be spawned";
    super({
      message: `opencode serve ${how} before it was ready. Last output:\n${outputBlock(options.output)}`,
      cause: options.cause,
    });
    this.exitCode = options.exitCode;
    this.signal = options.signal;
    this.output = options.output;
  }
}

/** Not ready within the deadline; the child has been killed. `cause` holds the last health failure. */
export class OpenCodeStartTimeoutError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeStartTimeoutError";
  readonly deadlineMs: number;
  /** Whether the child printed its `listening` line before the deadline. */
  readonly sawListening: boolean;
  readonly output: readonly string[];

  constructor(options: {
    readonly deadlineMs: number;
    readonly sawListening: boolean;
    readonly output: readonly string[];
    readonly cause?: unknown;
  }) {
    const stage = options.sawListening
      ? "it printed its listening line but never answered its health check"
      : "it never printed its listening line";
    super({
      message: `opencode serve was not ready within ${options.deadlineMs} ms: ${stage}. Last output:\n${outputBlock(options.output)}`,
      cause: options.cause,
    });
    this.deadlineMs = options.deadlineMs;
    this.sawListening = options.sawListening;
    this.output = options.output;
  }
}

/** The port given in the options is held by another process (which is left alone). */
export class PortInUseError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.PortInUseError";
  readonly port: number;
  readonly hostname: string;

  constructor({
    port,
    hostname,
    cause,
  }: { readonly port: number; readonly hostname: string; readonly cause?: unknown }) {
    super({
      message: `Port ${port} on ${hostname} is already in use by another process; choose another port, or omit \`port\` to let the server pick a free one.`,
      cause,
    });
    this.port = port;
    this.hostname = hostname;
  }
}

/** One failed health request: a non-2xx answer, an unhealthy body, or no answer at all. */
export class OpenCodeHealthError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeHealthError";
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly statusCode: number | undefined;
  /** True when asking again later may succeed (no answer, 5xx, unhealthy body). */
  readonly isRetryable: boolean;

  constructor(options: {
    readonly url: string;
    readonly statusCode: number | undefined;
    readonly isRetryable: boolean;
    readonly message: string;
    readonly cause?: unknown;
  }) {
    super({ message: `GET ${options.url}: ${options.message}`, cause: options.cause });
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable;
  }
}

/** `stop()` was called while a start was in progress; that start is abandoned. */
export class OpenCodeStoppedError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.OpenCodeStoppedError";
  constructor() {
    super({ message: "The opencode server was stopped while it was starting." });
  }
}

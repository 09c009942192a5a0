import {
  InvalidOptionError,
  type InvalidOptionErrorOptions,
  TaosOpenCodeError,
} from "@taos/opencode-config";

/** A bad pool option, agent id or agent setting, reported before anything is written or spawned. */
export class InvalidPoolOptionError extends InvalidOptionError {
  static override readonly marker: string = "taos.opencode.error.InvalidPoolOptionError";

  /** `field` is the option at fault, e.g. `maxServers` or `register.agentId`. */
  constructor(options: InvalidOptionErrorOptions) {
    super(options, "pool");
  }
}

/** `update`, `unregister` or `reset` of an agent id that is not registered. */
export class UnknownAgentError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.UnknownAgentError";
  readonly agentId: string;

  constructor(agentId: string) {
    super({ message: `No agent "${agentId}" is registered in this pool` });
    this.agentId = agentId;
  }
}

/** `register` of an agent id that is registered already (use `update`). */
export class AgentExistsError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.AgentExistsError";
  readonly agentId: string;

  constructor(agentId: string) {
    super({ message: `Agent "${agentId}" is registered already; use update() to change it` });
    this.agentId = agentId;
  }
}

/** A call that changes the pool after `close()` began. */
export class PoolClosedError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.PoolClosedError";
  constructor(what: string) {
    super({ message: `The opencode pool is closed: ${what} is refused` });
  }
}

/** An option this platform cannot honour, e.g. `memoryBudgetMiB` without Linux's `/proc`. */
export class UnsupportedPlatformError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.UnsupportedPlatformError";
  readonly field: string;
  readonly platform: string;

  constructor({ field, platform }: { readonly field: string; readonly platform: string }) {
    super({
      message: `The opencode pool option "${field}" needs Linux (it reads /proc); this is ${platform}`,
    });
    this.field = field;
    this.platform = platform;
  }
}

/** `exportAgent` of an agent whose turns did not end within the wait (`code` is `agent_busy`). */
export class AgentBusyError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.AgentBusyError";
  readonly agentId: string;
  readonly code = "agent_busy";

  constructor(agentId: string, waitedMs: number) {
    super({ message: `Agent "${agentId}" still had running turns after ${waitedMs} ms` });
    this.agentId = agentId;
  }
}

/** An archive `importAgent` refuses; nothing of it was kept. */
export class InvalidArchiveError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.InvalidArchiveError";
  /** The entry at fault, when one is. */
  readonly entry: string | undefined;

  constructor({ message, entry, cause }: { message: string; entry?: string; cause?: unknown }) {
    super({ message: `Invalid agent archive: ${message}`, cause });
    this.entry = entry;
  }
}

/** A pool call (`warm`) the pool could not do; `code` is the turn refusal's code. */
export class PoolRefusedError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.PoolRefusedError";
  readonly code: string;

  constructor({ code, message }: { readonly code: string; readonly message: string }) {
    super({ message });
    this.code = code;
  }
}

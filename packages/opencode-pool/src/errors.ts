import { TaosOpenCodeError } from "@taos/opencode-config";

const prefix = "taos.opencode.error.";

const invalidOption = `${prefix}InvalidPoolOptionError`;
/** A bad pool option, agent id or agent setting, reported before anything is written or spawned. */
export class InvalidPoolOptionError extends TaosOpenCodeError {
  /** The option at fault, e.g. `maxServers` or `register.agentId`. */
  readonly field: string;

  constructor({ field, message }: { readonly field: string; readonly message: string }) {
    super({ message: `Invalid opencode pool option "${field}": ${message}` });
    this.field = field;
    TaosOpenCodeError.brand(this, invalidOption);
  }

  static override isInstance(value: unknown): value is InvalidPoolOptionError {
    return TaosOpenCodeError.hasMarker(value, invalidOption);
  }
}

const unknownAgent = `${prefix}UnknownAgentError`;
/** `update`, `unregister` or `reset` of an agent id that is not registered. */
export class UnknownAgentError extends TaosOpenCodeError {
  readonly agentId: string;

  constructor(agentId: string) {
    super({ message: `No agent "${agentId}" is registered in this pool` });
    this.agentId = agentId;
    TaosOpenCodeError.brand(this, unknownAgent);
  }

  static override isInstance(value: unknown): value is UnknownAgentError {
    return TaosOpenCodeError.hasMarker(value, unknownAgent);
  }
}

const agentExists = `${prefix}AgentExistsError`;
/** `register` of an agent id that is registered already (use `update`). */
export class AgentExistsError extends TaosOpenCodeError {
  readonly agentId: string;

  constructor(agentId: string) {
    super({ message: `Agent "${agentId}" is registered already; use update() to change it` });
    this.agentId = agentId;
    TaosOpenCodeError.brand(this, agentExists);
  }

  static override isInstance(value: unknown): value is AgentExistsError {
    return TaosOpenCodeError.hasMarker(value, agentExists);
  }
}

const closed = `${prefix}PoolClosedError`;
/** A call that changes the pool after `close()` began. */
export class PoolClosedError extends TaosOpenCodeError {
  constructor(what: string) {
    super({ message: `The opencode pool is closed: ${what} is refused` });
    TaosOpenCodeError.brand(this, closed);
  }

  static override isInstance(value: unknown): value is PoolClosedError {
    return TaosOpenCodeError.hasMarker(value, closed);
  }
}

const unsupported = `${prefix}UnsupportedPlatformError`;
/** An option this platform cannot honour, e.g. `memoryBudgetMiB` without Linux's `/proc`. */
export class UnsupportedPlatformError extends TaosOpenCodeError {
  readonly field: string;
  readonly platform: string;

  constructor({ field, platform }: { readonly field: string; readonly platform: string }) {
    super({
      message: `The opencode pool option "${field}" needs Linux (it reads /proc); this is ${platform}`,
    });
    this.field = field;
    this.platform = platform;
    TaosOpenCodeError.brand(this, unsupported);
  }

  static override isInstance(value: unknown): value is UnsupportedPlatformError {
    return TaosOpenCodeError.hasMarker(value, unsupported);
  }
}

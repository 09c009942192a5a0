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

const agentBusy = `${prefix}AgentBusyError`;
/** `exportAgent` of an agent whose turns did not end within the wait (`code` is `agent_busy`). */
export class AgentBusyError extends TaosOpenCodeError {
  readonly agentId: string;
  readonly code = "agent_busy";

  constructor(agentId: string, waitedMs: number) {
    super({ message: `Agent "${agentId}" still had running turns after ${waitedMs} ms` });
    this.agentId = agentId;
    TaosOpenCodeError.brand(this, agentBusy);
  }

  static override isInstance(value: unknown): value is AgentBusyError {
    return TaosOpenCodeError.hasMarker(value, agentBusy);
  }
}

const invalidArchive = `${prefix}InvalidArchiveError`;
/** An archive `importAgent` refuses; nothing of it was kept. */
export class InvalidArchiveError extends TaosOpenCodeError {
  /** The entry at fault, when one is. */
  readonly entry: string | undefined;

  constructor({ message, entry, cause }: { message: string; entry?: string; cause?: unknown }) {
    super({ message: `Invalid agent archive: ${message}`, cause });
    this.entry = entry;
    TaosOpenCodeError.brand(this, invalidArchive);
  }

  static override isInstance(value: unknown): value is InvalidArchiveError {
    return TaosOpenCodeError.hasMarker(value, invalidArchive);
  }
}

const refused = `${prefix}PoolRefusedError`;
/** A pool call (`warm`) the pool could not do; `code` is the turn refusal's code. */
export class PoolRefusedError extends TaosOpenCodeError {
  readonly code: string;

  constructor({ code, message }: { readonly code: string; readonly message: string }) {
    super({ message });
    this.code = code;
    TaosOpenCodeError.brand(this, refused);
  }

  static override isInstance(value: unknown): value is PoolRefusedError {
    return TaosOpenCodeError.hasMarker(value, refused);
  }
}

import { TaosOpenCodeError } from "./errors.js";

/** What a bad option is reported with: the option's name and what is wrong with it. */
export interface InvalidOptionErrorOptions {
  /** The option at fault, e.g. `port`, `modelIds[2]` or `register.agentId`. */
  readonly field: string;
  readonly message: string;
}

/**
 * A bad option, reported before anything is written, spawned or sent; `field` names it.
 * Each package throws its own subclass (`ConfigValidationError`, `InvalidServerOptionError`,
 * `OpenCodeAdapterConfigError`, `InvalidPoolOptionError`); `InvalidOptionError.isInstance`
 * recognises them all. The message never contains a key.
 */
export class InvalidOptionError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.InvalidOptionError";
  /** The option at fault, e.g. `baseURL` or `modelIds[2]`. */
  readonly field: string;

  /** `scope` names whose option it is in the message (`config`, `server`, ...). */
  constructor({ field, message }: InvalidOptionErrorOptions, scope = "") {
    super({
      message: `Invalid opencode ${scope === "" ? "" : `${scope} `}option "${field}": ${message}`,
    });
    this.field = field;
  }
}

/** Bad config input. `field` names the option; the message never contains the key. */
export class ConfigValidationError extends InvalidOptionError {
  static override readonly marker: string = "taos.opencode.error.ConfigValidationError";

  constructor(options: InvalidOptionErrorOptions) {
    super(options, "config");
  }
}

import { TaosOpenCodeError } from "./errors.js";

const marker = "taos.opencode.error.ConfigValidationError";

/** Bad config input. `field` names the option; the message never contains the key. */
export class ConfigValidationError extends TaosOpenCodeError {
  /** The option at fault, e.g. `baseURL` or `modelIds[2]`. */
  readonly field: string;

  constructor({ field, message }: { readonly field: string; readonly message: string }) {
    super({ message: `Invalid opencode config option "${field}": ${message}` });
    this.field = field;
    TaosOpenCodeError.brand(this, marker);
  }

  static override isInstance(value: unknown): value is ConfigValidationError {
    return TaosOpenCodeError.hasMarker(value, marker);
  }
}
